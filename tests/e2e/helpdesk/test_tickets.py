"""Tickets through the gateway: the workflow, the SLA clock, who sees which state's tickets,
the report, and that every step is audited and emitted."""

from __future__ import annotations

import csv
import io
import time
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import Api
from tests.e2e.helpdesk.helpdesk_helpers import Desk, act, h, make_desk, raise_ticket


@pytest.fixture(scope="module")
def desk(api: Api) -> Desk:
    return make_desk(api)


def test_a_ticket_goes_through_the_documented_workflow(api: Api, desk: Desk) -> None:
    http = api.http
    r = raise_ticket(
        http,
        desk.contact,
        category="duplicate",
        severity="high",
        title="Aadhaar 2345 6789 0123 flagged twice",
        description="Member with mobile 9876543210 and bank a/c 123456789012 cannot be approved",
        references={"user_id": "UP_BPM1", "cbo_code": "SHG-42"},
    )
    assert r.status_code == 201, r.text
    t = r.json()
    assert (t["state"], t["status"], t["raised_by"]) == ("up", "open", desk.contact_id)
    # What people type is stored masked: the help desk never reads such numbers.
    assert "2345 6789 0123" not in t["title"] and t["title"].endswith("XXXXXXXX0123 flagged twice")
    for number in ("9876543210", "123456789012"):
        assert number not in t["description"]
    assert not t["sla_breached"]

    t = act(http, desk.agent, t, "assign").json()
    assert (t["status"], t["assignee"]) == ("assigned", desk.agent_id)
    r = act(http, desk.contact, t, "comment", text="Still stuck this morning")
    assert r.status_code == 200, r.text
    t = r.json()
    t = act(http, desk.agent, t, "escalate", text="needs a dedup override").json()
    assert (t["status"], t["escalation_level"]) == ("escalated", 1)
    r = act(http, desk.agent, t, "resolve", text="done")
    assert r.status_code == 403 and r.json()["code"] == "lead_required", r.text
    r = act(http, desk.lead, t, "resolve", text="Override recorded by the state")
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["status"] == "resolved" and t["resolved_at"] and t["resolution"]
    # A stale version is refused and changes nothing.
    r = act(http, desk.contact, {**t, "version": t["version"] - 1}, "reopen", text="again")
    assert r.status_code == 409, r.text
    r = act(http, desk.contact, t, "reopen", text="It came back")
    assert r.status_code == 200, r.text
    t = r.json()
    assert (t["status"], t["resolved_at"], t["assignee"]) == ("assigned", "", desk.agent_id)
    r = act(http, desk.contact, t, "resolve", text="fixed myself")
    assert r.status_code == 403, r.text

    d = http.get(f"/v1/helpdesk/tickets/{t['id']}", headers=h(desk.agent)).json()
    assert [e["action"] for e in d["history"]] == [
        "raised",
        "assigned",
        "commented",
        "escalated",
        "resolved",
        "reopened",
    ]
    assert d["version"] == 6  # six steps changed it; the refused ones did not


async def test_every_change_is_audited_and_emitted(api: Api, desk: Desk) -> None:
    t = raise_ticket(api.http, desk.contact).json()
    t = act(api.http, desk.agent, t, "assign").json()
    act(api.http, desk.agent, t, "resolve", text="answered on the phone")
    engine = create_async_engine(api.platform.database_url("helpdesk"))
    try:
        async with engine.connect() as conn:
            audit = (
                await conn.execute(
                    text(
                        "SELECT action, actor FROM audit_log WHERE entity = 'ticket'"
                        " AND entity_id = :id ORDER BY id"
                    ),
                    {"id": t["id"]},
                )
            ).all()
            emitted = (
                (
                    await conn.execute(
                        text(
                            "SELECT type FROM outbox"
                            " WHERE subject LIKE 'lokos.up.helpdesk.%' ORDER BY id"
                        )
                    )
                )
                .scalars()
                .all()
            )
    finally:
        await engine.dispose()
    assert [tuple(a) for a in audit] == [
        ("raised", desk.contact_id),
        ("assigned", desk.agent_id),
        ("resolved", desk.agent_id),
    ]
    assert {
        "helpdesk.ticket.raised",
        "helpdesk.ticket.assigned",
        "helpdesk.ticket.resolved",
    } <= set(emitted)


