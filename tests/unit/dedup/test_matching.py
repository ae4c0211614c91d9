"""Identifier matches name each rule once, however often the index returns a candidate; ids
and hashes parse to what the standard ``uuid.UUID`` gives."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable

import pytest

from services.dedup import matching, rules


def test_a_candidate_returned_twice_is_one_match_with_each_rule_once() -> None:
    aadhaar, mobile = uuid.uuid4(), uuid.uuid4()
    me = matching.Rec(uuid.uuid4(), "up", aadhaar=aadhaar, mobile=mobile)
    other = matching.Rec(uuid.uuid4(), "up", aadhaar=aadhaar, mobile=mobile)
    # The single-member lookup unions the strong identifiers with the mobile (UNION ALL): a
    # candidate sharing both comes back twice.
    found = matching.identifier_matches(me, [other, other], rules.defaults("up"))
    assert list(found) == [other.member_id]
    assert found[other.member_id].rules == ["aadhaar", "mobile"]
    assert found[other.member_id].kind == matching.CONFIRMED


@pytest.mark.parametrize(
    "text", ["0f8e5c0c-6a1b-4c7e-9d7e-2b1f8a3c4d5e", "0F8E5C0C6A1B4C7E9D7E2B1F8A3C4D5E"]
)
def test_a_parsed_id_is_the_standard_uuid(text: str) -> None:
    parsed, standard = matching.parse_id(text), uuid.UUID(text)
    assert isinstance(parsed, uuid.UUID)
    assert (parsed, hash(parsed), str(parsed), parsed.int) == (
        standard,
        hash(standard),
        str(standard),
        standard.int,
    )


@pytest.mark.parametrize(
    "text", ["", "not-a-uuid", "0f8e5c0c-6a1b-4c7e-9d7e-2b1f8a3c4d5g", "0" * 34]
)
def test_text_that_is_no_uuid_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        matching.parse_id(text)


def test_the_fingerprint_does_not_depend_on_the_uuid_class() -> None:
    """Stored fingerprints (and the decisions that hold while they do) were made with the
    standard class: the faster one must print the same."""
    digests = [hashlib.sha256(s.encode()).hexdigest() for s in ("a", "b", "c")]

    def rec(parse: Callable[[str], uuid.UUID]) -> matching.Rec:
        return matching.Rec(
            parse(str(uuid.UUID(int=7))),
            "up",
            name="Sunita  Devi",
            relative_name="Ramesh Kumar",
            aadhaar=parse(digests[0][:32]),
            bank_account=parse(digests[1][:32]),
            mobile=parse(digests[2][:32]),
        )

    assert matching.fingerprint(rec(matching.parse_id)) == matching.fingerprint(rec(uuid.UUID))
    assert matching.hash_prefix(digests[0]) == uuid.UUID(digests[0][:32])
