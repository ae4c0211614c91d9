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
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

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


# --- dated per-state settings ------------------------------------------------------------------

_RULE_FIELDS = {
    "kind": FundKind,
    "recipient": Tier,
    "lender": Tier,
    "min_amount": int,
    "max_amount": int,
    "min_age_days": int,
    "needs_bank_account": bool,
    "needs_grade_passed": bool,
    "once_per_recipient": bool,
    "bank_transfer_only": bool,
    "own_account": bool,
}


@dataclass(frozen=True)
class FundRules:
    """Each fund's rule as in force on a date: the rulebook's default from the beginning, then a
    state's changes from their dates on (a later change applies on top of the earlier ones)."""

    by_fund: Mapping[FundType, tuple[tuple[date, FundRule], ...]]

    def rule(self, fund: FundType, on: date) -> FundRule:
        rule = None
        for start, candidate in self.by_fund[fund]:
            if start <= on:
                rule = candidate
        assert rule is not None  # the default starts at date.min
        return rule


def fund_rules_from_json(settings: Mapping[str, Any]) -> FundRules:
    """A state's fund settings over the rulebook's defaults, as written in JSON
    (``LOKOS_FUND_RULES``): ``{"RF": [{"from": "2024-04-01", "max_amount": 3000000}],
    "CIF": [{"from": "2020-01-01", "lender": "VO"}]}``. An unknown fund or field, a bad value or
    a rule out of order is a ``ValueError`` naming it (the service does not start)."""
    defaults = default_rules()
    by_fund: dict[FundType, list[tuple[date, FundRule]]] = {
        f: [(date.min, rule)] for f, rule in defaults.items()
    }
    for name, changes in settings.items():
        try:
            fund = FundType(name)
        except ValueError:
            raise ValueError(f"fund rules: unknown fund {name!r}") from None
        if not isinstance(changes, list):
            raise ValueError(f"fund rules {name}: a list of dated changes")
        dated = []
        for i, change in enumerate(changes):
            where = f"fund rules {name}[{i}]"
            if not isinstance(change, Mapping) or "from" not in change:
                raise ValueError(f"{where}: each change names the date it applies from")
            try:
                start = date.fromisoformat(str(change["from"]))
            except ValueError:
                raise ValueError(f"{where}.from: a date as YYYY-MM-DD") from None
            values: dict[str, Any] = {}
            for key, value in change.items():
                if key == "from":
                    continue
                kind = _RULE_FIELDS.get(key)
                if kind is None:
                    raise ValueError(f"{where}: unknown field {key!r}")
                if key in ("max_amount", "lender") and value is None:
                    values[key] = None
                elif kind is bool or kind is int:
                    if type(value) is not kind:
                        wanted = "true or false" if kind is bool else "a whole number"
                        raise ValueError(f"{where}.{key}: {wanted}")
                    values[key] = value
                else:
                    try:
                        values[key] = kind(value)
                    except ValueError:
                        raise ValueError(f"{where}.{key}: not a {kind.__name__}") from None
            dated.append((start, values))
        dated.sort(key=lambda t: t[0])
        for start, values in dated:
            try:
                rule = replace(by_fund[fund][-1][1], **values)
            except ValueError as exc:
                raise ValueError(f"fund rules {name} from {start}: {exc}") from None
            by_fund[fund].append((start, rule))
    return FundRules({f: tuple(rows) for f, rows in by_fund.items()})


# --- who gives what to whom --------------------------------------------------------------------

# The tiers from the top: a federation lends to the tiers below it.
_ORDER = (Tier.STATE, Tier.CLF, Tier.VO, Tier.SHG)

# The fund account of each fund in a CBO's books (F1–F3: each fund its own account).
CORPUS_HEAD: dict[FundType, str] = {
    FundType.RF: "RF_CORPUS",
    FundType.CIF: "CIF_CORPUS",
    FundType.VRF: "VRF_CORPUS",
    FundType.START_UP: "STARTUP_FUND",
    FundType.CEF: "CEF_CORPUS",
}
# A borrower's liability to its lending federation, and its interest expense.
PAYABLE_HEAD: dict[FundType, str] = {FundType.CIF: "CIF_PAYABLE", FundType.CEF: "CEF_PAYABLE"}
INTEREST_HEAD: dict[FundType, str] = {FundType.CIF: "CIF_INTEREST", FundType.CEF: "CEF_INTEREST"}


def lending_refusal(rule: FundRule, giver: Tier, receiver: Tier) -> Refusal | None:
    """F2: a loan fund is held by its lender tier (the CLF by default, the VO where a state says
    so); that tier lends to the tiers below it, and a VO on-lends to its SHGs what it borrowed
    from its CLF. So with the CLF as lender: CLF → VO, CLF → SHG and VO → SHG; with the VO:
    only VO → SHG."""
    if rule.kind is not FundKind.LOAN or rule.lender is None:
        return Refusal("FUND_NOT_A_LOAN", "fund", f"{rule.fund} is a grant, not a loan")
    if giver not in (Tier.CLF, Tier.VO) or _ORDER.index(giver) < _ORDER.index(rule.lender):
        return Refusal(
            "FUND_WRONG_LENDER",
            "giver_id",
            f"{rule.fund} is lent by the {rule.lender} in this state, not by a {giver}",
        )
    if _ORDER.index(receiver) <= _ORDER.index(giver):
        return Refusal(
            "FUND_WRONG_TIER",
            "receiver_id",
            f"a {giver} lends to the tiers below it, not a {receiver}",
        )
    return None
