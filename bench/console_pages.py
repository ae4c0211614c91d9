"""The web console's server time: what the gateway takes to answer each page's files and the
API calls the page makes, measured on loopback, one client, sequential (goal p99 ≤ 100 ms).

Seeds 200 tickets and a traced request, then times: the page shell and its scripts, the ticket
list and a ticket, a request's timeline, the dashboard's counts and the units it lists.

    python -m bench.console_pages [--requests 300] [--port-base 0]
"""

from __future__ import annotations

import argparse
import time
import uuid

import httpx
from rich.table import Table

from bench.common import (
    LatencyStats,
    console,
    fmt_ms,
    get_token,
    new_data_dir,
    remove_data_dir,
    write_results,
)
from bench.request_search import agent_token, settings_at
from launcher.platform import running_platform

GOAL_P99_MS = 100.0


def timed(http: httpx.Client, path: str, token: str, n: int) -> LatencyStats:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for _ in range(5):
        http.get(path, headers=headers)
    samples = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        r = http.get(path, headers=headers)
        samples.append(time.perf_counter_ns() - t0)
        if r.status_code != 200:
            raise SystemExit(f"{path}: {r.status_code} {r.text[:200]}")
    return LatencyStats.from_ns(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--port-base", type=int, default=0)
    args = parser.parse_args()
    data = new_data_dir("console")
    results: dict[str, LatencyStats] = {}
    try:
        with (
            running_platform(settings_at(data, args.port_base), wipe=True) as p,
            httpx.Client(base_url=p.gateway_url, timeout=30) as http,
        ):
            agent = agent_token(http, p.idp_url)
            admin = get_token(p)
            seen = http.get(
                "/v1/geography/units",
                params={"level": "district"},
                headers={"Authorization": f"Bearer {admin}"},
            )
            request_id = seen.headers["x-request-id"]
            ticket = ""
            for i in range(200):
                r = http.post(
                    "/v1/helpdesk/tickets",
                    json={
                        "client_id": str(uuid.uuid4()),
                        "state": "up",
                        "category": "profile",
                        "severity": ("critical", "high", "medium", "low")[i % 4],
                        "title": f"Bench ticket {i}",
                        "references": {"request_id": request_id},
                    },
                    headers={"Authorization": f"Bearer {agent}"},
                )
                r.raise_for_status()
                ticket = r.json()["id"]
            # The trace must be indexed before its page is timed.
            for _ in range(100):
                got = http.get(
                    f"/v1/helpdesk/requests/{request_id}",
                    headers={"Authorization": f"Bearer {agent}"},
                )
                if got.status_code == 200:
                    break
                time.sleep(0.2)
            pages = [
                ("console page (index.html)", "/console/", ""),
                ("console script (app.js)", "/console/app.js", ""),
                ("console config", "/console/config.json", ""),
                ("tickets: list of 100", "/v1/helpdesk/tickets?limit=100", agent),
                ("ticket: detail", f"/v1/helpdesk/tickets/{ticket}", agent),
                ("search: a request's timeline", f"/v1/helpdesk/requests/{request_id}", agent),
                ("dashboard: state count", "/v1/reports/dashboard", admin),
                ("dashboard: districts", "/v1/geography/units?level=district", admin),
            ]
            for label, path, token in pages:
                results[label] = timed(http, path, token, args.requests)
    finally:
        remove_data_dir(data)
    table = Table(title="web console: server time per page call (loopback)")
    for col in ("call", "n", "p50 ms", "p99 ms", "max ms", f"p99 ≤ {GOAL_P99_MS:.0f}"):
        table.add_column(col)
    for label, s in results.items():
        table.add_row(
            label,
            str(s.n),
            fmt_ms(s.p50_ms),
            fmt_ms(s.p99_ms),
            fmt_ms(s.max_ms),
            "yes" if s.p99_ms <= GOAL_P99_MS else "NO",
        )
    console.print(table)
    console.print(f"results: {write_results('console_pages', results)}")


if __name__ == "__main__":
    main()
