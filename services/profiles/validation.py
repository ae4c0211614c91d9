"""Field rules of member and SHG/VO/CLF profiles: pure functions from input to field errors.

Each function takes the fields a client sent (``None``: not given) and returns every invalid
field once, with a stable code (:class:`services.profiles.messages.Code`) and a message in the
request's language (:func:`lokos.i18n.language`). Text values are judged after trimming, and
identifiers after the normalisation of :mod:`services.profiles.identifiers`: the service stores
them in that form. A blank optional field clears it and is valid; a name can never be blank.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date, datetime

from lokos.errors import FieldError
from services.profiles import identifiers
from services.profiles.messages import LABELS, MESSAGES, Code

GENDERS = frozenset({"F", "M", "T"})
SOCIAL_CATEGORIES = frozenset({"SC", "ST", "OBC", "GEN", "OTH"})
RELATIONS = frozenset(
    {"HUSBAND", "FATHER", "MOTHER", "SON", "DAUGHTER", "BROTHER", "SISTER", "OTHER"}
)
LEAVING_REASONS = frozenset({"death", "migration", "marriage", "voluntary", "other"})
SHG_TYPES = frozenset({"general", "elderly", "pwd", "pvtg", "other"})

MIN_MEMBER_AGE = 18
MAX_MEMBER_AGE = 100
# No SHG of the programme was formed before this date; earlier dates are typing mistakes.
EARLIEST_FORMATION = date(1990, 1, 1)
NAME_MIN = 2
MEMBER_NAME_MAX = 100
CBO_NAME_MAX = 200
HOUSEHOLD_CODE_MAX = 32

LATIN = "Latin"
# Unicode blocks of the scripts names are written in: Latin, and the Indian scripts of the
# programme's states (Bengali also writes Assamese; Devanagari writes Hindi, Marathi, Nepali…).
_SCRIPT_BLOCKS: tuple[tuple[int, int, str], ...] = (
    (0x0041, 0x005A, LATIN),
    (0x0061, 0x007A, LATIN),
    (0x00C0, 0x024F, LATIN),
    (0x1E00, 0x1EFF, LATIN),  # Latin Extended Additional: ṣ ṇ ṭ ḍ of transliterated names
    (0x0900, 0x097F, "Devanagari"),
    (0xA8E0, 0xA8FF, "Devanagari"),
    (0x0980, 0x09FF, "Bengali"),
    (0x0A00, 0x0A7F, "Gurmukhi"),
    (0x0A80, 0x0AFF, "Gujarati"),
    (0x0B00, 0x0B7F, "Oriya"),
    (0x0B80, 0x0BFF, "Tamil"),
    (0x0C00, 0x0C7F, "Telugu"),
    (0x0C80, 0x0CFF, "Kannada"),
    (0x0D00, 0x0D7F, "Malayalam"),
)
# Zero-width (non-)joiners shape conjuncts in Indian scripts; they belong to no script.
_JOINERS = frozenset("\u200c\u200d")
# ’ is the apostrophe phone keyboards type.
_NAME_SIGNS = frozenset(" .'’-")
_CBO_NAME_SIGNS = _NAME_SIGNS | frozenset("&()")
_HOUSEHOLD_CODE = re.compile(r"^[A-Za-z0-9/-]+$")
_AADHAAR_SHAPE = re.compile(r"^[2-9][0-9]{11}$")


# --- public ---------------------------------------------------------------------------------


def member_errors(fields: Mapping[str, object], *, today: date, creating: bool) -> list[FieldError]:
    """Errors of a member's fields; ``creating`` makes the name required."""
    errors: list[FieldError] = []
    errors += _person_name(fields, "name", required=creating, clearable=False, local=False)
    errors += _person_name(fields, "name_local", required=False, clearable=True, local=True)
    errors += _choice(fields, "gender", GENDERS, Code.GENDER_INVALID)
    errors += _date_of_birth(fields, today)
    errors += _choice(fields, "social_category", SOCIAL_CATEGORIES, Code.SOCIAL_CATEGORY_INVALID)
    errors += _person_name(fields, "relative_name", required=False, clearable=True, local=False)
    errors += _choice(fields, "relation", RELATIONS, Code.RELATION_INVALID)
    errors += _household_code(fields)
    errors += _leaving(fields, today)
    errors += _identifier(fields, "mobile", identifiers.mobile_valid, Code.MOBILE_INVALID)
    errors += _bank(fields)
    errors += _identifier(fields, "voter_id", identifiers.voter_id_valid, Code.VOTER_ID_INVALID)
    errors += _aadhaar(fields)
    return errors


def cbo_errors(
    fields: Mapping[str, object], *, cbo_type: str, today: date, creating: bool
) -> list[FieldError]:
    """Errors of an SHG's, VO's or CLF's fields; ``creating`` makes the name required."""
    errors: list[FieldError] = []
    errors += _cbo_name(fields, "name", required=creating, clearable=False, local=False)
    errors += _cbo_name(fields, "name_local", required=False, clearable=True, local=True)
    errors += _shg_type(fields, cbo_type)
    errors += _formed_on(fields, today)
    errors += _bank(fields)
    return errors


