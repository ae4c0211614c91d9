"""Community funds as data: fund types, per-state rules, the checks before a release (F1–F3).

A state mission releases Revolving Fund (RF) as a grant, Community Investment Fund (CIF) as a
loan from a federation, and Community Enterprise Fund (CEF) only by bank transfer. The amounts,
ages and tiers differ from state to state (the rulebook lists the conflicts under F1–F2), so each
fund's rule is a ``FundRule`` the service loads from dated state settings; this module only
applies it and says, for each refusal, which condition failed and why.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from services.transactions.books.money import Paise, format_rupees, rupees


class FundType(enum.StrEnum):
    """The funds the seeds name; a state adds its own as data with the same fields."""

    RF = "RF"  # Revolving Fund: a one-time grant to the SHG as corpus (F1)
    CIF = "CIF"  # Community Investment Fund: a federation's loan to an SHG or VO (F2)
    VRF = "VRF"  # Vulnerability Reduction Fund, to village-level federations (F3)
    START_UP = "START_UP"  # start-up cost to a VO (F3)
    CEF = "CEF"  # Community Enterprise Fund: enterprise loans, never in cash (F3)


class FundKind(enum.StrEnum):
    GRANT = "GRANT"  # not repaid: booked to a fund corpus
    LOAN = "LOAN"  # repaid on a schedule from the schedule engine


class Tier(enum.StrEnum):
    STATE = "STATE"
    CLF = "CLF"
    VO = "VO"
    SHG = "SHG"


class Mode(enum.StrEnum):
    CASH = "CASH"
    BANK = "BANK"


@dataclass(frozen=True)
class FundRule:
    """One fund's rule in one state, as in force on a date (F1–F3; values are the defaults)."""

    fund: FundType
    kind: FundKind
    recipient: Tier
    lender: Tier | None = None  # for loans: which federation lends (VO or CLF varies by state)
    min_amount: Paise = 0
    max_amount: Paise | None = None
    min_age_days: int = 0  # since formation
    needs_bank_account: bool = False
    needs_grade_passed: bool = False
    once_per_recipient: bool = False
    bank_transfer_only: bool = False  # F3: CEF never in cash
    own_account: bool = False  # F3: CEF kept in its own account, its interest to its corpus

    def __post_init__(self) -> None:
        if self.kind is FundKind.LOAN and self.lender is None:
            raise ValueError(f"{self.fund}: a loan fund names its lender tier")
        above = self.max_amount is not None and self.max_amount < self.min_amount
        if self.min_amount < 0 or above:
            raise ValueError(f"{self.fund}: amount limits are out of order")
        if self.min_age_days < 0:
            raise ValueError(f"{self.fund}: minimum age cannot be negative")


def default_rules() -> dict[FundType, FundRule]:
    """The rulebook's defaults, before a state's own settings override them."""
    return {
        # F1: 3 months, SB account, first grading passed, once per SHG; ₹10,000–15,000 (MC 2021).
        FundType.RF: FundRule(
            fund=FundType.RF,
            kind=FundKind.GRANT,
            recipient=Tier.SHG,
            min_amount=rupees(10_000),
            max_amount=rupees(15_000),
            min_age_days=90,
            needs_bank_account=True,
            needs_grade_passed=True,
            once_per_recipient=True,
        ),
        # F2: lent by the CLF (MSRLS; a state may set VO, as Gujarat); ceiling ₹1.50 lakh per SHG
        # (MoRD advisory 25.11.2021); 6 months after formation.
        FundType.CIF: FundRule(
            fund=FundType.CIF,
            kind=FundKind.LOAN,
            recipient=Tier.SHG,
            lender=Tier.CLF,
            max_amount=rupees(1_50_000),
            min_age_days=180,
            needs_bank_account=True,
            needs_grade_passed=True,
        ),
        FundType.VRF: FundRule(fund=FundType.VRF, kind=FundKind.GRANT, recipient=Tier.VO),
        FundType.START_UP: FundRule(
            fund=FundType.START_UP,
            kind=FundKind.GRANT,
            recipient=Tier.VO,
            max_amount=rupees(25_000),
            once_per_recipient=True,
        ),
        FundType.CEF: FundRule(
            fund=FundType.CEF,
            kind=FundKind.LOAN,
            recipient=Tier.SHG,
            lender=Tier.CLF,
            needs_bank_account=True,
            bank_transfer_only=True,
            own_account=True,
        ),
    }


@dataclass(frozen=True)
class Recipient:
    """What the books and profiles know of a CBO about to receive a fund."""

    tier: Tier
    formed_on: date
    has_bank_account: bool
    grade_passed: bool | None  # None: never graded
    received: Mapping[FundType, int] = field(default_factory=dict)  # earlier releases per fund


@dataclass(frozen=True)
class Refusal:
    """One failed condition: a stable code for clients and a sentence for the bookkeeper."""

    code: str
    field: str
    reason: str


def check_release(
    rule: FundRule, recipient: Recipient, amount: Paise, mode: Mode, on: date
) -> list[Refusal]:
    """Every reason this release would break the fund's rule; empty when it may go ahead."""
    refusals: list[Refusal] = []
    if recipient.tier is not rule.recipient:
        refusals.append(
            Refusal(
                "FUND_WRONG_TIER",
                "recipient",
                f"{rule.fund} goes to a {rule.recipient}, not a {recipient.tier}",
            )
        )
    if amount <= 0:
        refusals.append(Refusal("FUND_AMOUNT_NOT_POSITIVE", "amount", "amount must be positive"))
    elif amount < rule.min_amount:
        refusals.append(
            Refusal(
                "FUND_AMOUNT_BELOW_MINIMUM",
                "amount",
                f"{rule.fund} is at least ₹{format_rupees(rule.min_amount)}",
            )
        )
    elif rule.max_amount is not None and amount > rule.max_amount:
        refusals.append(
            Refusal(
                "FUND_AMOUNT_ABOVE_MAXIMUM",
                "amount",
                f"{rule.fund} is at most ₹{format_rupees(rule.max_amount)}",
            )
        )
    age_days = (on - recipient.formed_on).days
    if age_days < rule.min_age_days:
        refusals.append(
            Refusal(
                "FUND_RECIPIENT_TOO_YOUNG",
                "recipient",
                f"{rule.fund} needs {rule.min_age_days} days since formation; "
                f"this {recipient.tier} is {max(age_days, 0)} days old",
            )
        )
    if rule.needs_bank_account and not recipient.has_bank_account:
        refusals.append(
            Refusal(
                "FUND_NO_BANK_ACCOUNT",
                "recipient",
                f"{rule.fund} needs a savings bank account in the recipient's name",
            )
        )
    if rule.needs_grade_passed and not recipient.grade_passed:
        never = recipient.grade_passed is None
        refusals.append(
            Refusal(
                "FUND_GRADE_NOT_PASSED",
                "recipient",
                f"{rule.fund} needs a passing grade; "
                + ("this group has not been graded" if never else "its last grade did not pass"),
            )
        )
    if rule.once_per_recipient and recipient.received.get(rule.fund, 0) > 0:
        refusals.append(
            Refusal(
                "FUND_ALREADY_RECEIVED",
                "fund",
                f"{rule.fund} is given once; this {recipient.tier} has received it already",
            )
        )
    if rule.bank_transfer_only and mode is not Mode.BANK:
        refusals.append(
            Refusal("FUND_CASH_NOT_ALLOWED", "mode", f"{rule.fund} moves only by bank transfer")
        )
    return refusals
