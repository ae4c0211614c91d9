"""Identifier matches name each rule once, however often the index returns a candidate."""

from __future__ import annotations

import uuid

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
