"""Request search: a member added through the gateway is found by its request id, the
submission reference, the user id and the SHG, and its path runs gateway → profiles → dedup
→ an event consumer, with no personal data on the way."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import Api
from tests.e2e.helpdesk.helpdesk_helpers import Desk, h, make_desk, raise_ticket, wait_for_trace
from tests.e2e.profiles.profile_helpers import Block, make_block, member_body, new_shg, submit


@pytest.fixture(scope="module")
def desk(api: Api) -> Desk:
    return make_desk(api)


@pytest.fixture(scope="module")
def story(api: Api) -> dict[str, Any]:
    """A block, an SHG, a member added (her request id) and submitted (its reference)."""
    blk: Block = make_block(api)
    shg = new_shg(api.http, blk.admin, blk)
    body = member_body(str(shg["id"]), 1)
    r = api.http.post("/v1/members", json=body, headers=h(blk.admin))
    assert r.status_code == 201, r.text
    member = r.json()
    s = submit(api.http, blk.admin, "member", member)
    assert s.status_code == 201, s.text
    approve = api.http.post(
        f"/v1/submissions/{s.json()['id']}/approve",
        json={"identifiers": []},
        headers=h(blk.bpm),
    )
    return {
        "blk": blk,
        "shg_id": str(shg["id"]),
        "member": member,
        "aadhaar": body["aadhaar"],
        "mobile": body["mobile"],
        "create_request": r.headers["x-request-id"],
        "submission_ref": s.json()["id"],
        "submit_request": s.headers["x-request-id"],
        "approve_request": approve.headers["x-request-id"],
    }


def search(api: Api, tok: str, **params: str) -> list[dict[str, Any]]:
    r = api.http.get("/v1/helpdesk/requests", params=params, headers=h(tok))
    assert r.status_code == 200, r.text
    return list(r.json())


def test_the_path_of_a_request_runs_across_gateway_profiles_dedup_and_a_consumer(
    api: Api, desk: Desk, story: dict[str, Any]
) -> None:
    trace = wait_for_trace(
        api.http, desk.agent, story["create_request"], {"gateway", "profiles", "dedup"}
    )
    hops = trace["hops"]
    root = hops[0]
    assert (root["service"], root["name"], root["http_status"], root["depth"]) == (
        "gateway",
        "POST /v1/members",
        201,
        0,
    )
    kinds = {(hop["service"], hop["kind"]) for hop in hops}
    assert ("profiles", "SERVER") in kinds
    assert ("dedup", "CONSUMER") in kinds
    # Database calls are hops too, below the service that made them.
    assert any(hop["service"] == "profiles" and hop["name"].startswith("INSERT") for hop in hops)
    assert all(hop["offset_ms"] >= 0 and hop["duration_ms"] >= 0 for hop in hops)
    assert trace["failed"] is False
    text = json.dumps(trace)
    assert story["aadhaar"] not in text and story["mobile"] not in text


def test_requests_are_found_by_each_key(api: Api, desk: Desk, story: dict[str, Any]) -> None:
    wait_for_trace(api.http, desk.agent, story["approve_request"], {"gateway", "profiles"})
    by_id = search(api, desk.agent, request_id=story["create_request"])
    assert [r["request_id"] for r in by_id] == [story["create_request"]]
    assert by_id[0]["name"] == "POST /v1/members" and by_id[0]["http_status"] == 201

    by_submission = {
        r["request_id"] for r in search(api, desk.agent, submission_ref=story["submission_ref"])
    }
    assert {story["submit_request"], story["approve_request"]} <= by_submission

    by_cbo = {r["request_id"] for r in search(api, desk.agent, cbo_code=story["shg_id"])}
    assert story["create_request"] in by_cbo

    since = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    bpm = search(api, desk.agent, user_id=story["blk"].bpm_id, since=since)
    assert story["approve_request"] in {r["request_id"] for r in bpm}
    assert {r["user_id"] for r in bpm} == {story["blk"].bpm_id}
    # A range before the request finds nothing of it.
    until = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    old = search(api, desk.agent, user_id=story["blk"].bpm_id, until=until)
    assert story["approve_request"] not in {r["request_id"] for r in old}


def test_a_ticket_links_the_traces_it_cites(api: Api, desk: Desk, story: dict[str, Any]) -> None:
    t = raise_ticket(
        api.http,
        desk.contact,
        references={"request_id": story["create_request"]},
    ).json()
    assert t["trace_ids"] == [story["create_request"]]
    r = api.http.post(
        f"/v1/helpdesk/tickets/{t['id']}/actions",
        json={
            "action": "comment",
            "version": t["version"],
            "text": "and the submit",
            "trace_ids": [story["submit_request"]],
        },
        headers=h(desk.agent),
    )
    assert r.status_code == 200, r.text
    assert r.json()["trace_ids"] == [story["create_request"], story["submit_request"]]
    trace = wait_for_trace(api.http, desk.agent, story["submit_request"], {"gateway"})
    assert t["id"] in trace["ticket_ids"]


def test_the_help_desk_reads_no_members_personal_data(
    api: Api, desk: Desk, story: dict[str, Any]
) -> None:
    # Profiles counts no help desk role among its readers: to them the member is not there.
    for tok in (desk.agent, desk.lead, desk.contact):
        r = api.http.get(f"/v1/members/{story['member']['id']}", headers=h(tok))
        assert r.status_code == 404, r.text
        assert story["aadhaar"] not in r.text and story["mobile"] not in r.text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "request_id"),
        ({"request_id": "0" * 32, "user_id": "UP_X"}, "request_id"),
        ({"request_id": "xyz"}, "request_id"),
        ({"user_id": "UP_X", "since": "yesterday"}, "since"),
    ],
)
def test_a_search_needs_one_well_formed_key(
    api: Api, desk: Desk, params: dict[str, str], field: str
) -> None:
    r = api.http.get("/v1/helpdesk/requests", params=params, headers=h(desk.agent))
    assert r.status_code == 422, r.text
    assert field in r.text


def test_an_unknown_request_is_not_found(api: Api, desk: Desk) -> None:
    r = api.http.get(f"/v1/helpdesk/requests/{'ab' * 16}", headers=h(desk.agent))
    assert r.status_code == 404, r.text
