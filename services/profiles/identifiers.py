"""Members' identifiers: normalise, check, mask, and hash with a key.

Aadhaar is never stored, logged or returned in full: profiles keeps ``mask_aadhaar`` for
display and ``keyed_hash("aadhaar", …)`` for matching. Bank account numbers likewise (the
hash covers account + IFSC). The key is the state's identifier key (configuration), so a
hash is worthless outside the instance that made it.
"""

from __future__ import annotations

import hashlib
import hmac
import re

# Verhoeff tables (dihedral group D5), as UIDAI uses for Aadhaar's check digit.
_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)

_SPACES = re.compile(r"[\s\-]")
_IFSC = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")
_VOTER_ID = re.compile(r"^[A-Z]{3}[0-9]{7}$")
_MOBILE = re.compile(r"^[6-9][0-9]{9}$")
_ACCOUNT = re.compile(r"^[0-9]{9,18}$")


def verhoeff_valid(digits: str) -> bool:
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _D[c][_P[i % 8][int(ch)]]
    return c == 0


def verhoeff_check_digit(digits: str) -> str:
    """The digit to append to ``digits`` (for test data and synthetic members)."""
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _D[c][_P[(i + 1) % 8][int(ch)]]
    return str(_INV[c])


def normalise_digits(value: str) -> str:
    return _SPACES.sub("", value or "")


def aadhaar_valid(value: str) -> bool:
    """12 digits, not starting with 0 or 1, with a correct Verhoeff check digit."""
    digits = normalise_digits(value)
    return (
        len(digits) == 12 and digits.isdigit() and digits[0] not in "01" and verhoeff_valid(digits)
    )


def mask_aadhaar(value: str) -> str:
    digits = normalise_digits(value)
    return f"XXXX XXXX {digits[-4:]}" if len(digits) >= 4 else ""


def normalise_account(value: str) -> str:
    """Spaces and dashes out; leading zeros kept (they are part of many account numbers)."""
    return normalise_digits(value)


def account_valid(value: str) -> bool:
    return bool(_ACCOUNT.match(normalise_account(value)))


def mask_account(value: str) -> str:
    digits = normalise_account(value)
    return ("X" * (len(digits) - 4) + digits[-4:]) if len(digits) > 4 else ""


def mask_tail(value: str) -> str:
    """All but the last four characters hidden: how a mobile number or voter ID travels on the
    event bus (``XXXXXX3210``), where everything but the owning service sees it."""
    text = (value or "").strip()
    return "X" * (len(text) - 4) + text[-4:] if len(text) > 4 else "X" * len(text)


def normalise_ifsc(value: str) -> str:
    return (value or "").strip().upper()


def ifsc_valid(value: str) -> bool:
    return bool(_IFSC.match(normalise_ifsc(value)))


def normalise_voter_id(value: str) -> str:
    return _SPACES.sub("", value or "").upper()


def voter_id_valid(value: str) -> bool:
    return bool(_VOTER_ID.match(normalise_voter_id(value)))


def normalise_mobile(value: str) -> str:
    digits = normalise_digits(value).lstrip("+")
    if len(digits) == 12 and digits.startswith("91"):
        digits = digits[2:]
    elif len(digits) == 11 and digits.startswith("0"):
        digits = digits[1:]
    return digits


def mobile_valid(value: str) -> bool:
    return bool(_MOBILE.match(normalise_mobile(value)))


def keyed_hash(key: bytes, kind: str, value: str) -> str:
    """HMAC-SHA256 of a normalised identifier, bound to its kind ("aadhaar", "bank", …)."""
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


class KeyedHash:
    """:func:`keyed_hash` with the key's inner and outer pads hashed once instead of per
    value: bulk loads hash lakhs of identifiers."""

    def __init__(self, key: bytes) -> None:
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def __call__(self, kind: str, value: str) -> str:
        inner = self._inner.copy()
        inner.update(f"{kind}:{value}".encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


def bank_value(account: str, ifsc: str) -> str:
    """What the bank hash covers. Leading zeros are dropped here (not in the stored mask):
    spreadsheets drop them, and the same account must match however it was typed."""
    return f"{normalise_account(account).lstrip('0')}@{normalise_ifsc(ifsc)}"


def aadhaar_hash(key: bytes, value: str) -> str:
    return keyed_hash(key, "aadhaar", normalise_digits(value))


def bank_hash(key: bytes, account: str, ifsc: str) -> str:
    return keyed_hash(key, "bank", bank_value(account, ifsc))


def voter_id_hash(key: bytes, value: str) -> str:
    return keyed_hash(key, "voter", normalise_voter_id(value))


def mobile_hash(key: bytes, value: str) -> str:
    return keyed_hash(key, "mobile", normalise_mobile(value))
