"""Grading as data (K2–K3): a state's ``GradingPolicy`` from JSON, the months a grade looks at,
the meetings due in each, and the figures a stored grade carries.

A period is a calendar month: the rulebook's windows are months ("the last 3-6 months",
CIF-INTERIM) and every frequency fits in one. A grade as of a date looks at the last N complete
months on or before it, and never at months before the books' first expected meeting — a young
SHG is graded over the months it has had (``Grade.periods`` says how many).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from services.transactions.books.grading import (
    DEFAULT_WEIGHTS,
    Grade,
    GradingPolicy,
    Indicator,
    PeriodBooks,
)
from services.transactions.books.schedule import Frequency, meeting_date


def policy_from_json(
    overrides: Mapping[str, Any], base: GradingPolicy | None = None
) -> GradingPolicy:
    """``base`` (the rulebook's defaults when None) with a state's settings on top, as written in
    JSON (LOKOS_GRADING_POLICY). An unknown setting or a bad value is a ``ValueError`` naming it."""
    base = base or GradingPolicy()
    known = {
        "periods",
        "weights",
        "bands",
        "passing_grades",
        "full_rotation",
        "books_within_days",
    }
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown grading settings: {', '.join(unknown)}")
    values: dict[str, Any] = {
        "periods": base.periods,
        "weights": dict(base.weights),
        "bands": base.bands,
        "passing_grades": base.passing_grades,
        "full_rotation": base.full_rotation,
        "books_within_days": base.books_within_days,
    }
    for name, value in overrides.items():
        try:
            if name in ("periods", "books_within_days"):
                if type(value) is not int:
                    raise TypeError("a whole number")
                values[name] = value
            elif name == "weights":
                if not isinstance(value, dict):
                    raise TypeError("an object of indicator → weight")
                weights = dict(DEFAULT_WEIGHTS)
                for key, weight in value.items():
                    if type(weight) is not int:
                        raise TypeError(f"{key}: a whole number")
                    weights[Indicator(key)] = weight
                values[name] = weights
            elif name == "bands":
                if not isinstance(value, list) or not all(
                    isinstance(b, list) and len(b) == 2 and isinstance(b[0], str) for b in value
                ):
                    raise TypeError('a list of ["grade", minimum score]')
                values[name] = tuple((str(b[0]), int(b[1])) for b in value)
            elif name == "passing_grades":
                if not isinstance(value, list) or not all(isinstance(g, str) for g in value):
                    raise TypeError("a list of grades")
                values[name] = frozenset(value)
            else:  # full_rotation: a fraction as text ("1/2") or a number
                values[name] = Fraction(str(value))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"grading setting {name}: {exc}") from None
    try:
        return GradingPolicy(**values)
    except ValueError as exc:
        raise ValueError(f"grading settings: {exc}") from None


def policy_to_json(policy: GradingPolicy) -> dict[str, Any]:
    """The policy as stored with a grade (K3: the parameters used)."""
    return {
        "period": "calendar month",
        "periods": policy.periods,
        "weights": {i.value: policy.weights[i] for i in Indicator},
        "bands": [[g, floor] for g, floor in policy.bands],
        "passing_grades": sorted(policy.passing_grades),
        "full_rotation": str(policy.full_rotation),
        "books_within_days": policy.books_within_days,
    }


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def shift_month(month: dt.date, months: int) -> dt.date:
    y, m = divmod(month.month - 1 + months, 12)
    return dt.date(month.year + y, m + 1, 1)


def last_complete_month(as_of: dt.date) -> dt.date:
    """The first day of the last calendar month that has ended on or before ``as_of``."""
    first = as_of.replace(day=1)
    return first if as_of == month_end(as_of) else shift_month(first, -1)


def window(as_of: dt.date, periods: int) -> list[dt.date]:
    """The first days of the last ``periods`` complete months on or before ``as_of``."""
    last = last_complete_month(as_of)
    return [shift_month(last, k - periods + 1) for k in range(periods)]


def meetings_due(
    anchor: dt.date, frequency: Frequency, months: list[dt.date]
) -> dict[dt.date, int]:
    """Meetings expected in each of ``months`` (first days, in order) from the books' opening
    date (the cut-off) at the book's frequency: its k-th meeting after the opening, k ≥ 1 (A2)."""
    due = dict.fromkeys(months, 0)
    if not months:
        return due
    end = month_end(months[-1])
    k = 1
    while (day := meeting_date(anchor, frequency, k)) <= end:
        first = day.replace(day=1)
        if first in due:
            due[first] += 1
        k += 1
    return due


def graded_months(
    anchor: dt.date, frequency: Frequency, as_of: dt.date, periods: int
) -> list[dt.date]:
    """The window's months from the one holding the first expected meeting on."""
    first_due = meeting_date(anchor, frequency, 1)
    return [m for m in window(as_of, periods) if month_end(m) >= first_due]


def hundredths(value: Fraction) -> str:
    """A fraction to two decimals, half-up, as text ("84.02")."""
    scaled = value * 100
    cents = int(scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)
    return f"{cents // 100}.{cents % 100:02d}"


def figures(books: list[PeriodBooks], policy: GradingPolicy) -> dict[Indicator, tuple[int, int]]:
    """Each indicator's numerator and denominator over the window, as the books gave them."""
    w = books[-policy.periods :]
    dated = sum(len(p.meeting_dates) for p in w)
    in_time = sum(
        1
        for p in w
        for held, approved in zip(p.meeting_dates, p.approval_dates, strict=True)
        if approved is not None and (approved - held).days <= policy.books_within_days
    )
    return {
        Indicator.MEETING_REGULARITY: (
            sum(p.meetings_held for p in w),
            sum(p.meetings_due for p in w),
        ),
        Indicator.ATTENDANCE: (
            sum(p.attendance_present for p in w),
            sum(p.attendance_expected for p in w),
        ),
        Indicator.SAVINGS_REGULARITY: (
            sum(p.members_full_savings for p in w),
            sum(p.members for p in w),
        ),
        Indicator.INTERNAL_LENDING: (sum(p.lent for p in w), w[-1].corpus),
        Indicator.REPAYMENT: (
            sum(p.collected_against_demand for p in w),
            sum(p.demand for p in w),
        ),
        Indicator.BOOKS_UP_TO_DATE: (in_time, dated),
    }


def indicators_json(
    result: Grade, counts: Mapping[Indicator, tuple[int, int]]
) -> dict[str, dict[str, Any]]:
    """What ``cbo_grade.indicators`` holds per indicator: the exact share, its percent, the
    weight, the points it earned and the books' figures behind it."""
    out: dict[str, dict[str, Any]] = {}
    for ind in Indicator:
        value = result.indicators[ind]
        num, den = counts[ind]
        out[ind.value] = {
            "value": str(value),
            "percent": hundredths(value * 100),
            "weight": result.weights[ind],
            "points": hundredths(value * result.weights[ind]),
            "numerator": num,
            "denominator": den,
        }
    return out