def approval_date_errors(formed_on: date | None, approved_on: date) -> list[FieldError]:
    """A CBO cannot have been formed after the day it is approved."""
    if formed_on is not None and _as_date(formed_on) > _as_date(approved_on):
        return [_error("formed_on", Code.FORMED_AFTER_APPROVAL)]
    return []


# --- rules ----------------------------------------------------------------------------------


def _person_name(
    fields: Mapping[str, object], key: str, *, required: bool, clearable: bool, local: bool
) -> list[FieldError]:
    """Letters of one script (an Indian one when ``local``), spaces and . ' -; no digits."""
    value, errors = _text(fields, key, required=required, clearable=clearable)
    if value is None:
        return errors
    if length := _length_errors(key, value, MEMBER_NAME_MAX):
        return length
    if any(unicodedata.category(ch) == "Nd" for ch in value):
        return [_error(key, Code.NAME_DIGITS)]
    scripts = _letter_scripts(value, _NAME_SIGNS, digits=False)
    if scripts is None:
        return [_error(key, Code.NAME_CHARACTERS)]
    return _script_errors(key, scripts, local=local)


def _cbo_name(
    fields: Mapping[str, object], key: str, *, required: bool, clearable: bool, local: bool
) -> list[FieldError]:
    """Letters, digits ("Jai Maa Durga SHG 2"), spaces and . ' & ( ) -.

    The English name may mix scripts ("जय माँ दुर्गा SHG"); the local one is in one Indian script.
    """
    value, errors = _text(fields, key, required=required, clearable=clearable)
    if value is None:
        return errors
    if length := _length_errors(key, value, CBO_NAME_MAX):
        return length
    scripts = _letter_scripts(value, _CBO_NAME_SIGNS, digits=True)
    if scripts is None:
        return [_error(key, Code.CBO_NAME_CHARACTERS)]
    return _script_errors(key, scripts, local=local) if local else []


def _choice(
    fields: Mapping[str, object], key: str, allowed: frozenset[str], code: Code
) -> list[FieldError]:
    value, errors = _text(fields, key)
    if value is None or value in allowed:
        return errors
    return [_error(key, code)]


def _date_of_birth(fields: Mapping[str, object], today: date) -> list[FieldError]:
    born, errors = _date(fields, "date_of_birth")
    if born is None:
        return errors
    if born > today:
        return [_error("date_of_birth", Code.DATE_IN_FUTURE)]
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age < MIN_MEMBER_AGE:
        return [_error("date_of_birth", Code.MEMBER_TOO_YOUNG)]
    if age > MAX_MEMBER_AGE:
        return [_error("date_of_birth", Code.MEMBER_TOO_OLD)]
    return []


def _leaving(fields: Mapping[str, object], today: date) -> list[FieldError]:
    """The leaving date and reason come together; a member cannot leave in the future."""
    left, errors = _date(fields, "left_on")
    reason, reason_errors = _text(fields, "leaving_reason")
    errors += reason_errors
    if left is not None and left > today:
        errors.append(_error("left_on", Code.DATE_IN_FUTURE))
    if reason is not None and reason not in LEAVING_REASONS:
        errors.append(_error("leaving_reason", Code.LEAVING_REASON_INVALID))
    if left is not None and reason is None and not reason_errors:
        errors.append(_error("leaving_reason", Code.LEAVING_REASON_REQUIRED))
    if reason is not None and left is None and "left_on" not in fields:
        errors.append(_error("left_on", Code.LEFT_ON_REQUIRED))
    return errors


def _household_code(fields: Mapping[str, object]) -> list[FieldError]:
    value, errors = _text(fields, "household_code")
    if value is None:
        return errors
    if len(value) > HOUSEHOLD_CODE_MAX:
        return [_error("household_code", Code.TOO_LONG, max=HOUSEHOLD_CODE_MAX)]
    if not _HOUSEHOLD_CODE.match(value):
        return [_error("household_code", Code.HOUSEHOLD_CODE_FORMAT)]
    return []


def _identifier(
    fields: Mapping[str, object], key: str, valid: Callable[[str], bool], code: Code
) -> list[FieldError]:
    value, errors = _text(fields, key)
    if value is None or valid(value):
        return errors
    return [_error(key, code)]


def _bank(fields: Mapping[str, object]) -> list[FieldError]:
    """Account and IFSC, each valid, and each given with the other.

    Both are needed together because the bank is matched on account + IFSC (one keyed hash).
    """
    errors = _identifier(
        fields, "bank_account", identifiers.account_valid, Code.BANK_ACCOUNT_INVALID
    )
    errors += _identifier(fields, "ifsc", identifiers.ifsc_valid, Code.IFSC_INVALID)
    account, _ = _text(fields, "bank_account")
    ifsc, _ = _text(fields, "ifsc")
    if account is not None and ifsc is None and not _has_error(errors, "ifsc"):
        errors.append(_error("ifsc", Code.IFSC_REQUIRED))
    if ifsc is not None and account is None and not _has_error(errors, "bank_account"):
        errors.append(_error("bank_account", Code.BANK_ACCOUNT_REQUIRED))
    return errors


