"""A small closed-loop HTTP/1.1 load generator, the fallback when ``wrk`` is not installed.

N keep-alive connections, each with one request in flight; each response sends the next
request straight from the protocol callback (no coroutine per request), on uvloop when
available. Paths are picked at random from a file, one per line. Runs for a fixed duration
and prints one JSON line: requests, seconds, requests/s, non-2xx, errors, latency percentiles.

    python -m bench.loadgen --port 18080 --paths-file paths.txt --connections 32 --duration 10 \\
        --header "Authorization: Bearer …"
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast


class _Run:
    def __init__(self, requests: Sequence[bytes], duration: float) -> None:
        self.requests = requests
        self.duration = duration
        self.latencies: list[int] = []
        self.non_2xx = 0
        self.errors = 0
        self.start = 0.0
        self.deadline = 0.0
        self.last = 0.0
        self.rng = random.Random(7)


class _Conn(asyncio.Protocol):
    def __init__(self, run: _Run, done: asyncio.Future[None]) -> None:
        self.run = run
        self.done = done
        self.buf = bytearray()
        self.need = -1
        self.status = 0
        self.sent_at = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def send_next(self) -> None:
        assert self.transport is not None
        if time.perf_counter() >= self.run.deadline:
            self.transport.close()
            return
        req = self.run.requests[self.run.rng.randrange(len(self.run.requests))]
        self.sent_at = time.perf_counter_ns()
        self.transport.write(req)

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        while True:
            if self.need < 0:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = bytes(buf[:end]).lower()
                self.status = int(head[9:12])
                at = head.find(b"\r\ncontent-length:")
                if at < 0:
                    self.run.errors += 1
                    assert self.transport is not None
                    self.transport.close()
                    return
                line_end = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : line_end if line_end >= 0 else len(head)])
                self.need = end + 4 + length
            if len(buf) < self.need:
                return
            del buf[: self.need]
            self.need = -1
            run = self.run
            run.latencies.append(time.perf_counter_ns() - self.sent_at)
            run.last = time.perf_counter()
            if not 200 <= self.status < 300:
                run.non_2xx += 1
            self.send_next()

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self.run.errors += 1
        if not self.done.done():
            self.done.set_result(None)


async def run_load(
    host: str, port: int, requests: Sequence[bytes], connections: int, duration: float
) -> _Run:
    loop = asyncio.get_running_loop()
    run = _Run(requests, duration)
    conns: list[tuple[_Conn, asyncio.Future[None]]] = []
    for _ in range(connections):
        done: asyncio.Future[None] = loop.create_future()
        _, proto = await loop.create_connection(functools.partial(_Conn, run, done), host, port)
        conns.append((proto, done))
    run.start = time.perf_counter()
    run.deadline = run.start + duration
    for proto, _ in conns:
        proto.send_next()
    await asyncio.wait_for(asyncio.gather(*(d for _, d in conns)), duration + 30)
    return run


def _pct(sorted_ms: Sequence[float], p: float) -> float:
    if not sorted_ms:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_ms)))
    return sorted_ms[min(rank, len(sorted_ms)) - 1]


def summarize(run: _Run) -> dict[str, object]:
    ms = sorted(x / 1e6 for x in run.latencies)
    seconds = (run.last or run.deadline) - run.start
    return {
        "generator": "python",
        "requests": len(ms),
        "seconds": seconds,
        "rps": len(ms) / seconds if seconds > 0 else 0.0,
        "non_2xx": run.non_2xx,
        "errors": run.errors,
        "p50_ms": _pct(ms, 50),
        "p90_ms": _pct(ms, 90),
        "p99_ms": _pct(ms, 99),
        "max_ms": ms[-1] if ms else math.nan,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description="closed-loop HTTP/1.1 load generator")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--paths-file", type=Path, required=True)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--header", action="append", default=[], help="'Name: value'; repeatable")
    args = ap.parse_args()
    paths = [p for p in args.paths_file.read_text().splitlines() if p]
    extra = "".join(f"{h}\r\n" for h in args.header)
    requests = [
        f"GET {p} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n{extra}\r\n".encode("latin-1")
        for p in paths
    ]
    factory: Callable[[], asyncio.AbstractEventLoop]
    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        factory = asyncio.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        run = runner.run(run_load(args.host, args.port, requests, args.connections, args.duration))
    print(json.dumps(summarize(run)))


if __name__ == "__main__":
    main()
