"""Panchasutra grading from the books (K3), against hand-computed scores."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest

from services.transactions.books.grading import (
    GradingPolicy,
    Indicator,
    PeriodBooks,
    grade,
    indicators,
)
from services.transactions.books.money import rupees


def _dates(start: date, count: int, approved_after: list[int | None]) -> dict[str, object]:
    held = tuple(start + timedelta(weeks=i) for i in range(count))
    approved = tuple(
        None if days is None else day + timedelta(days=days)
        for day, days in zip(held, approved_after, strict=True)
    )
    return {"meeting_dates": held, "approval_dates": approved}


# A synthetic SHG of 10 members, three months of weekly meetings.
HISTORY = [
    PeriodBooks(
        meetings_due=4,
        meetings_held=4,
        attendance_present=38,
        attendance_expected=40,
        members=10,
        members_full_savings=9,
        lent=rupees(20_000),
        corpus=rupees(1_00_000),
        demand=rupees(5_000),
        collected_against_demand=rupees(5_000),
        **_dates(date(2026, 1, 5), 4, [3, 5, 7, 10]),  # type: ignore[arg-type]
    ),
    PeriodBooks(
        meetings_due=4,
        meetings_held=3,
        attendance_present=27,
        attendance_expected=30,
        members=10,
        members_full_savings=8,
        lent=0,
        corpus=rupees(1_10_000),
        demand=rupees(6_000),
        collected_against_demand=rupees(4_500),
        **_dates(date(2026, 2, 2), 3, [2, 20, 4]),  # type: ignore[arg-type]
    ),
    PeriodBooks(
        meetings_due=4,
        meetings_held=4,
        attendance_present=36,
        attendance_expected=40,
        members=10,
        members_full_savings=10,
        lent=rupees(10_000),
        corpus=rupees(1_20_000),
        demand=rupees(6_000),
        collected_against_demand=rupees(6_000),
        **_dates(date(2026, 3, 2), 4, [1, 1, 15, None]),  # type: ignore[arg-type]
    ),
]


def test_indicators_by_hand() -> None:
    values = indicators(HISTORY, GradingPolicy(periods=3))
    assert values == {
        Indicator.MEETING_REGULARITY: Fraction(11, 12),
        Indicator.ATTENDANCE: Fraction(101, 110),
        Indicator.SAVINGS_REGULARITY: Fraction(27, 30),
        # ₹30,000 lent on a ₹1,20,000 corpus = 1/4, against full rotation at 1/2.
        Indicator.INTERNAL_LENDING: Fraction(1, 2),
        Indicator.REPAYMENT: Fraction(15_500, 17_000),
        # 11 meetings; approved within 15 days: 4 + 2 + 3 (the 15-day one counts, the open one not).
        Indicator.BOOKS_UP_TO_DATE: Fraction(9, 11),
    }


def test_score_and_grade_by_hand() -> None:
    result = grade(HISTORY, GradingPolicy(periods=3))
    # 20·11/12 + 15·101/110 + 20·9/10 + 15·1/2 + 20·31/34 + 10·9/11
    # = 18.3333 + 13.7727 + 18 + 7.5 + 18.2353 + 8.1818 = 84.0232
    assert result.score_hundredths == 8402
    assert result.grade == "B"
    assert result.passed is True
    assert result.periods == 3
    assert result.weights[Indicator.REPAYMENT] == 20


def test_only_the_last_periods_count() -> None:
    # With one period, only March's books are graded: every indicator full except books (2/4)
    # and lending (10,000 / 1,20,000 = 1/12, against 1/2 → 1/6).
    result = grade(HISTORY, GradingPolicy(periods=1))
    assert result.indicators[Indicator.BOOKS_UP_TO_DATE] == Fraction(3, 4)
    assert result.indicators[Indicator.INTERNAL_LENDING] == Fraction(1, 6)
    # 20 + 15·36/40 + 20 + 15/6 + 20 + 10·3/4 = 20 + 13.5 + 20 + 2.5 + 20 + 7.5 = 83.5
    assert result.score == Fraction(167, 2)
    assert result.grade == "B"


def test_a_state_scale_changes_the_grade() -> None:
    strict = GradingPolicy(
        periods=3, bands=(("A", 90), ("B", 85), ("C", 0)), passing_grades=frozenset({"A"})
    )
    result = grade(HISTORY, strict)
    assert (result.grade, result.passed) == ("C", False)


def test_a_group_with_nothing_due_and_no_meetings_recorded() -> None:
    idle = PeriodBooks(
        meetings_due=4,
        meetings_held=0,
        attendance_present=0,
        attendance_expected=0,
        members=10,
        members_full_savings=0,
        lent=0,
        corpus=0,
        demand=0,
        collected_against_demand=0,
    )
    result = grade([idle], GradingPolicy(periods=1))
    assert result.indicators[Indicator.MEETING_REGULARITY] == 0
    assert result.indicators[Indicator.BOOKS_UP_TO_DATE] == 0
    # Nothing was demanded and nobody was expected: those count as met, not as defaults.
    assert result.indicators[Indicator.REPAYMENT] == 1
    assert result.indicators[Indicator.ATTENDANCE] == 1
    assert result.score == 35
    assert result.grade == "C"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"periods": 0}, "periods"),
        ({"weights": {i: 10 for i in Indicator}}, "add up to 100"),
        ({"bands": (("A", 50), ("B", 60), ("C", 0))}, "best first"),
        ({"bands": (("A", 50), ("B", 10))}, "floor of 0"),
        ({"passing_grades": frozenset({"Z"})}, "passing grades"),
    ],
)
def test_a_policy_that_cannot_grade_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GradingPolicy(**kwargs)  # type: ignore[arg-type]


def test_impossible_books_are_refused() -> None:
    with pytest.raises(ValueError, match="more present"):
        PeriodBooks(
            meetings_due=1,
            meetings_held=1,
            attendance_present=11,
            attendance_expected=10,
            members=10,
            members_full_savings=10,
            lent=0,
            corpus=0,
            demand=0,
            collected_against_demand=0,
        )
