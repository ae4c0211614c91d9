"""The SHG's loan from its bank (G5–G8): days past due, NPA, prompt payer, and the portal files.

The bank loan is the SHG's liability and is kept apart from the member loans it funds (G7); these
rules read only the bank-loan ledger: its instalments due (term loans), and its statement of
drawals, interest and credits on the bank's own dates (cash credit). Where the rulebook says a
criterion is unverified (the term-loan prompt-payer test, G5) it is a setting with that default.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from services.transactions.books.money import Paise, format_rupees


class Facility(enum.StrEnum):
    TERM_LOAN = "TL"
    CASH_CREDIT = "CC"


class Frequency(enum.StrEnum):
    MONTHLY = "M"
    QUARTERLY = "Q"
    HALF_YEARLY = "H"
    YEARLY = "Y"


@dataclass(frozen=True)
class Instalment:
    due_on: date
    amount: Paise


@dataclass(frozen=True)
class StatementLine:
    """One line of the bank's statement of the loan account (G8 Template-2)."""

    on: date
    particulars: str
    debit: Paise  # drawals, interest and charges: raise the balance owed
    credit: Paise  # repayments: lower it


@dataclass(frozen=True)
class BankLinkagePolicy:
    npa_after_days: int = 90  # G6
    # G5, term loans: instalments paid within this many days of their due date (unverified).
    prompt_within_days: int = 30
    # G5, cash credit: not above the drawing power continuously for more than this many days.
    prompt_over_limit_days: int = 30


def days_past_due(instalments: Sequence[Instalment], repaid: Paise, on: date) -> int:
    """Days since the oldest instalment not covered by what was repaid (paid oldest first)."""
    left = repaid
    for instalment in sorted(instalments, key=lambda i: i.due_on):
        if instalment.due_on > on:
            return 0
        if left >= instalment.amount:
            left -= instalment.amount
            continue
        return (on - instalment.due_on).days
    return 0


def _balances(statement: Iterable[StatementLine], opening: Paise) -> Iterator[tuple[date, Paise]]:
    """The balance owed at the end of each day that has lines, in date order."""
    balance = opening
    lines = sorted(statement, key=lambda line: line.on)
    for index, line in enumerate(lines):
        balance += line.debit - line.credit
        if index + 1 == len(lines) or lines[index + 1].on != line.on:
            yield line.on, balance


def days_over_limit(
    statement: Sequence[StatementLine], opening: Paise, drawing_power: Paise, on: date
) -> int:
    """Days, up to ``on``, the balance has stayed above the drawing power without a break."""
    over_since: date | None = None
    for day, balance in _balances((s for s in statement if s.on <= on), opening):
        over_since = (over_since or day) if balance > drawing_power else None
    return (on - over_since).days if over_since else 0


def cash_credit_out_of_order(
    statement: Sequence[StatementLine],
    opening: Paise,
    drawing_power: Paise,
    on: date,
    policy: BankLinkagePolicy = BankLinkagePolicy(),
) -> list[str]:
    """Why a CC account is "out of order" over the NPA window (G6); empty when it is in order."""
    window_start = on - timedelta(days=policy.npa_after_days)
    reasons = []
    if days_over_limit(statement, opening, drawing_power, on) > policy.npa_after_days:
        reasons.append(f"above the drawing power for more than {policy.npa_after_days} days")
    recent = [s for s in statement if window_start < s.on <= on]
    credits = sum(s.credit for s in recent)
    interest = sum(s.debit for s in recent if s.particulars.upper().startswith("INTEREST"))
    if credits == 0:
        reasons.append(f"no credit in the last {policy.npa_after_days} days")
    elif credits < interest:
        reasons.append(
            f"credits ₹{format_rupees(credits)} do not cover "
            f"the interest ₹{format_rupees(interest)}"
        )
    return reasons


def is_npa(
    facility: Facility,
    on: date,
    *,
    instalments: Sequence[Instalment] = (),
    repaid: Paise = 0,
    statement: Sequence[StatementLine] = (),
    opening: Paise = 0,
    drawing_power: Paise = 0,
    policy: BankLinkagePolicy = BankLinkagePolicy(),
) -> bool:
    """G6: a term loan overdue more than 90 days; a CC account out of order more than 90 days."""
    if facility is Facility.TERM_LOAN:
        return days_past_due(instalments, repaid, on) > policy.npa_after_days
    return bool(cash_credit_out_of_order(statement, opening, drawing_power, on, policy))


