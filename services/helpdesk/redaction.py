"""What the help desk may read: text with every number that could be an Aadhaar, a bank
account or a mobile number masked.

Tickets are typed by people, and span errors are written by code; either may carry such a
number. Both are masked before they are stored or shown, keeping only the last four digits
(as a masked Aadhaar does), so the help desk can still tell two numbers apart.
"""

from __future__ import annotations

import re

# Nine or more digits, possibly grouped by spaces or hyphens ("1234 5678 9012"): mobile
# numbers have 10, Aadhaar 12, bank accounts 9 to 18. Shorter codes (LGD codes of blocks
# and villages, PINs) stay readable.
_LONG_NUMBER = re.compile(r"(?<![0-9])(?:[0-9][ -]?){8,}[0-9](?![0-9])")


def _mask(match: re.Match[str]) -> str:
    digits = re.sub(r"[^0-9]", "", match.group(0))
    return "X" * (len(digits) - 4) + digits[-4:]


def mask_numbers(text: str) -> str:
    return _LONG_NUMBER.sub(_mask, text)