def test_a_critical_ticket_breaches_its_sla_and_a_low_one_does_not(api: Api, desk: Desk) -> None:
    # The test platform gives critical tickets about two seconds (tests/conftest.py).
    critical = raise_ticket(api.http, desk.contact, severity="critical", title="Nobody logs in")
    low = raise_ticket(api.http, desk.contact, severity="low", title="Typo in a label")
    assert critical.status_code == low.status_code == 201
    time.sleep(2.5)
    found = api.http.get(
        "/v1/helpdesk/tickets", params={"breached_only": "true"}, headers=h(desk.agent)
    ).json()
    ids = {t["id"] for t in found}
    assert critical.json()["id"] in ids and low.json()["id"] not in ids
    assert all(t["sla_breached"] for t in found)
    one = api.http.get(f"/v1/helpdesk/tickets/{low.json()['id']}", headers=h(desk.agent)).json()
    assert one["sla_breached"] is False

    r = api.http.get("/v1/helpdesk/tickets/report.csv", headers=h(desk.agent))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    login = [x for x in rows if x["state"] == "up" and x["category"] == "profile"]
    assert sum(int(x["breached"]) for x in login) >= 1
    assert {"<1d", "resolved"} <= {x["age_band"] for x in rows}


def test_a_state_contact_sees_only_her_states_tickets(api: Api, desk: Desk) -> None:
    other = raise_ticket(api.http, desk.agent, state="br", title="Bihar cannot upload").json()
    assert other["state"] == "br"
    mine = raise_ticket(api.http, desk.contact).json()
    listed = api.http.get("/v1/helpdesk/tickets", headers=h(desk.contact)).json()
    assert mine["id"] in {t["id"] for t in listed}
    assert {t["state"] for t in listed} == {"up"}
    r = api.http.get(f"/v1/helpdesk/tickets/{other['id']}", headers=h(desk.contact))
    assert r.status_code == 404, r.text
    r = api.http.get("/v1/helpdesk/tickets", params={"state": "br"}, headers=h(desk.contact))
    assert r.status_code == 403, r.text
    r = act(api.http, desk.contact, other, "comment", text="hello")
    assert r.status_code == 404, r.text
    r = raise_ticket(api.http, desk.contact, state="br")
    assert r.status_code == 403, r.text
    # The help desk sees both states.
    seen = api.http.get("/v1/helpdesk/tickets", headers=h(desk.agent)).json()
    assert {other["id"], mine["id"]} <= {t["id"] for t in seen}
    report = api.http.get("/v1/helpdesk/tickets/report.csv", headers=h(desk.contact)).text
    assert ",br," not in report and "\nbr," not in report


def test_raising_twice_with_one_client_id_gives_the_first_ticket(api: Api, desk: Desk) -> None:
    client_id = str(uuid.uuid4())
    a = raise_ticket(api.http, desk.contact, client_id=client_id)
    b = raise_ticket(api.http, desk.contact, client_id=client_id, title="another")
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] == b.json()["id"] and b.json()["title"] == a.json()["title"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"category": "weather"}, "category"),
        ({"severity": "urgent"}, "severity"),
        ({"title": ""}, "title"),
        ({"title": "A\x00B"}, "title"),
        ({"references": {"request_id": "not-hex"}}, "request_id"),
    ],
)
def test_bad_input_names_the_field_and_raises_nothing(
    api: Api, desk: Desk, extra: dict[str, object], field: str
) -> None:
    before = len(api.http.get("/v1/helpdesk/tickets", headers=h(desk.contact)).json())
    r = raise_ticket(api.http, desk.contact, **extra)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in r.text
    after = len(api.http.get("/v1/helpdesk/tickets", headers=h(desk.contact)).json())
    assert after == before


def test_people_outside_the_help_desk_are_refused(api: Api) -> None:
    # A demo State Admin may raise tickets for her state; a Block user may not.
    r = api.http.get("/v1/helpdesk/tickets", headers=h(api.token))
    assert r.status_code == 200, r.text
    r = api.http.get("/v1/helpdesk/tickets")
    assert r.status_code == 401
