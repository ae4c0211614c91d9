"""External aggregates API: latency of a registered client's queries with the read model of a
state of 1 crore members.

Bulk-loads ``area_month`` (the read model behind ``/external/v1/aggregates``) with COPY: a
state of 75 districts and 826 blocks (Uttar Pradesh's counts), 36 months, members approved
spread over them to 1 crore in all (by social category, with some small cells so suppression
has work), SHG meetings and money. Then, as one registered client (client-credentials token),
sequential requests through the gateway:

- a district's blocks for 12 months (``group_by=block``, 100 rows a page, every page);
- the whole state by district for 12 months (``group_by=district``, 1,000 rows a page).

Goal: p99 ≤ 100 ms. Prints the numbers and writes ``bench/results/external_aggregates.json``.

    python -m bench.external_aggregates [--members 10000000] [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import time

import asyncpg
import httpx
from rich.table import Table

from bench import common
from bench.common import (
    LatencyStats,
    console,
    fmt_ms,
    get_token,
    shared_platform,
    write_results,
)
from lokos import catalogue
from lokos.db import asyncpg_dsn
from lokos.principal import Principal, RoleGrant, Scope
from lokos.reports.v1 import reports_pb2, reports_pb2_grpc
from lokos.rpc import call_metadata, channel

DISTRICTS = 75
BLOCKS = 826
MONTHS = [f"{y}-{m:02d}" for y in (2024, 2025, 2026) for m in range(1, 13)]
SHARES = {"sc": 0.21, "st": 0.01, "obc": 0.43, "general": 0.30, "other": 0.05}
GOAL_P99_MS = 100.0


def area_rows(members: int, seed: int = 7) -> tuple[io.BytesIO, int]:
    """The COPY text of area_month: every block x month, ``members`` approvals in all."""
    rng = random.Random(seed)
    cells = [(b, m) for b in range(BLOCKS) for m in MONTHS]
    per_cell = members / len(cells)
    out = io.StringIO()
    total = 0
    # The districts' roll-up rows (block ''), as the event handlers keep them.
    rollup: dict[tuple[str, str], list[int]] = {}
    for b, month in cells:
        district = f"{9100 + b % DISTRICTS}"
        block = f"{910000 + b}"
        n = max(0, int(rng.gauss(per_cell, per_cell / 3)))
        counts = {k: int(n * share) for k, share in SHARES.items()}
        if rng.random() < 0.05:
            counts["st"] = rng.randint(1, 4)  # a small cell now and then
        total += sum(counts.values())
        meetings = rng.randint(0, 400)
        savings = meetings * rng.randint(1_500, 4_000) * 100
        values = [
            rng.randint(0, 30),
            counts["sc"],
            counts["st"],
            counts["obc"],
            counts["general"],
            counts["other"],
            meetings,
            savings,
            savings // 3,
            savings // 5,
            savings // 40,
        ]
        sums = rollup.setdefault((district, month), [0] * len(values))
        for i, v in enumerate(values):
            sums[i] += v
        out.write("\t".join(str(v) for v in ("up", district, block, month, *values)) + "\n")
    for (district, month), sums in rollup.items():
        out.write("\t".join(str(v) for v in ("up", district, "", month, *sums)) + "\n")
    return io.BytesIO(out.getvalue().encode()), total


async def load(dsn: str, members: int) -> tuple[int, int, float]:
    data, total = area_rows(members)
    t0 = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DELETE FROM area_month WHERE state = 'up'")
        await conn.copy_to_table("area_month", source=data, format="text")
        await conn.execute("ANALYZE area_month")
        rows = int(await conn.fetchval("SELECT count(*) FROM area_month"))
    finally:
        await conn.close()
    return rows, total, time.perf_counter() - t0


def client_token(idp_url: str, client_id: str, secret: str) -> str:
    r = httpx.post(
        f"{idp_url}/realms/lokos-up/protocol/openid-connect/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
        timeout=10,
    )
    r.raise_for_status()
    return str(r.json()["access_token"])


def measure(
    http: httpx.Client, headers: dict[str, str], params: dict[str, str], requests: int
) -> tuple[LatencyStats, int]:
    """Each sample: every page of the query, one after another (what a client does)."""
    samples: list[int] = []
    pages = 0
    for _ in range(requests):
        cursor = ""
        while True:
            query = {**params, **({"cursor": cursor} if cursor else {})}
            t0 = time.perf_counter_ns()
            r = http.get("/external/v1/aggregates", params=query, headers=headers)
            samples.append(time.perf_counter_ns() - t0)
            r.raise_for_status()
            pages += 1
            cursor = r.json()["next_cursor"] or ""
            if not cursor:
                break
    return LatencyStats.from_ns(samples), pages // requests


async def measure_service(
    target: str, client_id: str, params: dict[str, str], requests: int
) -> LatencyStats:
    """The reports service alone (gRPC, signed principal of the client): where the time goes."""
    principal = Principal(
        user_id=f"client:{client_id}",
        state="up",
        realm="lokos-up",
        roles=(RoleGrant(catalogue.API_SCOPES["aggregates"], Scope("state")),),
    )
    request = reports_pb2.GetAggregatesRequest(
        group_by=params["group_by"],
        district_lgd_code=params.get("district_lgd_code", ""),
        period_from=params["period_from"],
        period_to=params["period_to"],
        limit=int(params["limit"]),
    )
    samples: list[int] = []
    async with channel(target) as ch:
        stub = reports_pb2_grpc.ReportsServiceStub(ch)
        for i in range(requests + 5):
            t0 = time.perf_counter_ns()
            await stub.GetAggregates(request, metadata=call_metadata(principal, f"bench-{i}"))
            if i >= 5:
                samples.append(time.perf_counter_ns() - t0)
    return LatencyStats.from_ns(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--port-offset",
        type=int,
        default=0,
        help="shift every bench port (when another platform holds them)",
    )
    args = parser.parse_args()
    for name in ("GATEWAY_PORT", "IDP_PORT", "PG_PORT", "NATS_PORT", "NATS_MONITOR_PORT"):
        setattr(common, name, getattr(common, name) + args.port_offset)
    common.GRPC_PORT_BASE += args.port_offset
    with shared_platform() as shared:
        p = shared.platform
        rows, total, load_s = asyncio.run(
            load(asyncpg_dsn(p.database_url("reports")), args.members)
        )
        console.print(f"area_month: {rows:,} rows for {total:,} members, COPY in {load_s:.1f} s")
        admin = {"Authorization": f"Bearer {get_token(p)}"}
        with httpx.Client(base_url=p.gateway_url, timeout=30) as http:
            r = http.post(
                "/v1/api-clients",
                json={
                    "name": "Bench bank",
                    "kind": "bank",
                    "scopes": ["aggregates"],
                    "rate_per_minute": 6000,
                },
                headers=admin,
            )
            r.raise_for_status()
            client = r.json()
            headers = {
                "Authorization": "Bearer "
                + client_token(p.idp_url, client["client"]["client_id"], client["client_secret"])
            }
            queries = {
                "district's blocks, 12 months": {
                    "group_by": "block",
                    "district_lgd_code": "9100",
                    "period_from": "2025-01",
                    "period_to": "2025-12",
                    "limit": "100",
                },
                "state by district, 12 months": {
                    "group_by": "district",
                    "period_from": "2025-01",
                    "period_to": "2025-12",
                    "limit": "1000",
                },
            }
            results = {}
            service_rows: list[tuple[str, LatencyStats]] = []
            table = Table(title="GET /external/v1/aggregates, one client, sequential (ms)")
            for column in ("query", "pages", "n", "p50", "p90", "p99", "max", "goal p99 ≤ 100"):
                table.add_column(column)
            for name, params in queries.items():
                measure(http, headers, params, 5)  # warm: JWKS, pools, plans
                stats, pages = measure(http, headers, params, args.requests)
                service = asyncio.run(
                    measure_service(
                        p.grpc_target("reports"),
                        client["client"]["client_id"],
                        params,
                        args.requests,
                    )
                )
                results[name] = {
                    "pages_per_query": pages,
                    **stats.__dict__,
                    "reports_service_alone": service.__dict__,
                }
                service_rows.append((name, service))
                table.add_row(
                    name,
                    str(pages),
                    str(stats.n),
                    fmt_ms(stats.p50_ms),
                    fmt_ms(stats.p90_ms),
                    fmt_ms(stats.p99_ms),
                    fmt_ms(stats.max_ms),
                    "met" if stats.p99_ms <= GOAL_P99_MS else "NOT met",
                )
        console.print(table)
        inner = Table(title="the reports service alone, first page (gRPC, ms)")
        for column in ("query", "n", "p50", "p90", "p99", "max"):
            inner.add_column(column)
        for name, s in service_rows:
            inner.add_row(
                name,
                str(s.n),
                fmt_ms(s.p50_ms),
                fmt_ms(s.p90_ms),
                fmt_ms(s.p99_ms),
                fmt_ms(s.max_ms),
            )
        console.print(inner)
        path = write_results(
            "external_aggregates",
            {"members": total, "area_month_rows": rows, "copy_seconds": load_s, "queries": results},
        )
        console.print(f"results in {path}")


if __name__ == "__main__":
    main()
