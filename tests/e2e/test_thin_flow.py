"""The thin flow across every part, against the running processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import httpx

from lokosctl.tracestore import SpanNode, build_tree, load_trace
from tests.conftest import Api
from tests.e2e.helpers import wait_for


def test_every_process_is_ready(api: Api) -> None:
    r = api.http.get("/readyz")
    assert r.status_code == 200, r.text
    assert set(r.json()["services"]) == {
        "identity",
        "profiles",
        "dedup",
        "transactions",
        "reports",
        "helpdesk",
    }
    assert all(v == "serving" for v in r.json()["services"].values())
    states = {p["name"]: p["statename"] for p in api.platform.status()}
    assert states == {
        name: "RUNNING"
        for name in (
            "postgres",
            "nats",
            "bus",
            "idp",
            "identity",
            "profiles",
            "dedup",
            "transactions",
            "reports",
            "helpdesk",
            "gateway",
        )
    }


def test_shg_created_in_a_block_is_counted_on_the_dashboard_and_traced(api: Api) -> None:
    block = api.new_block()
    assert api.dashboard_count(block) == 0

    created = api.create_shg(block, "Jai Maa Santoshi SHG")
    assert created.status_code == 201, created.text
    shg = created.json()
    assert shg["block_lgd_code"] == block and shg["created_by"] == "UP_STATEADMIN"
    request_id = created.headers["x-request-id"]
    assert len(request_id) == 32

    read = api.get(f"/v1/cbos/{shg['id']}")
    assert read.status_code == 200 and read.json()["name"] == "Jai Maa Santoshi SHG"

    assert wait_for(lambda: api.dashboard_count(block) == 1), api.dashboard_count(block)

    env = {**os.environ, "LOKOS_DATA_DIR": str(api.platform.data)}

    def trace_output() -> str:
        out = subprocess.run(
            [sys.executable, "-m", "lokosctl.cli", "trace", request_id],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        return out.stdout

    # Spans are flushed in batches; the consumer's span is the last to land.
    assert wait_for(lambda: "consume profiles.shg.created" in trace_output(), timeout=15)
    tree = trace_output()
    assert f"trace {request_id}" in tree
    for expected in (
        "gateway POST /v1/cbos",
        "profiles /lokos.profiles.v1.ProfilesService/CreateCbo",
        "profiles INSERT",  # SQLAlchemy spans under the RPC
        "reports consume profiles.shg.created",
    ):
        assert expected in " ".join(tree.split()), tree
    # One tree: the consumer span hangs (indirectly) under the gateway's root span.
    (root,) = build_tree(load_trace(api.platform.s.trace_dir.resolve(), request_id))
    assert root.service == "gateway" and root.name == "POST /v1/cbos"

    def descendants(node: SpanNode) -> list[SpanNode]:
        return [c for child in node.children for c in (child, *descendants(child))]

    assert any(
        s.service == "reports" and s.name == "consume profiles.shg.created"
        for s in descendants(root)
    )


def test_same_client_id_twice_creates_one_shg(api: Api) -> None:
    block = api.new_block()
    body = {
        "client_id": str(uuid.uuid4()),
        "cbo_type": "SHG",
        "name": "Sita SHG",
        "block_lgd_code": block,
    }
    first = api.post("/v1/cbos", body)
    again = api.post("/v1/cbos", body)
    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    # The same client id with another SHG is a client bug, not a replay.
    other = api.post("/v1/cbos", {**body, "name": "Something else"})
    assert other.status_code == 422, other.text
    assert other.json()["errors"][0]["code"] == "client_id_reused"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["name"] == "Sita SHG"
    assert wait_for(lambda: api.dashboard_count(block) == 1)
    time.sleep(1)
    assert api.dashboard_count(block) == 1


def test_openapi_documents_every_v1_route(api: Api) -> None:
    doc = httpx.get(f"{api.platform.gateway_url}/v1/openapi.json").json()
    assert {
        "/v1/cbos",
        "/v1/cbos/{cbo_id}",
        "/v1/reports/dashboard",
        "/v1/geography/districts",
        "/v1/geography/blocks",
    } <= set(doc["paths"])
