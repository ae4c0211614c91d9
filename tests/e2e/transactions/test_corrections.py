"""A6/E5 through the gateway: an approved meeting is frozen; a mistake in it is corrected in a
later meeting by reversing its entry, with a reason, and recording the right figures again."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import Api
from tests.e2e.profiles.profile_helpers import h
from tests.e2e.test_thin_flow import wait_for
from tests.e2e.transactions.books_helpers import rs, running_balances_agree, shg_with_members
from tests.e2e.transactions.test_maker_checker import approved_vo, approver_of, decide
from tests.e2e.transactions.test_offline_upload import meetings, open_new_books, upload

pytestmark = pytest.mark.platform

REASON = "M02 did not pay in meeting 1: the register line was copied from M01"


def test_a_mistake_in_an_approved_meeting_is_reversed_in_a_later_one(api: Api) -> None:
    s = shg_with_members(api, count=2)
    vo = approved_vo(api, s, "Sahyog VO")
    linked = api.http.post(
        f"/v1/cbos/{s.shg_id}/federation", json={"parent_id": vo}, headers=h(s.blk.admin)
    )
    assert linked.status_code == 200, linked.text
    approver = approver_of(api, s, vo)
    open_new_books(api, s)
    first, second = meetings(s, 2)  # ₹100 each member each meeting
    code, answer = upload(api, s, [first])
    assert code == 200, answer
    assert wait_for(lambda: decide(api, s, approver, None, True)[0] == 200, timeout=30)
    assert decide(api, s, approver, 1, True)[0] == 200
    journal = api.http.get(
        f"/v1/books/{s.shg_id}/journal", params={"meeting": 1}, headers=s.bookkeeper
    ).json()
    (savings,) = [e for e in journal["entries"] if e["kind"] == "CS"]

    def meeting_2(corrections: list[dict[str, object]], cash: int) -> dict[str, object]:
        return {
            **second,
            "client_id": str(uuid.uuid4()),
            "corrections": corrections,
            # M01's ₹100 of meeting 1 again with this meeting's ₹100; M02 pays this meeting's
            "members": [
                {"member_id": s.m(1), "compulsory": rs(200)},
                {"member_id": s.m(2), "compulsory": rs(100)},
            ],
            "cash_counted": cash,
        }

    # refused, the field named: no reason, an entry these books do not hold, one entry twice
    # (a refused reversal moves no cash, so the ₹300 counted no longer matches either)
    for corrections, fields in (
        ([{"entry_id": savings["id"], "reason": "   "}], ["corrections[0].reason", "cash_counted"]),
        ([{"entry_id": 10**12, "reason": REASON}], ["corrections[0].entry_id", "cash_counted"]),
        ([{"entry_id": savings["id"], "reason": REASON}] * 2, ["corrections[1].entry_id"]),
    ):
        code, refused = upload(api, s, [meeting_2(corrections, rs(300))])
        assert code == 422, refused
        assert [e["field"] for e in refused["errors"]] == [f"meetings[0].{f}" for f in fields]
    # the cash counted must include the reversal: without it the closing does not match
    code, refused = upload(api, s, [meeting_2([], rs(300))])
    assert code == 422
    assert [e["field"] for e in refused["errors"]] == ["meetings[0].cash_counted"]

    # ₹200 of meeting 1 back out of cash, ₹300 in: ₹300 in hand
    code, answer = upload(
        api, s, [meeting_2([{"entry_id": savings["id"], "reason": REASON}], rs(300))]
    )
    assert code == 200, answer
    assert [r["outcome"] for r in answer["results"]] == ["RECORDED"]  # type: ignore[index]
    journal = api.http.get(
        f"/v1/books/{s.shg_id}/journal", params={"meeting": 2}, headers=s.bookkeeper
    ).json()
    (reversal,) = [e for e in journal["entries"] if e["reverses"]]
    assert (reversal["kind"], reversal["narration"], reversal["reverses"]) == (
        "REVERSAL:CS",
        REASON,
        savings["id"],
    )
    assert sorted((p["side"], p["head"], p["amount"]) for p in reversal["postings"]) == sorted(
        ("D" if p["side"] == "C" else "C", p["head"], p["amount"]) for p in savings["postings"]
    )
    balances = api.http.get(f"/v1/books/{s.shg_id}/balances", headers=s.bookkeeper).json()
    assert balances["total_assets"] == rs(300)
    totals = {}
    for n in (1, 2):
        book = api.http.get(
            f"/v1/books/{s.shg_id}/members/{s.m(n)}/passbook", headers=s.bookkeeper
        ).json()
        totals[n] = [line["row"]["compulsory_total"] for line in book["lines"]]
    assert totals == {1: [rs(100), rs(200)], 2: [rs(100), rs(100)]}

    # reversed once only; an entry of a meeting waiting for approval is not reversed but rejected
    pending = api.http.get(
        f"/v1/books/{s.shg_id}/journal", params={"meeting": 2}, headers=s.bookkeeper
    ).json()["entries"][0]
    third = meetings(s, 1, first=3)[0]
    for entry_id, says in ((savings["id"], "reversed already"), (pending["id"], "rejects")):
        code, refused = upload(
            api, s, [{**third, "corrections": [{"entry_id": entry_id, "reason": REASON}]}]
        )
        assert code == 422
        error, cash = refused["errors"]
        assert (error["field"], cash["field"]) == (
            "meetings[0].corrections[0].entry_id",
            "meetings[0].cash_counted",
        )
        assert says in error["message"]
    running_balances_agree(api)
