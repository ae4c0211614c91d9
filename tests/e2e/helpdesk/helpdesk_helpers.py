"""The help desk's people, made through the gateway as the national admin makes them."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from tests.conftest import Api
from tests.e2e.identity_helpers import create_user, new_code, token

PW = "Lokos@2024"


@dataclass
class Desk:
    agent: str
    agent_id: str
    lead: str
    lead_id: str
    contact: str  # the state help desk contact of "up"
    contact_id: str


def h(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}"}


def make_desk(api: Api) -> Desk:
    national = token(api.http, "NATIONAL_ADMIN", "Demo@12345", entry="national")
    made: dict[str, tuple[str, str]] = {}
    for role, prefix, level, entry in (
        ("NATIONAL_HELPDESK_AGENT", "NATIONAL_HDA", "national", "national"),
        ("NATIONAL_HELPDESK_LEAD", "NATIONAL_HDL", "national", "national"),
        ("STATE_HELPDESK_CONTACT", "UP_HDC", "state", "state"),
    ):
        user_id = f"{prefix}{new_code(6)}"
        r = create_user(api.http, national, user_id, role, level, [], password=PW)
        assert r.status_code == 201, (role, r.text)
        made[role] = (token(api.http, user_id, PW, entry=entry), user_id)
    return Desk(
        *made["NATIONAL_HELPDESK_AGENT"],
        *made["NATIONAL_HELPDESK_LEAD"],
        *made["STATE_HELPDESK_CONTACT"],
    )


def raise_ticket(http: httpx.Client, tok: str, **extra: Any) -> httpx.Response:
    body = {
        "client_id": str(uuid.uuid4()),
        "category": "profile",
        "severity": "medium",
        "title": "Member stuck in pending",
        **extra,
    }
    return http.post("/v1/helpdesk/tickets", json=body, headers=h(tok))


def act(
    http: httpx.Client, tok: str, ticket: dict[str, Any], action: str, **extra: Any
) -> httpx.Response:
    body = {"action": action, "version": ticket["version"], **extra}
    return http.post(f"/v1/helpdesk/tickets/{ticket['id']}/actions", json=body, headers=h(tok))


def wait_for_trace(
    http: httpx.Client, tok: str, request_id: str, services: set[str], timeout: float = 30.0
) -> dict[str, Any]:
    """The request's trace once the index holds hops of every one of ``services`` (spans are
    written in batches and indexed every second)."""
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        r = http.get(f"/v1/helpdesk/requests/{request_id}", headers=h(tok))
        if r.status_code == 200:
            body = r.json()
            if services <= set(body["services"]):
                return body
        time.sleep(0.5)
    raise AssertionError(f"trace {request_id} never reached {services}: {body}")
