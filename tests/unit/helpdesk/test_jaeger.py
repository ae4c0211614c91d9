"""Request search against Jaeger's query API: its JSON (as Jaeger answers /api/traces) read as
hops. Jaeger is not something this project starts, so its answers are given here."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from lokos.errors import Unavailable
from services.helpdesk.jaeger import JaegerStore

TRACE = "0af7651916cd43dd8448eb211c80319c"


def jaeger_trace(trace_id: str, start_us: int) -> dict[str, Any]:
    return {
        "traceID": trace_id,
        "processes": {"p1": {"serviceName": "gateway"}, "p2": {"serviceName": "profiles"}},
        "spans": [
            {
                "traceID": trace_id,
                "spanID": "b7ad6b7169203331",
                "operationName": "POST /v1/members",
                "references": [],
                "startTime": start_us,
                "duration": 12_000,
                "processID": "p1",
                "tags": [
                    {"key": "span.kind", "type": "string", "value": "server"},
                    {"key": "http.status_code", "type": "int64", "value": 409},
                    {"key": "lokos.user_id", "type": "string", "value": "UP_BA1"},
                ],
                "logs": [],
            },
            {
                "traceID": trace_id,
                "spanID": "00f067aa0ba902b7",
                "operationName": "lokos.profiles.v1.ProfilesService/CreateMember",
                "references": [
                    {"refType": "CHILD_OF", "traceID": trace_id, "spanID": "b7ad6b7169203331"}
                ],
                "startTime": start_us + 2_000,
                "duration": 8_000,
                "processID": "p2",
                "tags": [
                    {"key": "span.kind", "type": "string", "value": "server"},
                    {"key": "otel.status_code", "type": "string", "value": "ERROR"},
                ],
                "logs": [
                    {
                        "timestamp": start_us + 9_000,
                        "fields": [
                            {"key": "event", "value": "exception"},
                            {"key": "exception.type", "value": "Conflict"},
                            {"key": "exception.message", "value": "mobile 9876543210 is taken"},
                        ],
                    }
                ],
            },
        ],
    }


def store(seen: list[httpx.Request], answers: dict[str, Any]) -> JaegerStore:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        key = request.url.path + (
            "?" + request.url.params["service"] if request.url.params.get("service") else ""
        )
        if key not in answers:
            return httpx.Response(404, json={"data": None, "errors": [{"code": 404}]})
        return httpx.Response(200, json={"data": answers[key]})

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return JaegerStore(client, "http://jaeger:16686/")


async def test_a_trace_becomes_hops_with_errors_masked() -> None:
    s = store([], {f"/api/traces/{TRACE}": [jaeger_trace(TRACE, 1_700_000_000_000_000)]})
    hops = await s.hops(TRACE)
    assert [(h.service, h.kind, h.parent_id) for h in hops] == [
        ("gateway", "SERVER", ""),
        ("profiles", "SERVER", "b7ad6b7169203331"),
    ]
    gateway, profiles = hops
    assert (gateway.http_status, gateway.user_id, gateway.duration_ms) == (409, "UP_BA1", 12.0)
    assert profiles.status == "ERROR"
    assert profiles.error == "Conflict: mobile XXXXXX3210 is taken"
    assert profiles.start_ns - gateway.start_ns == 2_000_000
    assert await s.hops("f" * 32) == []


async def test_a_search_asks_the_tagged_services_and_answers_newest_first() -> None:
    older, newer = "1" * 32, "2" * 32
    seen: list[httpx.Request] = []
    s = store(
        seen,
        {
            "/api/traces?gateway": [jaeger_trace(older, 1_000), jaeger_trace(newer, 5_000)],
            "/api/traces?profiles": [jaeger_trace(newer, 5_000)],
        },
    )
    ids = await s.trace_ids(user_id="UP_BA1", since_ns=1_000_000, until_ns=9_000_000, limit=10)
    assert ids == [newer, older]
    asked = [r.url.params for r in seen]
    assert {p["service"] for p in asked} == {"gateway", "profiles"}
    assert all(json.loads(p["tags"]) == {"lokos.user_id": "UP_BA1"} for p in asked)
    assert all((p["start"], p["end"]) == ("1000", "9000") for p in asked)
    entries = await s.entry_hops(ids)
    assert entries[newer].name == "POST /v1/members" and entries[newer].parent_id == ""


async def test_an_unreachable_backend_is_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    s = JaegerStore(httpx.AsyncClient(transport=httpx.MockTransport(refuse)), "http://jaeger")
    with pytest.raises(Unavailable):
        await s.hops(TRACE)
