"""Settings for the rules the rulebook marks [I] (inference) or lists as uncertain (§11).

Each field carries the rulebook's default; a state or an SHG overrides it. The service stores the
effective settings with dates and hands a ``BookPolicy`` to the core, which never guesses.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from services.transactions.books.money import RUPEE, Paise


class Component(enum.StrEnum):
    """The parts of a loan's dues a repayment can pay (C8)."""

    PENALTY = "PENALTY"
    INTEREST = "INTEREST"
    PRINCIPAL = "PRINCIPAL"


class AdvancePolicy(enum.StrEnum):
    """What a payment beyond today's dues does (C9, open in §11).

    NEXT_INSTALMENTS: pays the principal of the coming instalments in due order; the schedule and
    its interest stay as they are (the rulebook's "advance to principal", Fineract's RBI strategy).
    REFUSE: the excess is refused; the bookkeeper records only what is due.
    """

    NEXT_INSTALMENTS = "NEXT_INSTALMENTS"
    REFUSE = "REFUSE"


DEFAULT_ALLOCATION_ORDER: tuple[Component, ...] = (
    Component.PENALTY,
    Component.INTEREST,
    Component.PRINCIPAL,
)


@dataclass(frozen=True)
class BookPolicy:
    """One CBO's book settings, as in force on a date."""

    # C6: books in whole rupees; 1 keeps paise.
    rounding_unit: Paise = RUPEE
    # C8: penalty → interest → principal; within each, overdue instalments before today's.
    allocation_order: tuple[Component, ...] = DEFAULT_ALLOCATION_ORDER
    overdue_first: bool = True
    # C9
    advance_policy: AdvancePolicy = AdvancePolicy.NEXT_INSTALMENTS
    # C3: warn (never block) outside this range of the monthly rate, in hundredths of a percent.
    rate_warning_low: int = 50
    rate_warning_high: int = 300
    # C1: minimum SHG age in days before its first internal loan.
    min_age_for_lending_days: int = 0
    # C12: None = no limit on open loans per member.
    max_open_loans_per_member: int | None = None
    # E3: a CCL account may draw down to its drawing power; cash and SB never go below zero.
    # J2 / seeds/003: meetings conducted offline before an upload.
    max_offline_meetings: int = 4
    # I1: a CBO with at least this many paper meetings starts from a cut-off sheet.
    cutoff_required_after_meetings: int = 12
    # A7: no future-dated meetings or transactions.
    allow_future_dates: bool = False
    # D1 [I]: the fine levied on a member absent without prior intimation, as a receivable she
    # pays when she attends; 0 = the group levies none (LBSNAA: "upto Rs.5 or an amount decided
    # by the group").
    absence_fine: Paise = 0
    # B4: savings go back whole, on exit or share-out; True lets a member withdraw part of them.
    partial_savings_withdrawal: bool = False
    # Penal interest [I] (D1 "penalties for late payment"; C8 pays it first): hundredths of a
    # percent of a loan's overdue principal, levied at each meeting it is overdue; 0 = none.
    penal_rate_per_meeting: int = 0
    # Absurd-amount guard for a single line (₹1 crore): a typo, not a transaction, in an SHG book.
    max_line_amount: Paise = 1_00_00_000 * RUPEE

    def __post_init__(self) -> None:
        if self.rounding_unit <= 0:
            raise ValueError("rounding_unit must be positive")
        if self.penal_rate_per_meeting < 0:
            raise ValueError("penal_rate_per_meeting cannot be negative")
        if self.absence_fine < 0:
            raise ValueError("absence_fine cannot be negative")
        if sorted(self.allocation_order) != sorted(Component):
            raise ValueError("allocation_order must name penalty, interest and principal once each")


def policy_from_json(overrides: Mapping[str, Any], base: BookPolicy | None = None) -> BookPolicy:
    """``base`` (the rulebook's defaults when None) with the given settings on top, as they are
    written in JSON (a state's defaults in its configuration, an SHG's own in its book).
    An unknown setting or a bad value is a ``ValueError`` naming it."""
    known = {f.name for f in fields(BookPolicy)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown book settings: {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for name, value in overrides.items():
        try:
            if name == "allocation_order":
                values[name] = tuple(Component(v) for v in value)
            elif name == "advance_policy":
                values[name] = AdvancePolicy(value)
            elif name in ("overdue_first", "allow_future_dates", "partial_savings_withdrawal"):
                if not isinstance(value, bool):
                    raise TypeError("true or false")
                values[name] = value
            elif name == "max_open_loans_per_member" and value is None:
                values[name] = None
            else:
                if type(value) is not int:
                    raise TypeError("a whole number")
                values[name] = value
        except (TypeError, ValueError) as exc:
            raise ValueError(f"book setting {name}: {exc}") from None
    return replace(base or BookPolicy(), **values)
