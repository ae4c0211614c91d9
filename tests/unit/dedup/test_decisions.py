"""The Block Program Manager's decision on a pair, without I/O (services/dedup/decisions.py)."""

from __future__ import annotations

import uuid

import pytest

from lokos.errors import Conflict, ValidationFailed
from services.dedup import decisions
from services.dedup.matching import CONFIRMED, POTENTIAL, Found, Rec

A, B = str(uuid.uuid4()), str(uuid.uuid4())


def test_a_decision_names_both_members_and_cleans_the_reason() -> None:
    d = decisions.parse(A, B, "not_duplicate", "  sisters,   same   house ")
    assert d == decisions.Decision(
        uuid.UUID(A), uuid.UUID(B), "not_duplicate", "sisters, same house"
    )
    assert decisions.parse(A, B, "duplicate", "").reason == ""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((A, B, "maybe", "x"), [("decision", "enum")]),
        ((A, B, "not_duplicate", " ok  "), [("reason", "required")]),
        ((A, B, "duplicate", "x" * 501), [("reason", "length")]),
        (("a", "b", "duplicate", ""), [("member_id", "format"), ("other_member_id", "format")]),
    ],
)
def test_every_field_in_error_is_named(
    args: tuple[str, str, str, str], expected: list[tuple[str, str]]
) -> None:
    with pytest.raises(ValidationFailed) as err:
        decisions.parse(*args)
    assert [(e.field, e.code) for e in err.value.field_errors] == expected


def found(kind: str, code: str = "M-0001") -> Found:
    return Found(Rec(uuid.UUID(B), "up", code=code), kind, ["aadhaar", "name"])


def test_a_confirmed_duplicate_is_never_overridden() -> None:
    with pytest.raises(Conflict) as err:
        decisions.check_overridable("not_duplicate", found(CONFIRMED), uuid.UUID(B))
    assert err.value.code == "confirmed_duplicate"
    assert err.value.extra == {"identifiers": "aadhaar,name", "other_code": "M-0001"}
    assert "the same aadhaar as M-0001" in str(err.value)


def test_a_potential_duplicate_may_be_overridden_and_any_may_be_confirmed() -> None:
    decisions.check_overridable("not_duplicate", found(POTENTIAL), uuid.UUID(B))
    decisions.check_overridable("duplicate", found(CONFIRMED), uuid.UUID(B))
