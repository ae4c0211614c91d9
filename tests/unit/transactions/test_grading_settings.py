"""Grading as data (K2–K3): a state's policy from JSON, the months graded, meetings due, and
the figures stored with a grade."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from services.transactions.books.grading import GradingPolicy, Indicator, PeriodBooks, grade
from services.transactions.books.grading_settings import (
    figures,
    graded_months,
    hundredths,
    indicators_json,
    meetings_due,
    policy_from_json,
    policy_to_json,
    window,
)
from services.transactions.books.schedule import Frequency

D = dt.date


def test_a_state_policy_over_the_defaults_and_back() -> None:
    policy = policy_from_json(
        {
            "periods": 3,
            "bands": [["A", 80], ["B", 60], ["C", 0]],
            "passing_grades": ["A"],
            "weights": {"ATTENDANCE": 25, "BOOKS_UP_TO_DATE": 0},
            "full_rotation": "1/3",
        }
    )
    assert policy.periods == 3 and policy.bands == (("A", 80), ("B", 60), ("C", 0))
    assert policy.weights[Indicator.ATTENDANCE] == 25
    assert policy.weights[Indicator.BOOKS_UP_TO_DATE] == 0
    assert policy.full_rotation == Fraction(1, 3)
    stored = policy_to_json(policy)
    assert stored["weights"]["ATTENDANCE"] == 25 and stored["passing_grades"] == ["A"]
    assert policy_to_json(GradingPolicy())["weights"]["MEETING_REGULARITY"] == 20


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"period": 3}, "unknown grading settings: period"),
        ({"periods": "6"}, "grading setting periods"),
        ({"weights": {"ATTENDANCE": 30}}, "weights must add up to 100"),
        ({"weights": {"SMILES": 10}}, "grading setting weights"),
        ({"bands": [["A", 50], ["B", 60], ["C", 0]]}, "bands must be best first"),
        ({"full_rotation": "half"}, "grading setting full_rotation"),
    ],
)
def test_a_bad_setting_is_named(overrides: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        policy_from_json(overrides)


def test_the_window_is_the_last_complete_months() -> None:
    assert window(D(2026, 7, 31), 3) == [D(2026, 5, 1), D(2026, 6, 1), D(2026, 7, 1)]
    # mid-month: July has not ended
    assert window(D(2026, 7, 30), 2) == [D(2026, 5, 1), D(2026, 6, 1)]
    assert window(D(2026, 2, 28), 3) == [D(2025, 12, 1), D(2026, 1, 1), D(2026, 2, 1)]


def test_meetings_due_follow_the_frequency_from_the_opening() -> None:
    months = [D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)]
    assert meetings_due(D(2025, 12, 10), Frequency.MONTHLY, months) == dict.fromkeys(months, 1)
    # weekly from Thursday 1 January 2026: Jan 8, 15, 22, 29; Feb 5, 12, 19, 26; Mar 5 … 26
    assert list(meetings_due(D(2026, 1, 1), Frequency.WEEKLY, months).values()) == [4, 4, 4]
    assert list(meetings_due(D(2026, 1, 1), Frequency.FORTNIGHTLY, months).values()) == [2, 2, 2]


def test_a_young_shg_is_graded_over_the_months_it_had() -> None:
    # opened 20 May, monthly: the first meeting is due 20 June
    months = graded_months(D(2026, 5, 20), Frequency.MONTHLY, D(2026, 7, 31), 6)
    assert months == [D(2026, 6, 1), D(2026, 7, 1)]
    assert graded_months(D(2026, 7, 20), Frequency.MONTHLY, D(2026, 7, 31), 6) == []


def test_hundredths_round_half_up() -> None:
    assert hundredths(Fraction(2960, 39)) == "75.90"
    assert hundredths(Fraction(1, 200)) == "0.01"
    assert hundredths(Fraction(100)) == "100.00"


def test_the_figures_stored_with_a_grade() -> None:
    books = [
        PeriodBooks(1, 1, 3, 3, 3, 3, 0, 100, 0, 0, (D(2026, 1, 5),), (D(2026, 1, 9),)),
        PeriodBooks(1, 0, 0, 0, 0, 0, 50, 150, 40, 30),
    ]
    policy = GradingPolicy()
    counts = figures(books, policy)
    assert counts[Indicator.MEETING_REGULARITY] == (1, 2)
    assert counts[Indicator.INTERNAL_LENDING] == (50, 150)
    assert counts[Indicator.REPAYMENT] == (30, 40)
    assert counts[Indicator.BOOKS_UP_TO_DATE] == (1, 1)
    stored = indicators_json(grade(books, policy), counts)
    assert stored["MEETING_REGULARITY"] == {
        "value": "1/2",
        "percent": "50.00",
        "weight": 20,
        "points": "10.00",
        "numerator": 1,
        "denominator": 2,
    }
    assert stored["INTERNAL_LENDING"]["value"] == "2/3"  # (50/150) ÷ (1/2)