def quarter_of(day: date) -> tuple[date, date]:
    """The calendar quarter holding ``day``: its first and last dates."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    end_month = first_month + 3
    end = (
        date(day.year + 1, 1, 1) if end_month > 12 else date(day.year, end_month, 1)
    ) - timedelta(days=1)
    return start, end


def settled_on(
    instalments: Sequence[Instalment], payments: Sequence[tuple[date, Paise]]
) -> list[tuple[Instalment, date | None]]:
    """Each instalment with the date of the payment that completed it (None: still unpaid).

    Payments are applied oldest instalment first, so an arrear is paid before later instalments.
    """
    pending = iter(sorted(payments))
    paid_on: date | None = None
    left: Paise = 0
    result: list[tuple[Instalment, date | None]] = []
    for instalment in sorted(instalments, key=lambda i: i.due_on):
        needed = instalment.amount
        while needed > 0:
            if left == 0:
                payment = next(pending, None)
                if payment is None:
                    break
                paid_on, left = payment
            used = min(needed, left)
            needed -= used
            left -= used
        if instalment.amount == 0:
            result.append((instalment, instalment.due_on))
        else:
            result.append((instalment, paid_on if needed == 0 else None))
    return result


def prompt_payer_term_loan(
    instalments: Sequence[Instalment],
    payments: Sequence[tuple[date, Paise]],
    quarter: tuple[date, date],
    policy: BankLinkagePolicy = BankLinkagePolicy(),
) -> bool:
    """Every instalment due in the quarter was paid within the allowed days of its due date."""
    start, end = quarter
    for instalment, paid in settled_on(instalments, payments):
        if not start <= instalment.due_on <= end:
            continue
        if paid is None or (paid - instalment.due_on).days > policy.prompt_within_days:
            return False
    return True


def prompt_payer_cash_credit(
    statement: Sequence[StatementLine],
    opening: Paise,
    drawing_power: Paise,
    quarter: tuple[date, date],
    policy: BankLinkagePolicy = BankLinkagePolicy(),
) -> bool:
    """G5 for CC: never over the DP more than 30 days running, and a credit in every month."""
    start, end = quarter
    runs: list[tuple[date, date]] = []  # (first day over the DP, first day back within it)
    over_since: date | None = None
    for day, balance in _balances((s for s in statement if s.on <= end), opening):
        if balance > drawing_power:
            over_since = over_since or day
        elif over_since is not None:
            runs.append((over_since, day))
            over_since = None
    if over_since is not None:
        runs.append((over_since, end))
    if any(
        back >= start and (back - first).days > policy.prompt_over_limit_days
        for first, back in runs
    ):
        return False
    months = {(start.year, start.month + i) for i in range(3)}
    credited = {(s.on.year, s.on.month) for s in statement if start <= s.on <= end and s.credit}
    return months <= credited


# --- G8: the NRLM bank-linkage portal's flat files ("|" delimited, dates YYYY-MM-DD) ---


@dataclass(frozen=True)
class PortalLoan:
    """Template-1's fields for one SHG loan account, in the portal's order."""

    loan_account: str
    facility: Facility
    amount_or_dp: Paise
    dated: date  # date of loan, or of the last review for a CC
    moratorium_months: int
    rate_hundredths: int  # per annum, in hundredths of a percent (1150 = 11.50%)
    instalments: int
    instalment_amount: Paise
    frequency: Frequency
    shg_name: str
    village: str
    block: str
    district: str
    pin: str
    sb_account: str
    sb_opened_on: date
    ifsc: str
    capital_subsidy: bool


def _field(value: str) -> str:
    """A field in a pipe file: the delimiter and line breaks cannot appear inside it."""
    if any(ch in value for ch in "|\r\n"):
        raise ValueError(f"a portal field cannot contain '|' or a line break: {value!r}")
    return value


def _rupees(amount: Paise) -> str:
    return format_rupees(amount)


def template1(loans: Iterable[PortalLoan]) -> Iterator[str]:
    """Template-1 (loan data) lines, one per loan account, ready to write with a newline each."""
    for loan in loans:
        rate = f"{loan.rate_hundredths // 100}.{loan.rate_hundredths % 100:02d}"
        yield "|".join(
            _field(value)
            for value in (
                loan.loan_account,
                loan.facility.value,
                _rupees(loan.amount_or_dp),
                loan.dated.isoformat(),
                str(loan.moratorium_months),
                rate,
                str(loan.instalments),
                _rupees(loan.instalment_amount),
                loan.frequency.value,
                loan.shg_name,
                loan.village,
                loan.block,
                loan.district,
                loan.pin,
                loan.sb_account,
                loan.sb_opened_on.isoformat(),
                loan.ifsc,
                "Y" if loan.capital_subsidy else "N",
            )
        )


def template2(
    loan_account: str, ifsc: str, opening: Paise, statement: Sequence[StatementLine]
) -> Iterator[str]:
    """Template-2 (statement) lines with the closing balance after each line."""
    balance = opening
    for line in sorted(statement, key=lambda s: s.on):
        balance += line.debit - line.credit
        yield "|".join(
            _field(value)
            for value in (
                loan_account,
                line.on.isoformat(),
                line.particulars,
                _rupees(line.debit),
                _rupees(line.credit),
                _rupees(balance),
                ifsc,
            )
        )
