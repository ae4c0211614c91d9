"""Read latency under light load: GET /v1/cbos/{id} through the gateway
(gateway → gRPC → profiles → PostgreSQL) vs the same primary-key lookup done directly with
asyncpg (prepared ``SELECT * FROM cbo WHERE id = $1``), both sequential on one connection.

Also measured, to split the difference: GetCbo called directly over gRPC on the profiles
service (no gateway), and GET /healthz on the gateway (the floor of client + HTTP server).

    python -m bench.read_latency [--shgs 1000] [--requests 3000] [--warmup 300]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import asyncpg
import grpc
import uvloop
from rich.table import Table

from bench.common import (
    GATEWAY_PORT,
    REALM,
    USERNAME,
    LatencyStats,
    RawHttpClient,
    auth_headers,
    console,
    fmt_ms,
    get_token,
    met,
    seed_shgs,
    shared_platform,
    write_results,
)
from launcher.platform import Platform
from lokos.db import asyncpg_dsn
from lokos.identity.v1 import identity_pb2, identity_pb2_grpc
from lokos.principal import Principal
from lokos.profiles.v1 import profiles_pb2, profiles_pb2_grpc
from lokos.rpc import call_metadata, service_metadata

GOAL_ADDED_P50_MS = 0.6
GOAL_ADDED_P99_MS = 2.0
PK_LOOKUP = "SELECT * FROM cbo WHERE id = $1"


@dataclass(frozen=True)
class ReadLatencyResult:
    shgs: int
    requests: int
    warmup: int
    response_bytes: int
    gateway: LatencyStats
    healthz: LatencyStats
    grpc_direct: LatencyStats
    asyncpg: LatencyStats
    client: str

    @property
    def added_p50_ms(self) -> float:
        return self.gateway.p50_ms - self.asyncpg.p50_ms

    @property
    def added_p99_ms(self) -> float:
        return self.gateway.p99_ms - self.asyncpg.p99_ms

    @property
    def goals_met(self) -> tuple[bool, bool]:
        return self.added_p50_ms <= GOAL_ADDED_P50_MS, self.added_p99_ms <= GOAL_ADDED_P99_MS

    def as_dict(self) -> dict[str, object]:
        return {
            "shgs": self.shgs,
            "requests": self.requests,
            "warmup": self.warmup,
            "response_bytes": self.response_bytes,
            "client": self.client,
            "gateway": self.gateway,
            "healthz": self.healthz,
            "grpc_direct": self.grpc_direct,
            "asyncpg": self.asyncpg,
            "added_p50_ms": self.added_p50_ms,
            "added_p99_ms": self.added_p99_ms,
            "goal_added_p50_ms": GOAL_ADDED_P50_MS,
            "goal_added_p99_ms": GOAL_ADDED_P99_MS,
        }


def _timed_loop(n: int, call: Callable[[int], None]) -> list[int]:
    """``call(i)`` n times, sequentially; nanoseconds of each (GC paused while timing)."""
    samples = [0] * n
    clock = time.perf_counter_ns
    gc.collect()
    gc.disable()
    try:
        for i in range(n):
            t0 = clock()
            call(i)
            samples[i] = clock() - t0
    finally:
        gc.enable()
    return samples


def _http_samples(
    port: int, headers: dict[str, str], paths: Sequence[str], warmup: Sequence[str]
) -> tuple[list[int], int]:
    client = RawHttpClient("127.0.0.1", port, headers)
    try:
        for path in warmup:
            status, _ = client.get(path)
            if status != 200:
                raise RuntimeError(f"GET {path}: {status}")
        raws = [client.build(p) for p in paths]
        statuses = [0] * len(raws)
        size = 0

        def call(i: int) -> None:
            nonlocal size
            statuses[i], body = client.request(raws[i])
            size = len(body)

        samples = _timed_loop(len(raws), call)
    finally:
        client.close()
    bad = [s for s in statuses if s != 200]
    if bad:
        raise RuntimeError(f"{len(bad)} of {len(statuses)} responses were not 200: {bad[:5]}")
    return samples, size


async def _asyncpg_samples(
    dsn: str, keys: Sequence[uuid.UUID], warmup: Sequence[uuid.UUID]
) -> list[int]:
    conn = await asyncpg.connect(dsn)
    try:
        stmt = await conn.prepare(PK_LOOKUP)
        for k in warmup:
            await stmt.fetchrow(k)
        samples = [0] * len(keys)
        missing = 0
        clock = time.perf_counter_ns
        gc.collect()
        gc.disable()
        try:
            for i, k in enumerate(keys):
                t0 = clock()
                row = await stmt.fetchrow(k)
                samples[i] = clock() - t0
                if row is None:
                    missing += 1
        finally:
            gc.enable()
    finally:
        await conn.close()
    if missing:
        raise RuntimeError(f"asyncpg: {missing} ids not found")
    return samples


async def _grpc_samples(p: Platform, ids: Sequence[str], warmup: Sequence[str]) -> list[int]:
    """GetCbo straight to the profiles service, with the principal the gateway would send."""
    async with grpc.aio.insecure_channel(p.grpc_target("identity")) as ich:
        msg = await identity_pb2_grpc.IdentityServiceStub(ich).GetPrincipal(
            identity_pb2.GetPrincipalRequest(realm=REALM, user_id=USERNAME),
            metadata=service_metadata("bench"),
            timeout=5,
        )
    # Signed once: the timed loop (a few seconds) stays inside the principal's minute.
    md = call_metadata(Principal.from_proto(msg.principal), "bench")
    async with grpc.aio.insecure_channel(p.grpc_target("profiles")) as ch:
        stub = profiles_pb2_grpc.ProfilesServiceStub(ch)
        for i in warmup:
            await stub.GetCbo(profiles_pb2.GetRequest(id=i), metadata=md, timeout=5)
        requests = [profiles_pb2.GetRequest(id=i) for i in ids]
        samples = [0] * len(requests)
        clock = time.perf_counter_ns
        gc.collect()
        gc.disable()
        try:
            for n, req in enumerate(requests):
                t0 = clock()
                await stub.GetCbo(req, metadata=md, timeout=5)
                samples[n] = clock() - t0
        finally:
            gc.enable()
    return samples


def measure(
    p: Platform, token: str, ids: Sequence[str], requests: int = 3000, warmup: int = 300
) -> ReadLatencyResult:
    rng = random.Random(20240601)
    picks = [rng.choice(ids) for _ in range(requests)]
    warm = [rng.choice(ids) for _ in range(warmup)]
    port = GATEWAY_PORT
    with console.status(f"gateway: {requests} sequential GET /v1/cbos/{{id}}…"):
        gw, size = _http_samples(
            port,
            auth_headers(token),
            [f"/v1/cbos/{i}" for i in picks],
            [f"/v1/cbos/{i}" for i in warm],
        )
    with console.status(f"gateway: {requests} sequential GET /healthz…"):
        hz, _ = _http_samples(port, {}, ["/healthz"] * requests, ["/healthz"] * warmup)
    with console.status(f"profiles over gRPC: {requests} sequential GetCbo…"):
        gr = asyncio.run(_grpc_samples(p, picks, warm))
    dsn = asyncpg_dsn(p.database_url("profiles"))
    with (
        console.status(f"asyncpg: {requests} sequential prepared PK lookups…"),
        asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner,
    ):
        pg = runner.run(
            _asyncpg_samples(dsn, [uuid.UUID(i) for i in picks], [uuid.UUID(i) for i in warm])
        )
    return ReadLatencyResult(
        shgs=len(ids),
        requests=requests,
        warmup=warmup,
        response_bytes=size,
        gateway=LatencyStats.from_ns(gw),
        healthz=LatencyStats.from_ns(hz),
        grpc_direct=LatencyStats.from_ns(gr),
        asyncpg=LatencyStats.from_ns(pg),
        client=(
            "HTTP: one keep-alive HTTP/1.1 connection on a blocking socket, pre-encoded "
            "requests; gRPC: grpc.aio stub, no interceptors; asyncpg: prepared statement "
            "on uvloop; all sequential, GC paused while timing"
        ),
    )


def render(r: ReadLatencyResult) -> list[Table]:
    t = Table(title=f"Read latency, sequential, {r.requests} requests over {r.shgs} SHGs (ms)")
    t.add_column("path")
    for col in ("p50", "p90", "p99", "max", "mean"):
        t.add_column(col, justify="right")
    rows = (
        ("gateway GET /v1/cbos/{id}", r.gateway),
        ("  profiles GetCbo, gRPC direct", r.grpc_direct),
        ("  asyncpg PK lookup, prepared", r.asyncpg),
        ("gateway GET /healthz (floor)", r.healthz),
    )
    for name, s in rows:
        t.add_row(
            name,
            fmt_ms(s.p50_ms),
            fmt_ms(s.p90_ms),
            fmt_ms(s.p99_ms),
            fmt_ms(s.max_ms),
            fmt_ms(s.mean_ms),
        )
    t.caption = r.client

    ok50, ok99 = r.goals_met
    a = Table(title="Added latency of the gateway path over a direct asyncpg lookup (ms)")
    a.add_column("measurement")
    a.add_column("p50", justify="right")
    a.add_column("p99", justify="right")
    a.add_row(
        "gateway − asyncpg",
        fmt_ms(r.added_p50_ms),
        fmt_ms(r.added_p99_ms),
        style="bold",
    )
    a.add_row("goal", f"≤ {GOAL_ADDED_P50_MS}", f"≤ {GOAL_ADDED_P99_MS}")
    a.add_row("met?", met(ok50), met(ok99))
    a.add_row(
        "  of which: gateway − gRPC direct",
        fmt_ms(r.gateway.p50_ms - r.grpc_direct.p50_ms),
        fmt_ms(r.gateway.p99_ms - r.grpc_direct.p99_ms),
    )
    a.add_row(
        "  of which: gRPC direct − asyncpg",
        fmt_ms(r.grpc_direct.p50_ms - r.asyncpg.p50_ms),
        fmt_ms(r.grpc_direct.p99_ms - r.asyncpg.p99_ms),
    )
    return [t, a]


def main() -> None:
    ap = argparse.ArgumentParser(description="GET /v1/cbos/{id} latency vs asyncpg")
    ap.add_argument("--shgs", type=int, default=1000, help="SHGs to create first")
    ap.add_argument("--requests", type=int, default=3000, help="timed requests per path")
    ap.add_argument("--warmup", type=int, default=300, help="untimed requests first")
    args = ap.parse_args()
    with shared_platform() as sp:
        token = get_token(sp.platform)
        seeded = seed_shgs(sp.platform, token, args.shgs)
        console.print(
            f"platform ready in {sp.seconds_to_ready:.1f}s; {len(seeded.ids)} SHGs created in "
            f"{seeded.seconds:.1f}s ({seeded.per_second:.0f}/s)"
        )
        result = measure(
            sp.platform, get_token(sp.platform), seeded.ids, args.requests, args.warmup
        )
    for table in render(result):
        console.print(table)
    path = write_results("read_latency", {"read_latency": result.as_dict()})
    console.print(f"[dim]results: {path}[/]")


if __name__ == "__main__":
    main()