def _aadhaar(fields: Mapping[str, object]) -> list[FieldError]:
    """Wrong length or characters, and a wrong Verhoeff check digit, are told apart."""
    value, errors = _text(fields, "aadhaar")
    if value is None:
        return errors
    if not _AADHAAR_SHAPE.match(identifiers.normalise_digits(value)):
        return [_error("aadhaar", Code.AADHAAR_FORMAT)]
    if not identifiers.aadhaar_valid(value):
        return [_error("aadhaar", Code.AADHAAR_CHECKSUM)]
    return []


def _shg_type(fields: Mapping[str, object], cbo_type: str) -> list[FieldError]:
    value, errors = _text(fields, "shg_type")
    if value is None:
        return errors
    kind = cbo_type.strip().upper()
    if kind != "SHG":
        return [_error("shg_type", Code.SHG_TYPE_NOT_ALLOWED, cbo=LABELS.text(kind))]
    if value not in SHG_TYPES:
        return [_error("shg_type", Code.SHG_TYPE_INVALID)]
    return []


def _formed_on(fields: Mapping[str, object], today: date) -> list[FieldError]:
    formed, errors = _date(fields, "formed_on")
    if formed is None:
        return errors
    if formed > today:
        return [_error("formed_on", Code.DATE_IN_FUTURE)]
    if formed < EARLIEST_FORMATION:
        return [_error("formed_on", Code.FORMED_ON_TOO_EARLY)]
    return []


# --- helpers --------------------------------------------------------------------------------


def _error(field: str, code: Code, **params: object) -> FieldError:
    message = MESSAGES.text(code, field=LABELS.text(field), **params)
    return FieldError(field, message, code.value)


def _has_error(errors: list[FieldError], field: str) -> bool:
    return any(e.field == field for e in errors)


def _text(
    fields: Mapping[str, object], key: str, *, required: bool = False, clearable: bool = True
) -> tuple[str | None, list[FieldError]]:
    """The trimmed (NFC) value, or None when not given or blank, with the errors that makes.

    ``required``: it must be given and not blank; ``clearable``: a blank value is valid.
    """
    raw = fields.get(key)
    if raw is None:
        return None, [_error(key, Code.REQUIRED)] if required else []
    if not isinstance(raw, str):
        return None, [_error(key, Code.WRONG_TYPE)]
    value = unicodedata.normalize("NFC", raw).strip()
    if not value:
        return None, [] if clearable and not required else [_error(key, Code.REQUIRED)]
    return value, []


def _date(fields: Mapping[str, object], key: str) -> tuple[date | None, list[FieldError]]:
    raw = fields.get(key)
    if raw is None:
        return None, []
    if not isinstance(raw, date):
        return None, [_error(key, Code.WRONG_TYPE)]
    return _as_date(raw), []


def _as_date(value: date) -> date:
    # A datetime is a date, but cannot be compared with one.
    return value.date() if isinstance(value, datetime) else value


def _length_errors(key: str, value: str, maximum: int) -> list[FieldError]:
    if len(value) < NAME_MIN:
        return [_error(key, Code.TOO_SHORT, min=NAME_MIN)]
    if len(value) > maximum:
        return [_error(key, Code.TOO_LONG, max=maximum)]
    return []


def _script_of(ch: str) -> str | None:
    point = ord(ch)
    for start, end, script in _SCRIPT_BLOCKS:
        if start <= point <= end:
            return script
    return None


def _letter_scripts(value: str, signs: frozenset[str], *, digits: bool) -> set[str] | None:
    """The scripts of the letters in ``value``; None when a character is not allowed or
    there is no letter at all."""
    scripts: set[str] = set()
    for ch in value:
        if ch in signs or ch in _JOINERS:
            continue
        script = _script_of(ch)
        category = unicodedata.category(ch)
        if category == "Nd":
            if digits and (ch.isascii() or script is not None):
                continue
            return None
        if script is None or category[0] not in "LM":
            return None
        scripts.add(script)
    return scripts or None


def _script_errors(key: str, scripts: set[str], *, local: bool) -> list[FieldError]:
    if local and LATIN in scripts:
        return [_error(key, Code.NAME_LOCAL_SCRIPT)]
    if len(scripts) > 1:
        return [_error(key, Code.NAME_MIXED_SCRIPTS)]
    return []


__all__ = [
    "CBO_NAME_MAX",
    "EARLIEST_FORMATION",
    "GENDERS",
    "LEAVING_REASONS",
    "MAX_MEMBER_AGE",
    "MEMBER_NAME_MAX",
    "MIN_MEMBER_AGE",
    "RELATIONS",
    "SHG_TYPES",
    "SOCIAL_CATEGORIES",
    "approval_date_errors",
    "cbo_errors",
    "member_errors",
]
