"""Offline upload (J2): up to 4 meetings in one request, idempotent by client ids, in order,
concurrent uploads kept once; and bad input refused with the field named, nothing recorded."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import Api
from tests.e2e.profiles.profile_helpers import approve_member, h
from tests.e2e.test_thin_flow import wait_for
from tests.e2e.transactions.books_helpers import SB, Shg, rs, shg_with_members

pytestmark = pytest.mark.platform


def open_new_books(api: Api, s: Shg) -> None:
    """A new SHG: an empty cut-off (zero balances) before meeting 1."""
    body = {
        "client_id": str(uuid.uuid4()),
        "cutoff": {
            "date": "2025-12-01",
            "bank_accounts": [{"account_id": SB}],
            "compulsory_amount": rs(100),
            "members": [{"member_id": m} for m in s.members],
        },
    }
    assert wait_for(
        lambda: (
            api.http.post(
                f"/v1/books/{s.shg_id}/cutoff", json=body, headers=s.bookkeeper
            ).status_code
            == 201
        ),
        timeout=30,
        interval=0.5,
    )


def meetings(s: Shg, count: int, first: int = 1) -> list[dict[str, object]]:
    out = []
    for k in range(first, first + count):
        out.append(
            {
                "client_id": str(uuid.uuid4()),
                "number": k,
                "date": f"2026-{k:02d}-05",
                "members": [{"member_id": m, "compulsory": rs(100)} for m in s.members],
                "cash_counted": rs(100) * len(s.members) * k,
            }
        )
    return out


def upload(api: Api, s: Shg, ms: list[dict[str, object]]) -> tuple[int, dict[str, object]]:
    r = api.http.post(f"/v1/books/{s.shg_id}/meetings", json={"meetings": ms}, headers=s.bookkeeper)
    return r.status_code, r.json()


def total_assets(api: Api, s: Shg) -> int:
    r = api.http.get(f"/v1/books/{s.shg_id}/balances", headers=s.bookkeeper)
    assert r.status_code == 200, r.text
    return int(r.json()["total_assets"])


@pytest.fixture(scope="module")
def shg(api: Api) -> Shg:
    s = shg_with_members(api, count=3)
    open_new_books(api, s)
    return s


def test_bad_input_names_the_field_and_records_nothing(api: Api, shg: Shg) -> None:
    s = shg
    (m1,) = meetings(s, 1)
    members = m1["members"]
    assert isinstance(members, list)
    cases: list[tuple[dict[str, object], str]] = [
        ({**m1, "members": [{**members[0], "compulsory": -100}, *members[1:]]}, "compulsory"),
        ({**m1, "members": [{**members[0], "compulsory": 100.5}, *members[1:]]}, "compulsory"),
        ({**m1, "members": [{**members[0], "compulsory": 10**15}, *members[1:]]}, "compulsory"),
        ({**m1, "members": [{"member_id": str(uuid.uuid4()), "compulsory": rs(100)}]}, "member_id"),
        (
            {
                **m1,
                "members": [{**members[0], "repayments": [{"loan_id": "NOPE", "amount": rs(10)}]}],
            },
            "loan_id",
        ),
        ({**m1, "date": "2099-01-01"}, "date"),
        ({**m1, "number": 3}, "number"),
        ({**m1, "cash_counted": rs(1)}, "cash_counted"),
        ({**m1, "date": "not-a-date"}, "date"),
    ]
    for body, field in cases:
        code, answer = upload(api, s, [body])
        assert code == 422, (field, answer)
        assert answer["type"].endswith("validation_failed")
        assert any(field in e["field"] for e in answer["errors"]), (field, answer["errors"])
    garbage = api.http.post(
        f"/v1/books/{s.shg_id}/meetings",
        content=b"{not json",
        headers={**s.bookkeeper, "Content-Type": "application/json"},
    )
    assert garbage.status_code == 422
    assert total_assets(api, s) == 0
    listed = api.http.get(f"/v1/books/{s.shg_id}/meetings", headers=s.bookkeeper).json()
    assert listed["meetings"] == []


def test_four_meetings_once_then_the_same_answer(api: Api, shg: Shg) -> None:
    s = shg
    five = meetings(s, 5)
    code, answer = upload(api, s, five)
    assert code == 422
    assert [e["field"] for e in answer["errors"]] == ["meetings"]

    four = five[:4]
    code, answer = upload(api, s, list(reversed(four)))  # applied in order whatever the order sent
    assert code == 200, answer
    results = answer["results"]
    assert isinstance(results, list)
    assert [r["outcome"] for r in results] == ["RECORDED"] * 4
    assert total_assets(api, s) == rs(100) * 3 * 4

    code, again = upload(api, s, four)
    assert code == 200
    again_results = again["results"]
    assert isinstance(again_results, list)
    assert [r["outcome"] for r in again_results] == ["ALREADY_RECORDED"] * 4
    first_ids = {r["client_id"]: r["meeting"]["id"] for r in results}
    assert {r["client_id"]: r["meeting"]["id"] for r in again_results} == first_ids
    assert total_assets(api, s) == rs(100) * 3 * 4

    # a fifth unsynced meeting while four wait for approval is refused
    code, fifth = upload(api, s, [five[4]])
    assert code == 422
    assert "wait for approval" in str(fifth["errors"])


def test_compulsory_savings_is_a_dated_setting(api: Api, shg: Shg) -> None:
    s = shg  # four meetings recorded, the last on 2026-04-05
    url = f"/v1/books/{s.shg_id}/settings"
    back = api.http.post(
        url,
        json={"effective_from": "2026-03-01", "compulsory_amount": rs(150)},
        headers=s.bookkeeper,
    )
    assert back.status_code == 422
    assert [e["field"] for e in back.json()["errors"]] == ["effective_from"]
    ok = api.http.post(
        url,
        json={"effective_from": "2026-05-01", "compulsory_amount": rs(150)},
        headers=s.bookkeeper,
    )
    assert ok.status_code == 200, ok.text
    assert [(x["effective_from"], x["compulsory_amount"]) for x in ok.json()["settings"]] == [
        ("2025-12-01", rs(100)),
        ("2026-05-01", rs(150)),
    ]
    pack = api.http.get(f"/v1/books/{s.shg_id}/pack", headers=s.bookkeeper).json()
    assert (pack["next_number"], pack["expected_date"]) == (5, "2026-05-05")
    assert {m["compulsory_due"] for m in pack["members"]} == {rs(150)}


def test_concurrent_uploads_keep_one_copy(api: Api) -> None:
    s = shg_with_members(api, count=2)
    open_new_books(api, s)
    ms = meetings(s, 2)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: upload(api, s, ms), range(4)))
    assert all(code == 200 for code, _ in answers)
    outcomes = sorted(r["outcome"] for _, a in answers for r in a["results"])  # type: ignore[union-attr]
    assert outcomes.count("RECORDED") == 2
    assert outcomes.count("ALREADY_RECORDED") == 6
    listed = api.http.get(f"/v1/books/{s.shg_id}/meetings", headers=s.bookkeeper).json()
    assert [m["number"] for m in listed["meetings"]] == [1, 2]
    assert total_assets(api, s) == rs(100) * 2 * 2


def test_a_refused_meeting_stops_the_chain(api: Api) -> None:
    s = shg_with_members(api, count=2)
    open_new_books(api, s)
    ms = meetings(s, 4)
    ms[2] = {**ms[2], "cash_counted": rs(1)}  # meeting 3 does not close
    code, answer = upload(api, s, ms)
    assert code == 200
    results = answer["results"]
    assert isinstance(results, list)
    assert [r["outcome"] for r in results] == ["RECORDED", "RECORDED", "REFUSED", "NOT_TRIED"]
    assert results[2]["problems"][0]["field"] == "meetings[2].cash_counted"
    listed = api.http.get(f"/v1/books/{s.shg_id}/meetings", headers=s.bookkeeper).json()
    assert [m["number"] for m in listed["meetings"]] == [1, 2]


def test_killed_mid_upload_and_retried_keeps_one_copy(api: Api) -> None:
    s = shg_with_members(api, count=15)
    open_new_books(api, s)
    ms = meetings(s, 4)
    sender = threading.Thread(target=lambda: upload(api, s, ms))
    sender.start()
    # Kill the service while the upload is in flight (or just after: either way the retry
    # below must find whole meetings only, each once).
    api.platform.kill_program("transactions")
    sender.join(timeout=120)
    assert not sender.is_alive()
    assert wait_for(lambda: api.http.get("/readyz").status_code == 200, timeout=60)
    assert wait_for(lambda: upload(api, s, ms)[0] == 200, timeout=60, interval=0.5)
    code, answer = upload(api, s, ms)
    assert code == 200
    results = answer["results"]
    assert isinstance(results, list)
    assert [r["outcome"] for r in results] == ["ALREADY_RECORDED"] * 4
    listed = api.http.get(f"/v1/books/{s.shg_id}/meetings", headers=s.bookkeeper).json()
    assert [m["number"] for m in listed["meetings"]] == [1, 2, 3, 4]
    assert total_assets(api, s) == rs(100) * 15 * 4


def member_leaves(api: Api, s: Shg, member_id: str, left_on: str) -> None:
    """Her leaving goes through maker-checker in profiles, like any change of an approved
    member; on approval she is inactive after ``left_on``."""
    admin = h(s.blk.admin)
    member = api.http.get(f"/v1/members/{member_id}", headers=admin).json()
    early = api.http.patch(
        f"/v1/members/{member_id}",
        json={"version": member["version"], "left_on": left_on},
        headers=admin,
    )
    assert early.status_code == 422  # the reason comes with the date
    assert [e["field"] for e in early.json()["errors"]] == ["leaving_reason"]
    changed = api.http.patch(
        f"/v1/members/{member_id}",
        json={"version": member["version"], "left_on": left_on, "leaving_reason": "migration"},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == "approved"  # the leaving waits for the checker
    approve_member(api.http, s.blk, s.blk.admin, changed.json())
    after = api.http.get(f"/v1/members/{member_id}", headers=admin).json()
    assert (after["status"], after["left_on"], after["leaving_reason"]) == (
        "inactive",
        left_on,
        "migration",
    )


def test_a_member_who_left_before_meeting_3_stops_the_chain_there(api: Api) -> None:
    s = shg_with_members(api, count=3)
    open_new_books(api, s)
    leaver = s.m(3)
    member_leaves(api, s, leaver, "2026-02-20")  # after meeting 2 (02-05), before 3 (03-05)

    def copied() -> bool:
        pack = api.http.get(f"/v1/books/{s.shg_id}/pack", headers=s.bookkeeper).json()
        return leaver not in {m["member_id"] for m in pack["members"]}

    # The service's copy of the members follows profiles' events.
    assert wait_for(copied, timeout=30, interval=0.5)
    ms = meetings(s, 4)  # every meeting lists all three members
    code, answer = upload(api, s, ms)
    assert code == 200
    results = answer["results"]
    assert isinstance(results, list)
    assert [r["outcome"] for r in results] == ["RECORDED", "RECORDED", "REFUSED", "NOT_TRIED"]
    # her line is refused, so the cash counted (with her savings) no longer matches the books
    assert [p["field"] for p in results[2]["problems"]] == [
        "meetings[2].members[2].member_id",
        "meetings[2].cash_counted",
    ]
    assert "not an active member" in results[2]["problems"][0]["message"]
    assert results[3]["problems"][0]["message"] == "an earlier meeting was refused"
    listed = api.http.get(f"/v1/books/{s.shg_id}/meetings", headers=s.bookkeeper).json()
    assert [m["number"] for m in listed["meetings"]] == [1, 2]

    # Meetings 3 and 4 again without her (the cash counted without her savings) are recorded.
    rest = []
    for m in ms[2:]:
        lines = [ln for ln in m["members"] if ln["member_id"] != leaver]  # type: ignore[attr-defined]
        counted = rs(100) * 3 * 2 + rs(100) * 2 * (int(str(m["number"])) - 2)
        rest.append(
            {**m, "client_id": str(uuid.uuid4()), "members": lines, "cash_counted": counted}
        )
    code, answer = upload(api, s, rest)
    assert code == 200, answer
    assert [r["outcome"] for r in answer["results"]] == ["RECORDED", "RECORDED"]  # type: ignore[index]
    assert total_assets(api, s) == rs(100) * (3 * 2 + 2 * 2)
