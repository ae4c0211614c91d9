"""The request path beside what Python allows (issue 10, items 9 and 11), in one run:

- under load (same generator, connections and paths): GET /v1/cbos/{id} through the gateway
  (gateway → gRPC → profiles → PostgreSQL, tracing on) vs the same read as a monolith
  (``bench.monolith_app``: same FastAPI, local RS256 check, asyncpg);
- sequentially: the gateway path, the monolith, a bare grpc.aio echo (``bench.grpc_echo``), a
  prepared asyncpg lookup and the gateway's HTTP floor (GET /healthz);
- the two-hop floor, under the same load and sequentially: a bare FastAPI route that makes one
  grpc.aio echo call per request (``bench.hello_app --echo``), no token, principal, tracing or
  database — what any gateway → service read written with FastAPI and grpc.aio costs at least.

Goals: gateway req/s ≥ 0.5 × the monolith's, gateway p99 ≤ 3 × the monolith's, sequential
gateway p50 ≤ echo + asyncpg + HTTP floor p50 + 0.3 ms.

    python -m bench.request_path [--shgs 1000] [--requests 3000] [--duration 10]
                                 [--connections 32] [--loadgen auto|wrk|python]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import grpc
import uvloop
from rich.table import Table

from bench.common import (
    ECHO_PORT,
    GATEWAY_PORT,
    HELLO_PORT,
    MONOLITH_PORT,
    LatencyStats,
    auth_headers,
    check_ports_free,
    console,
    cpu_seconds,
    fmt_ms,
    get_token,
    met,
    proc_stats,
    seed_shgs,
    shared_platform,
    wait_listening,
    write_results,
)
from bench.grpc_echo import METHOD
from bench.hello_app import ECHO_PAYLOAD
from bench.read_latency import _asyncpg_samples, _http_samples
from bench.throughput import ROOT, LoadResult, pick_generator, run_load
from launcher.platform import Platform
from lokos.db import asyncpg_dsn

GOAL_RPS_RATIO = 0.5
GOAL_P99_FACTOR = 3.0
GOAL_P50_OVER_FLOOR_MS = 0.3


@dataclass(frozen=True)
class RequestPathResult:
    shgs: int
    gateway_load: LoadResult
    monolith_load: LoadResult
    hop_load: LoadResult
    gateway: LatencyStats
    monolith: LatencyStats
    echo: LatencyStats
    asyncpg: LatencyStats
    healthz: LatencyStats
    hop: LatencyStats
    # CPU µs per request of each platform program while the gateway was under load.
    gateway_cpu_us: dict[str, float]
    # The same for the peers' own programs under their load: the monolith, and the two-hop
    # floor's FastAPI app and echo server (what the gateway and profiles would cost bare).
    peer_cpu_us: dict[str, float]

    @property
    def hop_rps_ratio(self) -> float:
        return self.hop_load.rps / self.monolith_load.rps if self.monolith_load.rps else 0.0

    @property
    def rps_ratio(self) -> float:
        return self.gateway_load.rps / self.monolith_load.rps if self.monolith_load.rps else 0.0

    @property
    def p99_factor(self) -> float:
        m = self.monolith_load.p99_ms
        return self.gateway_load.p99_ms / m if m else float("inf")

    @property
    def floor_p50_ms(self) -> float:
        return self.echo.p50_ms + self.asyncpg.p50_ms + self.healthz.p50_ms

    @property
    def over_floor_ms(self) -> float:
        return self.gateway.p50_ms - self.floor_p50_ms

    def goals(self) -> list[tuple[str, str, str, bool]]:
        return [
            (
                "gateway req/s ÷ monolith req/s",
                f"{self.rps_ratio:.2f}",
                f"≥ {GOAL_RPS_RATIO}",
                self.rps_ratio >= GOAL_RPS_RATIO,
            ),
            (
                "gateway p99 ÷ monolith p99 (under load)",
                f"{self.p99_factor:.2f}",
                f"≤ {GOAL_P99_FACTOR:g}",
                self.p99_factor <= GOAL_P99_FACTOR,
            ),
            (
                "sequential gateway p50 − (echo + asyncpg + HTTP floor) p50, ms",
                fmt_ms(self.over_floor_ms),
                f"≤ {GOAL_P50_OVER_FLOOR_MS}",
                self.over_floor_ms <= GOAL_P50_OVER_FLOOR_MS,
            ),
        ]

    def as_dict(self) -> dict[str, object]:
        return {
            "shgs": self.shgs,
            "gateway_load": self.gateway_load,
            "monolith_load": self.monolith_load,
            "hop_load": self.hop_load,
            "gateway": self.gateway,
            "monolith": self.monolith,
            "echo": self.echo,
            "asyncpg": self.asyncpg,
            "healthz": self.healthz,
            "hop": self.hop,
            "gateway_cpu_us": self.gateway_cpu_us,
            "peer_cpu_us": self.peer_cpu_us,
            "rps_ratio": self.rps_ratio,
            "hop_rps_ratio": self.hop_rps_ratio,
            "p99_factor": self.p99_factor,
            "over_floor_ms": self.over_floor_ms,
            "goals_met": [g[3] for g in self.goals()],
        }


@contextmanager
def served(module: str, port: int, *args: str) -> Iterator[int]:
    """``python -m module --port port *args`` in its own process (its pid) until the block ends."""
    check_ports_free([port])
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "--port", str(port), *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_listening(port)
        yield proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


async def _echo_samples(port: int, n: int, warmup: int) -> list[int]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as ch:
        echo = ch.unary_unary(METHOD)
        for _ in range(warmup):
            await echo(ECHO_PAYLOAD, timeout=5)
        samples = [0] * n
        clock = time.perf_counter_ns
        gc.collect()
        gc.disable()
        try:
            for i in range(n):
                t0 = clock()
                await echo(ECHO_PAYLOAD, timeout=5)
                samples[i] = clock() - t0
        finally:
            gc.enable()
    return samples


def measure(
    p: Platform,
    ids: Sequence[str],
    requests: int = 3000,
    warmup: int = 300,
    seconds: int = 10,
    connections: int = 32,
    loadgen: str = "auto",
) -> RequestPathResult:
    gen = pick_generator(loadgen)
    rng = random.Random(20261130)
    picks = [f"/v1/cbos/{rng.choice(ids)}" for _ in range(requests)]
    warm = [f"/v1/cbos/{rng.choice(ids)}" for _ in range(warmup)]
    paths = [f"/v1/cbos/{i}" for i in ids]
    headers = auth_headers(get_token(p))
    dsn = asyncpg_dsn(p.database_url("profiles"))

    def loaded(
        target: str, port: int, cpu_us: dict[str, float], peers: dict[str, int] | None = None
    ) -> LoadResult:
        """The load run; fills ``cpu_us`` with each program's CPU µs per request in it: the
        platform's, or with ``peers`` (name → pid) those peer processes'."""

        def spent() -> dict[str, float]:
            if peers is None:
                return cpu_seconds(p)
            stats = proc_stats()
            return {name: stats.get(pid, (0, 0.0))[1] for name, pid in peers.items()}

        with console.status(f"{target}: warm-up 2s ({gen})…"):
            run_load(target, gen, port, paths, headers, connections, 2)
        before = spent()
        with console.status(f"{target}: {seconds}s with {connections} connections ({gen})…"):
            result = run_load(target, gen, port, paths, headers, connections, seconds)
        after = spent()
        for name, used in after.items():
            cpu_us[name] = 1e6 * (used - before.get(name, 0.0)) / max(result.requests, 1)
        return result

    with console.status("sequential: gateway, its /healthz…"):
        gateway, _ = _http_samples(GATEWAY_PORT, headers, picks, warm)
        healthz, _ = _http_samples(GATEWAY_PORT, {}, ["/healthz"] * requests, ["/healthz"] * 50)
    gateway_cpu_us: dict[str, float] = {}
    gateway_load = loaded("gateway /v1/cbos/{id}", GATEWAY_PORT, gateway_cpu_us)
    peer_cpu_us: dict[str, float] = {}
    with served("bench.monolith_app", MONOLITH_PORT, "--idp", p.idp_url, "--dsn", dsn) as mono:
        with console.status("sequential: monolith…"):
            monolith, _ = _http_samples(MONOLITH_PORT, headers, picks, warm)
        monolith_load = loaded(
            "monolith (FastAPI + RS256 + asyncpg)", MONOLITH_PORT, peer_cpu_us, {"monolith": mono}
        )
    with served("bench.grpc_echo", ECHO_PORT) as echo_pid:
        with served("bench.hello_app", HELLO_PORT, "--echo", str(ECHO_PORT)) as hello_pid:
            with console.status("sequential: FastAPI → grpc echo…"):
                hop, _ = _http_samples(HELLO_PORT, headers, picks, warm)
            hop_load = loaded(
                "two-hop floor (FastAPI → grpc.aio echo)",
                HELLO_PORT,
                peer_cpu_us,
                {"two-hop FastAPI app": hello_pid, "two-hop echo server": echo_pid},
            )
        with (
            console.status("sequential: grpc echo, asyncpg…"),
            asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner,
        ):
            echo = runner.run(_echo_samples(ECHO_PORT, requests, warmup))
            keys = [uuid.UUID(x.rsplit("/", 1)[1]) for x in picks]
            pg = runner.run(_asyncpg_samples(dsn, keys, keys[:warmup]))
    return RequestPathResult(
        shgs=len(ids),
        gateway_load=gateway_load,
        monolith_load=monolith_load,
        hop_load=hop_load,
        hop=LatencyStats.from_ns(hop),
        gateway_cpu_us=gateway_cpu_us,
        peer_cpu_us=peer_cpu_us,
        gateway=LatencyStats.from_ns(gateway),
        monolith=LatencyStats.from_ns(monolith),
        echo=LatencyStats.from_ns(echo),
        asyncpg=LatencyStats.from_ns(pg),
        healthz=LatencyStats.from_ns(healthz),
    )


def render(r: RequestPathResult) -> list[Table]:
    load = Table(title=f"Under load: {r.gateway_load.connections} connections, {r.shgs} SHGs")
    for col in ("target", "req/s", "p50 ms", "p99 ms", "non-2xx", "errors"):
        load.add_column(col, justify="left" if col == "target" else "right")
    for x in (r.gateway_load, r.monolith_load, r.hop_load):
        load.add_row(
            x.target,
            f"{x.rps:,.0f}",
            fmt_ms(x.p50_ms),
            fmt_ms(x.p99_ms),
            str(x.non_2xx),
            str(x.errors),
        )
    seq = Table(title="Sequential, one connection (ms)")
    for col in ("path", "p50", "p90", "p99"):
        seq.add_column(col, justify="left" if col == "path" else "right")
    for name, s in (
        ("gateway GET /v1/cbos/{id}", r.gateway),
        ("monolith GET /v1/cbos/{id}", r.monolith),
        ("grpc.aio echo (floor)", r.echo),
        ("asyncpg prepared lookup (floor)", r.asyncpg),
        ("gateway GET /healthz (HTTP floor)", r.healthz),
        ("two-hop floor: FastAPI → grpc.aio echo", r.hop),
    ):
        seq.add_row(name, fmt_ms(s.p50_ms), fmt_ms(s.p90_ms), fmt_ms(s.p99_ms))
    cpu = Table(title="CPU µs per request under load")
    cpu.add_column("program")
    cpu.add_column("µs", justify="right")
    for name, us in sorted(r.gateway_cpu_us.items(), key=lambda x: -x[1]):
        if us >= 1:
            cpu.add_row(name, f"{us:,.0f}")
    for name, us in r.peer_cpu_us.items():
        cpu.add_row(f"[dim]peer:[/] {name}", f"{us:,.0f}")
    goals = Table(title="Request path against the goals")
    for col in ("measurement", "value", "goal", "met?"):
        goals.add_column(col, justify="left" if col == "measurement" else "right")
    for name, value, goal, ok in r.goals():
        goals.add_row(name, value, goal, met(ok))
    goals.add_row(
        "two-hop floor req/s ÷ monolith req/s (no goal: the ceiling of the design)",
        f"{r.hop_rps_ratio:.2f}",
        "",
        "",
    )
    return [load, seq, cpu, goals]


def main() -> None:
    ap = argparse.ArgumentParser(description="the request path vs a monolith and its floors")
    ap.add_argument("--shgs", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=3000, help="sequential requests per path")
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--duration", type=int, default=10, help="seconds under load per target")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    args = ap.parse_args()
    pick_generator(args.loadgen)
    with shared_platform() as sp:
        seeded = seed_shgs(sp.platform, get_token(sp.platform), args.shgs)
        result = measure(
            sp.platform,
            seeded.ids,
            args.requests,
            args.warmup,
            args.duration,
            args.connections,
            args.loadgen,
        )
    for table in render(result):
        console.print(table)
    path = write_results("request_path", {"request_path": result.as_dict()})
    console.print(f"[dim]results: {path}[/]")


if __name__ == "__main__":
    main()
