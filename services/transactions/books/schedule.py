"""Loan schedules (C4–C7) and the meeting calendar (A2).

The bookkeeper never types an EMI (T0.2): the schedule is computed from amount, monthly rate, method
and tenure. Rounding follows C6 with the policy's unit: each instalment's interest is the
outstanding at the start of the period × the rate, rounded half-up; the EMI is the exact PMT
rounded half-up; principal = EMI − interest; the last instalment takes the residue, so the
principal column sums to the amount disbursed exactly. Interest accrues per scheduled meeting
period, not per day (C7).
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from dataclasses import dataclass
from fractions import Fraction

from services.transactions.books.money import Paise, round_half_up

RATE_DENOMINATOR = 10_000  # rates are hundredths of a percent per month: 200 = 2.00% a month


class Method(enum.StrEnum):
    DECLINING_EMI = "DECLINING_EMI"  # equal instalments, interest on the declining balance
    EQUAL_PRINCIPAL = "EQUAL_PRINCIPAL"  # equal principal + interest on the declining balance
    FLAT = "FLAT"  # interest on the original principal every period


class Frequency(enum.StrEnum):
    WEEKLY = "WEEKLY"
    FORTNIGHTLY = "FORTNIGHTLY"
    MONTHLY = "MONTHLY"


# Rates are per month (C3); a weekly or fortnightly meeting period carries a share of it.
PERIOD_SHARE_OF_MONTH: dict[Frequency, Fraction] = {
    Frequency.MONTHLY: Fraction(1),
    Frequency.FORTNIGHTLY: Fraction(1, 2),
    Frequency.WEEKLY: Fraction(12, 52),
}


@dataclass(frozen=True)
class Instalment:
    number: int  # 1-based
    due_meeting: int
    due_date: dt.date
    principal: Paise
    interest: Paise
    balance_after: Paise

    @property
    def total(self) -> Paise:
        return self.principal + self.interest


@dataclass(frozen=True)
class LoanTerms:
    amount: Paise
    rate: int  # hundredths of a percent per month
    method: Method
    tenure: int  # number of instalments
    first_due_meeting: int
    first_due_date: dt.date
    frequency: Frequency = Frequency.MONTHLY

    def __post_init__(self) -> None:
        if type(self.amount) is not int or self.amount <= 0:
            raise ValueError("amount must be positive whole paise")
        if self.rate < 0 or self.rate > RATE_DENOMINATOR:
            raise ValueError("rate must be between 0 and 100% a month")
        if self.tenure < 1:
            raise ValueError("tenure must be at least one instalment")

    @property
    def period_rate(self) -> Fraction:
        return Fraction(self.rate, RATE_DENOMINATOR) * PERIOD_SHARE_OF_MONTH[self.frequency]


def add_months(d: dt.date, months: int) -> dt.date:
    """Same day of the month ``months`` later, clamped to the month's last day."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def meeting_date(first: dt.date, frequency: Frequency, k: int) -> dt.date:
    """The expected date of the k-th meeting after ``first`` (k = 0 is ``first``)."""
    if frequency is Frequency.MONTHLY:
        return add_months(first, k)
    days = 7 if frequency is Frequency.WEEKLY else 14
    return first + dt.timedelta(days=days * k)


def exact_pmt(amount: Paise, r: Fraction, n: int) -> Fraction:
    """EMI = P·r / (1 − (1+r)^−n), exactly (C5); P/n when the rate is zero."""
    if r == 0:
        return Fraction(amount, n)
    growth = (1 + r) ** n
    return amount * r * growth / (growth - 1)


def build_schedule(terms: LoanTerms, unit: Paise) -> list[Instalment]:
    """The schedule of a loan under C4–C7 with rounding unit ``unit`` (C6)."""
    r = terms.period_rate
    n = terms.tenure
    amount = terms.amount
    emi = round_half_up(exact_pmt(amount, r, n), unit)
    equal_principal = round_half_up(Fraction(amount, n), unit)
    flat_total_interest = round_half_up(amount * r * n, unit)

    rows: list[Instalment] = []
    balance = amount
    flat_paid = 0
    for k in range(1, n + 1):
        last = k == n
        if terms.method is Method.FLAT:
            # cumulative rounding: never more than the flat total, never negative
            interest = round_half_up(Fraction(flat_total_interest * k, n), unit) - flat_paid
            flat_paid += interest
            principal = balance if last else min(equal_principal, balance)
        else:
            interest = round_half_up(balance * r, unit)
            if last:
                principal = balance
            elif terms.method is Method.DECLINING_EMI:
                principal = min(max(emi - interest, 0), balance)
            else:
                principal = min(equal_principal, balance)
        balance -= principal
        rows.append(
            Instalment(
                number=k,
                due_meeting=terms.first_due_meeting + k - 1,
                due_date=meeting_date(terms.first_due_date, terms.frequency, k - 1),
                principal=principal,
                interest=interest,
                balance_after=balance,
            )
        )
    return rows
