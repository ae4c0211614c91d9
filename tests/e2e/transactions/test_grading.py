"""Panchasutra grading computed from the books (K1–K3) through the gateway.

A synthetic SHG of three members keeps five monthly meetings from February to July 2026 (none in
May); the grade as of 2026-07-31 over the last 6 months is worked out by hand below and asserted
to the paisa-exact fraction, then read back as stored, with its values.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import asyncpg
import pytest

from lokos.common.v1 import events_pb2
from lokos.db import asyncpg_dsn
from lokos.transactions.v1 import grading_pb2 as gpb
from tests.conftest import Api
from tests.e2e.profiles.profile_helpers import h, make_block
from tests.e2e.test_thin_flow import wait_for
from tests.e2e.transactions.books_helpers import SB, Shg, rs, shg_with_members
from tests.e2e.transactions.test_maker_checker import approved_vo, approver_of, decide

pytestmark = pytest.mark.platform

# The hand computation (default policy: 6 periods; weights 20/15/20/15/20/10; A ≥ 85, B ≥ 75).
# Books opened 2026-01-01, monthly: a meeting is due on the 1st of each month from February, so
# February–July are 6 periods with one meeting due each.
#
# Meetings (M1, M2, M3; ₹100 compulsory each; all in cash):
#   1  Feb 5  all present, all pay 100                      cash 2000 + 300        = 2300
#   2  Mar 5  all present, all pay 100; M1 borrows ₹1,000   2300 + 300 − 1000       = 1600
#             at 0% in 4 equal instalments due Apr 5, May 5, Jun 5, Jul 5 (₹250 each)
#   3  Apr 5  M3 absent (pays nothing); M1 repays 250       1600 + 200 + 250        = 2050
#   -  May    no meeting
#   4  Jun 5  all present; M1 pays 50 only, repays 500      2050 + 250 + 500        = 2800
#   5  Jul 5  M2 late (present), M3 absent; M1 repays 250   2800 + 200 + 250        = 3250
#
# meeting regularity  held 5 ÷ due 6                                   = 5/6
# attendance          present 3+3+2+3+2 = 13 ÷ rows 15                 = 13/15
# savings regularity  member-months paying the full ₹100: 15 − (M3 Apr, M1 Jun, M3 Jul) = 12
#                     ÷ 15                                             = 4/5
# internal lending    lent 1000 ÷ corpus on Jul 31 (RF 2000 + savings 1250 = 3250) = 4/13,
#                     full at half the corpus: (4/13) ÷ (1/2)          = 8/13
# repayment           per member and month, repaid up to that month's demand:
#                     Apr 250, May 0, Jun min(500, 250) = 250, Jul 250 = 750 ÷ demand 1000 = 3/4
# books up to date    approved within 15 days of the meeting: 1 (Feb 10), 2 (Mar 12) and
#                     4 (Jun 15) in time, 3 (Apr 25) late, 5 pending    = 3/5
# score = 20·5/6 + 15·13/15 + 20·4/5 + 15·8/13 + 20·3/4 + 10·3/5
#       = 50/3 + 13 + 16 + 120/13 + 15 + 6 = 50 + 1010/39 = 2960/39 = 75.897… → 75.90 → B, passed
EXPECTED_SCORE = "75.90"
EXPECTED = {
    "MEETING_REGULARITY": ("5/6", "83.33", "16.67", 5, 6),
    "ATTENDANCE": ("13/15", "86.67", "13.00", 13, 15),
    "SAVINGS_REGULARITY": ("4/5", "80.00", "16.00", 12, 15),
    "INTERNAL_LENDING": ("8/13", "61.54", "9.23", rs(1_000), rs(3_250)),
    "REPAYMENT": ("3/4", "75.00", "15.00", rs(750), rs(1_000)),
    "BOOKS_UP_TO_DATE": ("3/5", "60.00", "6.00", 3, 5),
}
# When the approver decided each meeting (India's time): the history's, not the test's today.
DECIDED = {1: "2026-02-10", 2: "2026-03-12", 3: "2026-04-25", 4: "2026-06-15"}


def _line(member: str, pay: int = 100, attendance: str = "PRESENT") -> dict[str, object]:
    return {"member_id": member, "attendance": attendance, "compulsory": rs(pay)}


def history(s: Shg) -> list[dict[str, object]]:
    m1, m2, m3 = s.members
    loan = {"loan_id": "G-M1", "amount": rs(1_000), "rate": 0, "tenure": 4, "purpose": "goat"}

    def meeting(n: int, day: str, lines: list[dict[str, object]], cash: int) -> dict[str, object]:
        return {
            "client_id": str(uuid.uuid4()),
            "number": n,
            "date": day,
            "members": lines,
            "cash_counted": rs(cash),
        }

    def repay(line: dict[str, object], amount: int) -> dict[str, object]:
        return {**line, "repayments": [{"loan_id": "G-M1", "amount": rs(amount)}]}

    return [
        meeting(1, "2026-02-05", [_line(m1), _line(m2), _line(m3)], 2_300),
        meeting(
            2, "2026-03-05", [{**_line(m1), "disbursals": [loan]}, _line(m2), _line(m3)], 1_600
        ),
        meeting(3, "2026-04-05", [repay(_line(m1), 250), _line(m2), _line(m3, 0, "ABSENT")], 2_050),
        meeting(4, "2026-06-05", [repay(_line(m1, 50), 500), _line(m2), _line(m3)], 2_800),
        meeting(
            5,
            "2026-07-05",
            [repay(_line(m1), 250), _line(m2, 100, "LATE"), _line(m3, 0, "ABSENT")],
            3_250,
        ),
    ]


def backdate_decisions(api: Api, shg_id: str) -> None:
    """The approver decided meetings 1–4 months ago; the API decides them today, so the
    decision dates of the history are set as they were."""

    async def run() -> None:
        conn = await asyncpg.connect(asyncpg_dsn(api.platform.database_url("transactions")))
        try:
            for number, day in DECIDED.items():
                await conn.execute(
                    "UPDATE meeting SET decided_at = ($3::date + time '12:00')"
                    " AT TIME ZONE 'Asia/Kolkata'"
                    " WHERE cbo_id = $1 AND number = $2 AND status = 'APPROVED'",
                    uuid.UUID(shg_id),
                    number,
                    dt.date.fromisoformat(day),
                )
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture(scope="module")
def graded_shg(api: Api) -> Shg:
    s = shg_with_members(api, count=3)
    vo = approved_vo(api, s, "Grading VO")
    linked = api.http.post(
        f"/v1/cbos/{s.shg_id}/federation", json={"parent_id": vo}, headers=h(s.blk.admin)
    )
    assert linked.status_code == 200, linked.text
    approver = approver_of(api, s, vo)
    cutoff = {
        "client_id": str(uuid.uuid4()),
        "cutoff": {
            "date": "2026-01-01",
            "cash": rs(2_000),
            "funds": {"RF_CORPUS": rs(2_000)},
            "bank_accounts": [{"account_id": SB}],
            "compulsory_amount": rs(100),
            "members": [{"member_id": m} for m in s.members],
        },
    }
    assert wait_for(
        lambda: (
            api.http.post(
                f"/v1/books/{s.shg_id}/cutoff", json=cutoff, headers=s.bookkeeper
            ).status_code
            == 201
        ),
        timeout=30,
        interval=0.5,
    )
    meetings = history(s)
    r = api.http.post(
        f"/v1/books/{s.shg_id}/meetings", json={"meetings": meetings[:4]}, headers=s.bookkeeper
    )
    assert r.status_code == 200, r.text
    assert [x["outcome"] for x in r.json()["results"]] == ["RECORDED"] * 4, r.text
    # the federation link reaches transactions through events
    assert wait_for(lambda: decide(api, s, approver, None, True)[0] == 200, timeout=30)
    for n in range(1, 5):
        code, answer = decide(api, s, approver, n, True)
        assert code == 200, answer
    r = api.http.post(
        f"/v1/books/{s.shg_id}/meetings", json={"meetings": meetings[4:]}, headers=s.bookkeeper
    )
    assert r.status_code == 200 and r.json()["results"][0]["outcome"] == "RECORDED", r.text
    backdate_decisions(api, s.shg_id)
    return s


def test_grade_from_the_books_is_the_hand_computed_one(api: Api, graded_shg: Shg) -> None:
    s = graded_shg
    r = api.http.post(
        f"/v1/books/{s.shg_id}/grades", json={"as_of": "2026-07-31"}, headers=h(s.blk.admin)
    )
    assert r.status_code == 200, r.text
    (computed,) = r.json()["grades"]
    assert (computed["score"], computed["grade"], computed["passed"]) == (EXPECTED_SCORE, "B", True)
    assert computed["period_end"] == "2026-07-31" and computed["periods"] == 6

    # stored, with the values used and the policy
    listed = api.http.get(f"/v1/books/{s.shg_id}/grades", headers=s.bookkeeper)
    assert listed.status_code == 200, listed.text
    stored = listed.json()["grades"][0]
    assert stored["grade_id"] == computed["grade_id"]
    assert (stored["score"], stored["grade"], stored["passed"]) == (EXPECTED_SCORE, "B", True)
    values = {
        i["indicator"]: (i["value"], i["percent"], i["points"], i["numerator"], i["denominator"])
        for i in stored["indicators"]
    }
    assert values == EXPECTED
    assert '"periods": 6' in stored["policy_json"] and '"A", 85' in stored["policy_json"]

    # mid-month: the same complete months (August has not ended on the 20th)
    again = api.http.post(
        f"/v1/books/{s.shg_id}/grades", json={"as_of": "2026-08-20"}, headers=h(s.blk.admin)
    )
    assert again.status_code == 200, again.text
    (mid,) = again.json()["grades"]
    assert (mid["period_end"], mid["score"]) == ("2026-07-31", EXPECTED_SCORE)


def test_block_run_grades_the_block_and_scope_is_refused_elsewhere(
    api: Api, graded_shg: Shg
) -> None:
    s = graded_shg
    r = api.http.post(
        f"/v1/blocks/{s.blk.block}/grades", json={"as_of": "2026-07-31"}, headers=h(s.blk.admin)
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(g["cbo_id"], g["score"], g["grade"]) for g in body["grades"]] == [
        (s.shg_id, EXPECTED_SCORE, "B")
    ]
    assert body["by_grade"] == {"B": 1}

    other = make_block(api)  # staff of another block reach neither the SHG nor the block
    assert (
        api.http.post(f"/v1/books/{s.shg_id}/grades", json={}, headers=h(other.admin)).status_code
        == 404
    )
    assert (
        api.http.post(
            f"/v1/blocks/{s.blk.block}/grades", json={}, headers=h(other.admin)
        ).status_code
        == 404
    )
    # the bookkeeper keeps the books; grading is the staff's
    assert (
        api.http.post(f"/v1/books/{s.shg_id}/grades", json={}, headers=s.bookkeeper).status_code
        == 403
    )


def test_every_stored_grade_is_announced(api: Api, graded_shg: Shg) -> None:
    """``transactions.grade.computed`` staged with each stored grade (reports read these)."""
    s = graded_shg

    async def announced() -> dict[str, tuple[str, str, bool]]:
        conn = await asyncpg.connect(asyncpg_dsn(api.platform.database_url("transactions")))
        try:
            rows = await conn.fetch(
                "SELECT envelope FROM outbox WHERE type = 'transactions.grade.computed'"
            )
        finally:
            await conn.close()
        out = {}
        for row in rows:
            event = gpb.GradeEvent()
            events_pb2.EventEnvelope.FromString(row["envelope"]).payload.Unpack(event)
            if event.cbo_id == s.shg_id:
                out[event.grade_id] = (event.score, event.grade, event.passed)
        return out

    stored = api.http.get(f"/v1/books/{s.shg_id}/grades", headers=s.bookkeeper).json()["grades"]
    assert stored
    assert asyncio.run(announced()) == {
        g["grade_id"]: (g["score"], g["grade"], g["passed"]) for g in stored
    }


def test_bad_input_names_the_field_and_stores_nothing(api: Api, graded_shg: Shg) -> None:
    s = graded_shg
    before = len(
        api.http.get(f"/v1/books/{s.shg_id}/grades", headers=s.bookkeeper).json()["grades"]
    )
    for body in ({"as_of": "2026-13-01"}, {"as_of": "2999-01-31"}, {"as_of": 20260731}):
        r = api.http.post(f"/v1/books/{s.shg_id}/grades", json=body, headers=h(s.blk.admin))
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert [e["field"].split(".")[-1] for e in r.json()["errors"]] == ["as_of"], r.text
    r = api.http.post(f"/v1/books/{uuid.uuid4()}/grades", json={}, headers=h(s.blk.admin))
    assert r.status_code == 404
    after = len(api.http.get(f"/v1/books/{s.shg_id}/grades", headers=s.bookkeeper).json()["grades"])
    assert after == before
