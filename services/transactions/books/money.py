"""Money as integer paise, and the one rounding rule the books use (half-up, C6)."""

from __future__ import annotations

from fractions import Fraction

Paise = int
"""An amount in paise. Never a float: ₹1 = 100 paise."""

RUPEE: Paise = 100


def rupees(amount: int) -> Paise:
    """Whole rupees → paise (tests and settings read better in rupees)."""
    return amount * RUPEE


def round_half_up(value: Fraction, unit: Paise) -> Paise:
    """Round an exact amount in paise to a multiple of ``unit`` paise, halves away from zero.

    ``unit`` is the book's rounding unit (100 = whole rupees, C6; 1 = books kept in paise).
    """
    if unit <= 0:
        raise ValueError("rounding unit must be positive")
    steps = value / unit
    sign = -1 if steps < 0 else 1
    magnitude = abs(steps)
    whole = magnitude.numerator // magnitude.denominator
    if magnitude - whole >= Fraction(1, 2):
        whole += 1
    return sign * whole * unit


def format_rupees(amount: Paise) -> str:
    """₹ text for error messages: 1234567 → '12345.67'."""
    sign = "-" if amount < 0 else ""
    whole, paise = divmod(abs(amount), RUPEE)
    return f"{sign}{whole}.{paise:02d}"
