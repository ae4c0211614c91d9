"""What signing the principal adds to a request: the gateway signs (HMAC-SHA256, bound to the
request id), the service verifies (key, MAC, expiry, request id) before anything else.

1. The code alone, per request: sign, verify, and sign + verify, against what the unsigned
   principal cost before (serialize + parse); "added" is the difference.
2. One gRPC call over loopback to an in-process server with the services' call wrapper
   (``lokos.rpc.CallContext``), the client signing each call as the gateway does,
   against the same wrapper believing an unsigned principal as it did before; the two
   kinds of call alternate on one channel, so a busy host slows both alike.

No platform needed.

    python -m bench.principal_signing [--iterations 20000] [--calls 3000]
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from unittest import mock

import grpc
import uvloop
from rich.table import Table

from bench.common import LatencyStats, console, met, write_results
from lokos import context, rpc
from lokos.principal import (
    METADATA_KEY,
    UNSIGNED_METADATA_KEY,
    KeyRing,
    Principal,
    RoleGrant,
    Scope,
)
from lokos.rpc import REQUEST_ID_KEY, CallContext

GOAL_ADDED_P50_MS = 0.05
PORT = 18095

# A block programme manager who also holds a district role: a little larger than most callers.
CALLER = Principal(
    "UP_BPM_ALAPUR01",
    "up",
    "lokos-up",
    (
        RoleGrant("BLOCK_PROGRAM_MANAGER", Scope("block", frozenset({"0101", "0102"}))),
        RoleGrant("DISTRICT_ADMIN", Scope("district", frozenset({"01"}))),
    ),
    device_id="a3f1c2d4e5",
    device_sessions=("5b7e2c1a-4f3d-4e2b-9a8c-1d2e3f4a5b6c",),
)


@dataclass(frozen=True)
class SigningResult:
    iterations: int
    calls: int
    sign: LatencyStats
    verify: LatencyStats
    sign_and_verify: LatencyStats
    unsigned_before: LatencyStats
    grpc_signed: LatencyStats
    grpc_unsigned: LatencyStats

    @property
    def added_p50_ms(self) -> float:
        return self.sign_and_verify.p50_ms - self.unsigned_before.p50_ms

    @property
    def grpc_added_p50_ms(self) -> float:
        return self.grpc_signed.p50_ms - self.grpc_unsigned.p50_ms

    @property
    def goal_met(self) -> bool:
        return self.sign_and_verify.p50_ms <= GOAL_ADDED_P50_MS


def _timed(n: int, op: Callable[[int], object]) -> LatencyStats:
    clock = time.perf_counter_ns
    samples = [0] * n
    for i in range(min(n, 1000)):  # warm
        op(i)
    gc.collect()
    gc.disable()
    try:
        for i in range(n):
            t0 = clock()
            op(i)
            samples[i] = clock() - t0
    finally:
        gc.enable()
    return LatencyStats.from_ns(samples)


def measure_code(keys: KeyRing, n: int) -> tuple[LatencyStats, ...]:
    # The gateway signs a principal it keeps cached (its encoding is made once per principal).
    CALLER.to_metadata()
    rids = [os.urandom(16).hex() for _ in range(n)]
    signed = [keys.sign(CALLER, rid) for rid in rids]
    sign = _timed(n, lambda i: keys.sign(CALLER, rids[i]))
    verify = _timed(n, lambda i: keys.verify(signed[i], rids[i]))
    both = _timed(n, lambda i: keys.verify(keys.sign(CALLER, rids[i]), rids[i]))
    # Before: the gateway serialized the principal per call and the service parsed it.
    before = _timed(n, lambda i: Principal.from_metadata(CALLER.to_proto().SerializeToString()))
    return sign, verify, both, before


_verify_signed = rpc._verify


def _verify_either(keys: KeyRing, metadata: dict[str, Any]) -> Any:
    """The services' check as it is, and as it was for a call that carries the unsigned
    principal (believed as sent), so one server and one channel serve both kinds of call."""
    if UNSIGNED_METADATA_KEY not in metadata:
        return _verify_signed(keys, metadata)
    return rpc._Received(
        Principal.from_metadata(metadata[UNSIGNED_METADATA_KEY]),
        str(metadata.get(REQUEST_ID_KEY, "")),
        b"",
    )


async def _answer(request: bytes, ctx: Any) -> bytes:
    return context.principal().user_id.encode()


async def measure_grpc(keys: KeyRing, calls: int) -> tuple[LatencyStats, LatencyStats]:
    """Signed and unsigned calls alternate on one channel: a loaded host slows both alike."""
    server = grpc.aio.server()
    CallContext(keys).registrar(server).add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                "bench.Echo", {"Who": grpc.unary_unary_rpc_method_handler(_answer)}
            )
        ]
    )
    server.add_insecure_port(f"127.0.0.1:{PORT}")
    with mock.patch.object(rpc, "_verify", _verify_either):
        await server.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{PORT}") as ch:
                return await _alternate(ch.unary_unary("/bench.Echo/Who"), keys, calls)
        finally:
            await server.stop(None)


async def _alternate(who: Any, keys: KeyRing, calls: int) -> tuple[LatencyStats, LatencyStats]:
    def metadata(rid: str, signed: bool) -> tuple[tuple[str, str | bytes], ...]:
        if signed:  # signed inside the timed call: the gateway signs each request
            return ((REQUEST_ID_KEY, rid), (METADATA_KEY, keys.sign(CALLER, rid)))
        return ((REQUEST_ID_KEY, rid), (UNSIGNED_METADATA_KEY, CALLER.to_metadata()))

    for i in range(300):
        await who(b"", metadata=metadata(f"warm-{i}", i % 2 == 0))
    rids = [os.urandom(16).hex() for _ in range(2 * calls)]
    samples: dict[bool, list[int]] = {True: [], False: []}
    clock = time.perf_counter_ns
    gc.collect()
    gc.disable()
    try:
        for i, rid in enumerate(rids):
            signed = i % 2 == 0
            t0 = clock()
            answer = await who(b"", metadata=metadata(rid, signed))
            samples[signed].append(clock() - t0)
    finally:
        gc.enable()
    assert answer == CALLER.user_id.encode()
    return LatencyStats.from_ns(samples[True]), LatencyStats.from_ns(samples[False])


def measure(iterations: int = 20_000, calls: int = 3000) -> SigningResult:
    keys = KeyRing([("bench", os.urandom(32)), ("older", os.urandom(32))])
    sign, verify, both, before = measure_code(keys, iterations)
    grpc_signed, grpc_unsigned = uvloop.run(measure_grpc(keys, calls))
    return SigningResult(iterations, calls, sign, verify, both, before, grpc_signed, grpc_unsigned)


def _us(v: float) -> str:
    return f"{v * 1000:.1f}"


def render(r: SigningResult) -> Table:
    t = Table(title=f"principal signing (HMAC-SHA256), µs per request, {r.iterations:,} each")
    for col in ("measurement", "p50 µs", "p99 µs", "goal", "met?"):
        t.add_column(col, justify="left" if col == "measurement" else "right")
    rows = (
        ("sign (gateway)", r.sign, "", ""),
        ("verify (service)", r.verify, "", ""),
        (
            "sign + verify per request",
            r.sign_and_verify,
            f"≤ {_us(GOAL_ADDED_P50_MS)} p50",
            met(r.goal_met),
        ),
        ("before: serialize + parse unsigned", r.unsigned_before, "", ""),
        (f"gRPC call, signed ({r.calls:,})", r.grpc_signed, "", ""),
        (f"gRPC call, unsigned as before ({r.calls:,})", r.grpc_unsigned, "", ""),
    )
    for name, s, goal, ok in rows:
        t.add_row(name, _us(s.p50_ms), _us(s.p99_ms), goal, ok)
    t.add_row("added p50, code (sign + verify − before)", _us(r.added_p50_ms), "", "", "")
    t.add_row("added p50, gRPC call (signed − unsigned)", _us(r.grpc_added_p50_ms), "", "", "")
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description="cost of signing and verifying the principal")
    ap.add_argument("--iterations", type=int, default=20_000)
    ap.add_argument("--calls", type=int, default=3000)
    args = ap.parse_args()
    r = measure(args.iterations, args.calls)
    console.print(render(r))
    path = write_results("principal_signing", {"result": r})
    console.print(f"[dim]results: {path}[/]")


if __name__ == "__main__":
    main()
