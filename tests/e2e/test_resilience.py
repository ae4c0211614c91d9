"""Nothing is lost, nothing is counted twice, when NATS or a consumer dies mid-stream."""

from __future__ import annotations

import threading
import time
import uuid
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import Api
from tests.e2e.helpers import wait_for


def _create_many(api: Api, block: str, n: int, workers: int = 8, first: int = 0) -> list[int]:
    """Create ``n`` SHGs concurrently (numbered from ``first``); return the status codes."""
    token = api.token

    def one(i: int) -> int:
        with httpx.Client(base_url=api.platform.gateway_url, timeout=30) as c:
            r = c.post(
                "/v1/cbos",
                json={
                    "client_id": f"00000000-0000-4000-8000-{int(block) % 10**6:06d}{i:06d}",
                    "cbo_type": "SHG",
                    "name": f"Lakshmi SHG {i}",
                    "block_lgd_code": block,
                },
                headers={"Authorization": f"Bearer {token}"},
            )
            return r.status_code

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, range(first, first + n)))


def _stable_count(api: Api, block: str, expected: int) -> int:
    """Wait for the count to reach ``expected``, then make sure it stays there."""
    wait_for(lambda: api.dashboard_count(block) >= expected, timeout=60, interval=0.5)
    time.sleep(3)  # any replay or double count would show up now
    return api.dashboard_count(block)


def test_nats_down_while_creating_loses_nothing(api: Api) -> None:
    """Creates go on while NATS is away; their events wait in the outbox and arrive after.

    The first SHGs are counted before NATS stops, so the count while it is away is exactly
    theirs whatever the relay's pace (no race between the relay and the stop)."""
    block = api.new_block()
    assert _create_many(api, block, 20, 4) == [201] * 20
    assert wait_for(lambda: api.dashboard_count(block) == 20, timeout=60, interval=0.2)
    api.platform.stop_program("nats")
    try:
        assert _create_many(api, block, 40, 4, first=20) == [201] * 40
        assert api.dashboard_count(block) == 20
    finally:
        api.platform.start_program("nats")
    assert _stable_count(api, block, 60) == 60


def test_reports_killed_mid_stream_neither_loses_nor_double_counts(api: Api) -> None:
    block = api.new_block()
    n = 300
    statuses: list[int] = []
    creator = threading.Thread(target=lambda: statuses.extend(_create_many(api, block, n)))
    creator.start()
    # Kill while events are flowing: after the first ones were counted, before the last.
    assert wait_for(lambda: api.dashboard_count(block) > 0, timeout=30, interval=0.05)
    api.platform.kill_program("reports")
    creator.join(timeout=120)
    assert statuses == [201] * n
    # supervisord restarts it, as after a crash; the durable consumer resumes.
    assert wait_for(lambda: api.http.get("/readyz").status_code == 200, timeout=60)
    assert _stable_count(api, block, n) == n
    pids = {p["name"]: p for p in api.platform.status()}
    assert pids["reports"]["statename"] == "RUNNING"


def _start(api: Api, program: str) -> bool:
    try:
        api.platform.start_program(program)
    except xmlrpc.client.Fault as fault:  # SPAWN_ERROR: try again; supervisord may retry too
        return "ALREADY_STARTED" in fault.faultString
    return True


@pytest.mark.outage
def test_postgres_down_answers_503_with_retry_after(api: Api) -> None:
    """Every request that needs the database while it is away is a 503 problem to retry (with
    Retry-After), never a 500; once it is back the same requests succeed."""
    block = api.new_block()
    created = api.create_shg(block, "Sarita SHG")
    assert created.status_code == 201, created.text
    shg_id = created.json()["id"]
    token = api.token  # logged in (and the principal cached) while the database is up
    requests = [
        ("GET", f"/v1/cbos/{shg_id}", None),
        ("GET", "/v1/users", None),
        ("GET", "/v1/geography/units?level=district", None),
        ("POST", "/v1/cbos", {"cbo_type": "SHG", "name": "Asha SHG", "block_lgd_code": block}),
    ]

    def send(method: str, path: str, body: dict[str, str] | None) -> httpx.Response:
        if body is not None:
            body = {**body, "client_id": str(uuid.uuid4())}
        return api.http.request(
            method, path, json=body, headers={"Authorization": f"Bearer {token}"}
        )

    api.platform.stop_program("postgres")  # pooled connections die with it
    try:
        # Twice: the first use of a dead pooled connection and a refused new one.
        for _ in range(2):
            for method, path, body in requests:
                r = send(method, path, body)
                assert r.status_code == 503, (path, r.status_code, r.text)
                assert r.headers["content-type"].startswith("application/problem+json")
                assert int(r.headers["retry-after"]) > 0
    finally:
        # After a long suite the shutdown checkpoint may outlast supervisord's stop wait: the
        # server is then killed, and a start succeeds once its orphaned backends are gone.
        assert wait_for(lambda: _start(api, "postgres"), timeout=60, interval=1)
    # Back: each request succeeds again (a pooled connection that died with the server fails
    # one request, with a 503 to retry, and is replaced).
    for method, path, body in requests:
        ok = 201 if method == "POST" else 200
        assert wait_for(
            lambda m=method, p=path, b=body, ok=ok: send(m, p, b).status_code == ok, 60
        ), path
