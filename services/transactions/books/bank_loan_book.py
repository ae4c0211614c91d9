"""The SHG's bank loan in its own books (G2, G5–G7): entries, statement and standing.

A drawal is money the bank puts in the SHG's SB account against the loan: debit the SB account,
credit the bank-loan liability (``BANK_LOAN``). A repayment goes out of the SB account: the
principal part lowers the liability, the interest part is the SHG's expense
(``BANK_LOAN_INTEREST``). The loans the SHG makes to its members out of this money stay in
their own ledgers (``LOAN_BANK_TL`` / ``LOAN_BANK_CCL``, G7): the liability to the bank and the
members' debts to the SHG are never netted. Both facilities use the same ledger; only the
standing differs (term loan: instalments and days past due; cash credit: drawing power and
"out of order", G6).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from services.transactions.books import accounts as acc
from services.transactions.books.bank_linkage import (
    BankLinkagePolicy,
    Facility,
    Frequency,
    Instalment,
    StatementLine,
    cash_credit_out_of_order,
    days_past_due,
    prompt_payer_cash_credit,
    prompt_payer_term_loan,
    quarter_of,
)
from services.transactions.books.ledger import JournalEntry, credit, debit
from services.transactions.books.money import Paise
from services.transactions.books.schedule import add_months

BANK_LOAN = "BANK_LOAN"
BANK_LOAN_INTEREST = "BANK_LOAN_INTEREST"
DISBURSAL, REPAYMENT = "DISBURSAL", "REPAYMENT"
_MONTHS = {
    Frequency.MONTHLY: 1,
    Frequency.QUARTERLY: 3,
    Frequency.HALF_YEARLY: 6,
    Frequency.YEARLY: 12,
}


def disbursal_entry(on: dt.date, sb: str, amount: Paise, loan_account: str) -> JournalEntry:
    return JournalEntry(
        on,
        "BANK_LOAN_DISBURSAL",
        f"bank loan {loan_account} drawn",
        (debit(acc.BANK, amount, sb), credit(BANK_LOAN, amount)),
    )


def repayment_entry(
    on: dt.date, sb: str, principal: Paise, interest: Paise, loan_account: str
) -> JournalEntry:
    postings = []
    if principal:
        postings.append(debit(BANK_LOAN, principal))
    if interest:
        postings.append(debit(BANK_LOAN_INTEREST, interest))
    postings.append(credit(acc.BANK, principal + interest, sb))
    return JournalEntry(
        on, "BANK_LOAN_REPAYMENT", f"bank loan {loan_account} repaid", tuple(postings)
    )


def instalments(
    first_due_on: dt.date, frequency: Frequency, count: int, amount: Paise
) -> list[Instalment]:
    """A term loan's instalments as sanctioned (equal amounts at the sanctioned frequency)."""
    step = _MONTHS[frequency]
    return [Instalment(add_months(first_due_on, step * k), amount) for k in range(count)]


@dataclass(frozen=True)
class Line:
    """A stored disbursal or repayment."""

    on: dt.date
    kind: str
    particulars: str
    principal: Paise
    interest: Paise


def statement(lines: Sequence[Line]) -> list[StatementLine]:
    """The bank's statement of the loan account: drawals and interest debited, repayments
    credited (so the balance is the principal owed)."""
    out = []
    for line in sorted(lines, key=lambda x: x.on):
        if line.kind == DISBURSAL:
            out.append(StatementLine(line.on, line.particulars, line.principal, 0))
            continue
        if line.interest:
            out.append(StatementLine(line.on, "INTEREST", line.interest, 0))
        out.append(StatementLine(line.on, line.particulars, 0, line.principal + line.interest))
    return out


def complete_quarters(start: dt.date, as_of: dt.date) -> list[tuple[tuple[dt.date, dt.date], str]]:
    """Calendar quarters from the one holding ``start`` that ended on or before ``as_of``."""
    out = []
    first, last = quarter_of(start)
    while last <= as_of:
        out.append(((first, last), f"{first.year}-Q{(first.month - 1) // 3 + 1}"))
        first, last = quarter_of(last + dt.timedelta(days=1))
    return out


@dataclass(frozen=True)
class Standing:
    disbursed: Paise
    outstanding: Paise
    days_past_due: int
    npa: bool
    out_of_order: tuple[str, ...]
    prompt_payer: tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class Terms:
    facility: Facility
    sanctioned_on: dt.date
    drawing_power: Paise
    frequency: Frequency
    first_due_on: dt.date | None
    instalments: int
    instalment_amount: Paise


def standing(
    terms: Terms,
    lines: Sequence[Line],
    as_of: dt.date,
    policy: BankLinkagePolicy | None = None,
) -> Standing:
    """The loan as of a date: what is owed, days past due, NPA (G6), prompt payer per quarter."""
    policy = policy or BankLinkagePolicy()
    upto = [x for x in lines if x.on <= as_of]
    disbursed = sum(x.principal for x in upto if x.kind == DISBURSAL)
    outstanding = disbursed - sum(x.principal for x in upto if x.kind == REPAYMENT)
    payments = [(x.on, x.principal + x.interest) for x in upto if x.kind == REPAYMENT]
    quarters = complete_quarters(terms.sanctioned_on, as_of)
    if terms.facility is Facility.TERM_LOAN:
        due = (
            instalments(
                terms.first_due_on, terms.frequency, terms.instalments, terms.instalment_amount
            )
            if terms.first_due_on
            else []
        )
        dpd = days_past_due(due, sum(p for _, p in payments), as_of) if outstanding else 0
        return Standing(
            disbursed,
            outstanding,
            dpd,
            dpd > policy.npa_after_days,
            (),
            tuple((name, prompt_payer_term_loan(due, payments, q, policy)) for q, name in quarters),
        )
    lines_ = statement(upto)
    drawn = [x.on for x in upto if x.kind == DISBURSAL]
    # An account drawn for less than the NPA window cannot yet have been out of order that long.
    judged = outstanding > 0 and bool(drawn) and (as_of - min(drawn)).days > policy.npa_after_days
    reasons = (
        tuple(cash_credit_out_of_order(lines_, 0, terms.drawing_power, as_of, policy))
        if judged
        else ()
    )
    return Standing(
        disbursed,
        outstanding,
        0,
        bool(reasons),
        reasons,
        tuple(
            (name, prompt_payer_cash_credit(lines_, 0, terms.drawing_power, q, policy))
            for q, name in quarters
        ),
    )


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def eligibility(
    active_since: dt.date | None,
    on: dt.date,
    grade: str | None,
    passed: bool | None,
    npa_loans: Sequence[str],
    min_months: int = 6,
) -> list[Refusal]:
    """G1: why the SHG is not yet eligible for a bank loan on ``on`` (empty: eligible).

    In active existence for ``min_months`` as per its books (not from the SB account's opening),
    qualified by its latest grade (K2: "grading norms"), and no loan of it irregular now (G2:
    "in case of irregular repayment at any stage, next doses will not be disbursed").
    """
    refusals = []
    if active_since is None or add_months(active_since, min_months) > on:
        since = active_since.isoformat() if active_since else "no date in its books"
        refusals.append(
            Refusal(
                "too_young",
                f"in active existence for less than {min_months} months as per its books "
                f"(since {since})",
            )
        )
    if grade is None:
        refusals.append(Refusal("not_graded", "no grade computed from its books on or before"))
    elif not passed:
        refusals.append(Refusal("grade_not_passed", f"its latest grade, {grade}, does not pass"))
    for account in npa_loans:
        refusals.append(Refusal("npa", f"bank loan {account} is a non-performing asset (G6)"))
    return refusals
