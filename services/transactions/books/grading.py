"""Panchasutra grading computed from the books (K1–K3).

The five rules (K1) become six indicators over the last N periods (K3), each a share between 0 and
1 kept as an exact fraction; the score is their weighted sum on a 0–100 scale. Weights, the
number of periods, the grade bands and the grade that passes are per-state data (K2: scales
differ from state to state), so ``GradingPolicy`` carries them with the rulebook's defaults (an
RGMVP-style 100-point scale: A ≥ 85, B ≥ 75, C below; B or better passes, as banks accept 'A' or
'B'). The grade is returned with every value it was computed from, so it can be stored as such
and explained later.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction


class Indicator(enum.StrEnum):
    """K3's indicators, each computable from an SHG's own books."""

    MEETING_REGULARITY = "MEETING_REGULARITY"  # meetings held ÷ meetings due
    ATTENDANCE = "ATTENDANCE"  # Σ present ÷ Σ members
    SAVINGS_REGULARITY = "SAVINGS_REGULARITY"  # members paying full compulsory savings ÷ members
    INTERNAL_LENDING = "INTERNAL_LENDING"  # lent in the periods ÷ corpus (rotation of funds)
    REPAYMENT = "REPAYMENT"  # collected against demand ÷ demand (R6)
    BOOKS_UP_TO_DATE = "BOOKS_UP_TO_DATE"  # meetings approved within the allowed days ÷ held


DEFAULT_WEIGHTS: Mapping[Indicator, int] = {
    Indicator.MEETING_REGULARITY: 20,
    Indicator.ATTENDANCE: 15,
    Indicator.SAVINGS_REGULARITY: 20,
    Indicator.INTERNAL_LENDING: 15,
    Indicator.REPAYMENT: 20,
    Indicator.BOOKS_UP_TO_DATE: 10,
}


@dataclass(frozen=True)
class GradingPolicy:
    """One state's grading scale, as in force on a date."""

    periods: int = 6
    weights: Mapping[Indicator, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    # (grade, minimum score out of 100), best first; the last band is the floor.
    bands: tuple[tuple[str, int], ...] = (("A", 85), ("B", 75), ("C", 0))
    passing_grades: frozenset[str] = frozenset({"A", "B"})
    # Internal lending counts as full once this share of the corpus is lent over the periods.
    full_rotation: Fraction = Fraction(1, 2)
    # K3 "books up-to-date": a meeting approved within this many days of its date.
    books_within_days: int = 15

    def __post_init__(self) -> None:
        if self.periods < 1:
            raise ValueError("periods must be at least 1")
        if set(self.weights) != set(Indicator):
            raise ValueError("weights must name every indicator once")
        if any(weight < 0 for weight in self.weights.values()):
            raise ValueError("weights cannot be negative")
        if sum(self.weights.values()) != 100:
            raise ValueError("weights must add up to 100")
        floors = [floor for _, floor in self.bands]
        if not floors or floors != sorted(floors, reverse=True) or floors[-1] != 0:
            raise ValueError("bands must be best first and end at a floor of 0")
        if not self.passing_grades <= {grade for grade, _ in self.bands}:
            raise ValueError("passing grades must be bands")
        if self.full_rotation <= 0:
            raise ValueError("full_rotation must be positive")


@dataclass(frozen=True)
class PeriodBooks:
    """What one period's books say, the facts the indicators are computed from."""

    meetings_due: int
    meetings_held: int
    attendance_present: int  # Σ over the period's meetings of members present
    attendance_expected: int  # Σ over the period's meetings of active members
    members: int  # active members in the period
    members_full_savings: int  # members who paid their full compulsory savings in the period
    lent: int  # paise disbursed as internal loans in the period
    corpus: int  # paise: the SHG's own corpus (savings + RF + surplus) at the period's end
    demand: int  # paise due from members on loans in the period (R6 demand)
    collected_against_demand: int  # paise collected against that demand
    meeting_dates: tuple[date, ...] = ()
    approval_dates: tuple[date | None, ...] = ()  # per meeting; None = not approved yet

    def __post_init__(self) -> None:
        counts = (
            self.meetings_due,
            self.meetings_held,
            self.attendance_present,
            self.attendance_expected,
            self.members,
            self.members_full_savings,
            self.lent,
            self.corpus,
            self.demand,
            self.collected_against_demand,
        )
        if any(value < 0 for value in counts):
            raise ValueError("period figures cannot be negative")
        if self.attendance_present > self.attendance_expected:
            raise ValueError("more present than expected")
        if self.members_full_savings > self.members:
            raise ValueError("more members saving than members")
        if len(self.approval_dates) != len(self.meeting_dates):
            raise ValueError("one approval date (or None) per meeting date")


@dataclass(frozen=True)
class Grade:
    """A grade with the values it was computed from (K3: stored with the parameters used)."""

    grade: str
    score: Fraction  # 0–100
    passed: bool
    indicators: Mapping[Indicator, Fraction]  # each 0–1
    weights: Mapping[Indicator, int]
    periods: int

    @property
    def score_hundredths(self) -> int:
        """The score to two decimals, half-up, as stored and shown (e.g. 8125 = 81.25)."""
        scaled = self.score * 100
        return int(scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)


def _share(part: int, whole: int) -> Fraction:
    """part ÷ whole capped to [0, 1]; nothing due counts as fully met (no demand, no default)."""
    if whole == 0:
        return Fraction(1)
    return min(Fraction(part, whole), Fraction(1))


def indicators(books: Sequence[PeriodBooks], policy: GradingPolicy) -> dict[Indicator, Fraction]:
    """The six K3 indicators over the last ``policy.periods`` periods (``books`` oldest first)."""
    if not books:
        raise ValueError("grading needs at least one period of books")
    window = list(books)[-policy.periods :]
    held = sum(p.meetings_held for p in window)
    members = sum(p.members for p in window)
    last_corpus = window[-1].corpus
    approved_in_time = sum(
        1
        for p in window
        for held_on, approved_on in zip(p.meeting_dates, p.approval_dates, strict=True)
        if approved_on is not None and (approved_on - held_on).days <= policy.books_within_days
    )
    dated = sum(len(p.meeting_dates) for p in window)
    rotation = Fraction(sum(p.lent for p in window), last_corpus) if last_corpus else Fraction(0)
    return {
        Indicator.MEETING_REGULARITY: _share(held, sum(p.meetings_due for p in window)),
        Indicator.ATTENDANCE: _share(
            sum(p.attendance_present for p in window), sum(p.attendance_expected for p in window)
        ),
        Indicator.SAVINGS_REGULARITY: _share(sum(p.members_full_savings for p in window), members),
        Indicator.INTERNAL_LENDING: min(rotation / policy.full_rotation, Fraction(1)),
        Indicator.REPAYMENT: _share(
            sum(p.collected_against_demand for p in window), sum(p.demand for p in window)
        ),
        # No dated meeting in the window: the books cannot be up to date.
        Indicator.BOOKS_UP_TO_DATE: (Fraction(approved_in_time, dated) if dated else Fraction(0)),
    }


def grade(books: Sequence[PeriodBooks], policy: GradingPolicy) -> Grade:
    """Grade an SHG from its books under its state's policy."""
    values = indicators(books, policy)
    score = sum((values[i] * policy.weights[i] for i in Indicator), Fraction(0))
    letter = next(name for name, floor in policy.bands if score >= floor)
    return Grade(
        grade=letter,
        score=score,
        passed=letter in policy.passing_grades,
        indicators=values,
        weights=dict(policy.weights),
        periods=min(policy.periods, len(books)),
    )
