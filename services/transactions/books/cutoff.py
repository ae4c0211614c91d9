"""The cut-off sheet (I1–I4): a CBO's opening balances when it moves from paper books.

Per member: savings to date and each open loan with its terms and instalments paid (the
remaining schedule is recomputed by the same engine as a new loan, so dues continue seamlessly).
Per CBO: cash, each bank account, funds received (RF, VRF, CEF …), liabilities (CIF, bank loans)
and the accumulated surplus. It must balance — assets = savings + funds + liabilities + surplus —
before it can be submitted; the difference is named when it does not. Its journal entry opens
the ledger.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from services.transactions.books import accounts as acc
from services.transactions.books.accounts import AccountType, Chart, LoanSource
from services.transactions.books.ledger import Balances, JournalEntry, Posting, credit, debit
from services.transactions.books.loans import LoanState, with_instalments_paid
from services.transactions.books.meeting import (
    BankAccount,
    Books,
    FieldError,
    MeetingRefused,
    amount_problem,
)
from services.transactions.books.money import Paise, format_rupees
from services.transactions.books.policy import BookPolicy
from services.transactions.books.schedule import Frequency, LoanTerms, build_schedule


@dataclass(frozen=True)
class CutOffMember:
    member_id: str
    compulsory: Paise = 0
    voluntary: Paise = 0
    compulsory_arrear: Paise = 0


@dataclass(frozen=True)
class CutOffLoan:
    loan_id: str
    member_id: str
    terms: LoanTerms
    instalments_paid: int
    source: LoanSource = LoanSource.OWN_FUNDS


@dataclass(frozen=True)
class CutOffSheet:
    date: dt.date
    last_paper_meeting: int
    cash: Paise
    banks: dict[str, Paise]
    members: tuple[CutOffMember, ...]
    loans: tuple[CutOffLoan, ...] = ()
    funds: dict[str, Paise] = field(default_factory=dict)  # head → amount (RF_CORPUS …)
    liabilities: dict[str, Paise] = field(default_factory=dict)  # head → amount (CIF_PAYABLE …)
    surplus: Paise = 0  # may be negative (accumulated deficit)


@dataclass(frozen=True)
class CutOffResult:
    entry: JournalEntry | None  # None for a new CBO opening at zero
    loans: dict[str, LoanState]
    total_assets: Paise
    total_liabilities_and_funds: Paise


def check_cutoff(sheet: CutOffSheet, chart: Chart, policy: BookPolicy) -> CutOffResult:
    """Validate and balance the sheet; refuse it naming every field at fault and the difference."""
    errors: list[FieldError] = []

    def amount(f: str, value: Paise) -> bool:
        problem = amount_problem(value, policy)
        if problem:
            errors.append(FieldError(f, problem))
        return problem is None

    postings: list[Posting] = []
    assets = 0
    owed = 0
    if amount("cash", sheet.cash) and sheet.cash:
        postings.append(debit(acc.CASH, sheet.cash))
        assets += sheet.cash
    for bank_id, bal in sheet.banks.items():
        if amount(f"banks.{bank_id}", bal) and bal:
            postings.append(debit(acc.BANK, bal, bank_id))
            assets += bal
    seen: set[str] = set()
    for i, m in enumerate(sheet.members):
        if m.member_id in seen:
            errors.append(FieldError(f"members[{i}].member_id", "member appears twice"))
            continue
        seen.add(m.member_id)
        for name, head, value in (
            ("compulsory", acc.COMPULSORY_SAVINGS, m.compulsory),
            ("voluntary", acc.VOLUNTARY_SAVINGS, m.voluntary),
        ):
            if amount(f"members[{i}].{name}", value) and value:
                postings.append(credit(head, value, m.member_id))
                owed += value
    loans: dict[str, LoanState] = {}
    for i, ln in enumerate(sheet.loans):
        f = f"loans[{i}]"
        if ln.member_id not in seen:
            errors.append(FieldError(f"{f}.member_id", f"{ln.member_id} is not on the sheet"))
            continue
        if ln.loan_id in loans:
            errors.append(FieldError(f"{f}.loan_id", "loan appears twice"))
            continue
        if not 0 <= ln.instalments_paid < ln.terms.tenure:
            errors.append(
                FieldError(f"{f}.instalments_paid", "an open loan has instalments left to pay")
            )
            continue
        state = with_instalments_paid(
            LoanState.new(
                ln.loan_id,
                ln.member_id,
                ln.source,
                ln.terms,
                build_schedule(ln.terms, policy.rounding_unit),
            ),
            ln.instalments_paid,
        )
        loans[ln.loan_id] = state
        postings.append(debit(acc.loan_head(ln.source), state.outstanding_principal, ln.loan_id))
        assets += state.outstanding_principal
    for group, kinds in (("funds", (AccountType.FUND,)), ("liabilities", (AccountType.LIABILITY,))):
        values: dict[str, Paise] = getattr(sheet, group)
        for head, value in values.items():
            h = chart.heads.get(head)
            if h is None or h.type not in kinds or h.subledger is not acc.SubLedger.NONE:
                errors.append(FieldError(f"{group}.{head}", f"{head!r} is not a {group[:-1]} head"))
                continue
            if amount(f"{group}.{head}", value) and value:
                postings.append(credit(head, value))
                owed += value
    if type(sheet.surplus) is not int:
        errors.append(FieldError("surplus", "must be a whole number of paise"))
    elif sheet.surplus > 0:
        postings.append(credit(acc.SURPLUS, sheet.surplus))
    elif sheet.surplus < 0:
        postings.append(debit(acc.SURPLUS, -sheet.surplus))
    if errors:
        raise MeetingRefused(errors)
    total_owed = owed + sheet.surplus
    if assets != total_owed:
        raise MeetingRefused(
            [
                FieldError(
                    "surplus",
                    f"the sheet does not balance: assets {format_rupees(assets)}, savings + funds "
                    f"+ liabilities + surplus {format_rupees(total_owed)}, difference "
                    f"{format_rupees(assets - total_owed)}",
                )
            ]
        )
    if not postings and sheet.last_paper_meeting >= policy.cutoff_required_after_meetings:
        # I1: a CBO with this many meetings on paper has savings to bring over; an empty sheet
        # is a new group's (fewer meetings), not an old group's books left behind.
        raise MeetingRefused(
            [
                FieldError(
                    "last_paper_meeting",
                    f"a CBO with {policy.cutoff_required_after_meetings} or more meetings on "
                    "paper brings its balances through the cut-off sheet; this one has none",
                )
            ]
        )
    entry = (
        JournalEntry(
            sheet.date, "CUTOFF", "opening balances from the paper books", tuple(postings), None
        )
        if postings
        else None
    )
    return CutOffResult(entry, loans, assets, total_owed)


def books_from_cutoff(
    sheet: CutOffSheet,
    result: CutOffResult,
    chart: Chart,
    policy: BookPolicy,
    compulsory_amount: Paise,
    bank_accounts: dict[str, BankAccount],
    frequency: Frequency = Frequency.MONTHLY,
) -> Books:
    """The books the first regular meeting after the cut-off opens on."""
    balances = Balances(defaultdict(int))
    if result.entry is not None:
        balances.post(result.entry)
    return Books(
        chart=chart,
        policy=policy,
        balances=balances,
        loans=result.loans,
        active_members=frozenset(m.member_id for m in sheet.members),
        compulsory_amount=compulsory_amount,
        bank_accounts=bank_accounts,
        last_meeting_number=sheet.last_paper_meeting,
        last_meeting_date=sheet.date,
        frequency=frequency,
        cs_arrears={m.member_id: m.compulsory_arrear for m in sheet.members},
    )
