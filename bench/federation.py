"""National federation: how fast state aggregates reach the national stream, and how fast a
state catches up after its leaf connection was cut.

Starts its own three nats-servers (national, "up", "br"; launcher/federation.py, the configs
of a real deployment) with each state's leaf connection through a cable that can be cut, then:

1. propagation: both states publish BlockAggregate messages into their own streams at
   ``--rate`` events/s in total for ``--seconds``; the national side reads the national
   stream (which sources them over the leaf nodes) and records, per message, now − as_of
   (the moment the state published it; one clock, one machine). p50/p99/max; goal p99 ≤ 5 s.
2. catch-up: "up"'s cable is cut for ``--cut`` seconds while it keeps publishing at its
   share of the rate; then the cable is mended and the time until the national side holds
   every one of them gives the catch-up rate (events/s) and how long a backlog of that size
   takes. The issue asks about a 10-minute cut; ``--cut 600`` runs that (the default is
   shorter so the bench finishes in about two minutes; the rate does not depend on it).

    python -m bench.federation [--rate 1000] [--seconds 20] [--cut 60] [--port-base 34100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import nats
from nats.aio.client import Client as NatsClient
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import FetchTimeoutError

from bench.common import console, percentile, write_results
from launcher.federation import LeafCable, NatsServer
from lokos import bus, federation
from lokos.reports.v1 import federation_pb2

STATES = ("up", "br")
BLOCKS = 5_000


async def _connect(server: NatsServer, user: str = bus.ADMIN) -> NatsClient:
    return await nats.connect(
        server.url,
        user=user,
        password=server.password(user),
        inbox_prefix=bus.inbox_prefix(user),
        max_reconnect_attempts=-1,
    )


class NationalReader:
    """Reads the national stream; keeps each message's delay and a count per state."""

    def __init__(self, nc: NatsClient) -> None:
        self.js = nc.jetstream()
        self.delays: list[float] = []
        self.counts: Counter[str] = Counter()
        self.recording = True

    async def run(self, stop: asyncio.Event) -> None:
        await self.js.add_consumer(
            bus.NATIONAL_STREAM,
            ConsumerConfig(
                durable_name="bench", ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL
            ),
        )
        sub = await self.js.pull_subscribe_bind("bench", bus.NATIONAL_STREAM)
        while not stop.is_set():
            try:
                messages = await sub.fetch(1_000, timeout=0.5)
            except (FetchTimeoutError, TimeoutError):
                continue
            now = datetime.now(UTC)
            for msg in messages:
                aggregate = federation_pb2.BlockAggregate.FromString(msg.data)
                self.counts[aggregate.state] += 1
                if self.recording:
                    as_of = aggregate.as_of.ToDatetime(tzinfo=UTC)
                    self.delays.append((now - as_of).total_seconds())


async def _publish(nc: NatsClient, state: str, rate: float, seconds: float, start: int) -> int:
    """Publish at ``rate``/s for ``seconds`` (acknowledged by the state's stream); how many."""
    js = nc.jetstream()
    t0 = time.monotonic()
    n = 0
    while (elapsed := time.monotonic() - t0) < seconds:
        due = int(elapsed * rate) + 1
        while n < due:
            i = start + n
            message = federation_pb2.BlockAggregate(
                state=state,
                district_lgd_code=str(100 + i % 50),
                block_lgd_code=str(1000 + i % BLOCKS),
                period="2026-11",
                metrics={"shgs_formed": i},
            )
            message.as_of.FromDatetime(datetime.now(UTC))
            await js.publish(
                federation.aggregate_subject(state, message.block_lgd_code),
                message.SerializeToString(),
            )
            n += 1
        await asyncio.sleep(0.002)
    return n


async def _until(check: object, timeout: float) -> float:
    t0 = time.monotonic()
    while not check():  # type: ignore[operator]
        if time.monotonic() - t0 > timeout:
            raise TimeoutError("the national side did not catch up")
        await asyncio.sleep(0.05)
    return time.monotonic() - t0


async def run(rate: float, seconds: float, cut: float, port_base: int) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="lokos-bench-federation-"))
    national = NatsServer(
        "national", folder / "national", port_base, port_base + 1, port_base + 5, "", STATES
    )
    servers: dict[str, NatsServer] = {}
    cables: dict[str, LeafCable] = {}
    try:
        national.start()
        for i, state in enumerate(STATES, start=1):
            cables[state] = LeafCable(port_base + 10 * i + 5, national.leaf_port)
            await cables[state].mend()
            servers[state] = NatsServer(
                state,
                folder / state,
                port_base + 10 * i,
                port_base + 10 * i + 1,
                national_leaf_url=cables[state].url,
            )
            servers[state].start(national)
        clients = {}
        for state, server in servers.items():
            clients[state] = await _connect(server)
            await bus.provision(clients[state].jetstream(), state)
        await _until(lambda: national.leaf_connections() == len(STATES), 30)
        nat = await _connect(national)
        await nat.jetstream().add_stream(federation.national_stream_config(STATES))
        reader = NationalReader(nat)
        stop = asyncio.Event()
        reading = asyncio.create_task(reader.run(stop))

        # 1. Propagation at the steady rate.
        share = rate / len(STATES)
        sent = await asyncio.gather(*(_publish(clients[s], s, share, seconds, 0) for s in STATES))
        total = sum(sent)
        await _until(lambda: sum(reader.counts.values()) >= total, 120)
        delays = sorted(reader.delays)
        reader.recording = False
        achieved = total / seconds

        # 2. Catch-up after a cut: "up" keeps publishing while cut off.
        await cables["up"].cut()
        await _until(lambda: national.leaf_connections() == len(STATES) - 1, 30)
        before = reader.counts["up"]
        backlog = await _publish(clients["up"], "up", share, cut, sent[0])
        await cables["up"].mend()
        mended = time.monotonic()
        # JetStream notices the source is reachable again (its retry), then copies the backlog.
        resume = await _until(lambda: reader.counts["up"] > before, 600)
        resumed = time.monotonic()
        await _until(lambda: reader.counts["up"] >= before + backlog, 600)
        copy = time.monotonic() - resumed
        catch_up = time.monotonic() - mended
        stop.set()
        await reading
        for nc in (*clients.values(), nat):
            await nc.close()
    finally:
        for cable in cables.values():
            await cable.cut()
        for server in (*servers.values(), national):
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "rate_events_per_s": achieved,
        "events": float(total),
        "p50_s": percentile(delays, 50),
        "p99_s": percentile(delays, 99),
        "max_s": delays[-1],
        "cut_s": cut,
        "backlog_events": float(backlog),
        "catch_up_s": catch_up,
        "resume_after_mend_s": resume,
        "copy_s": copy,
        "copy_events_per_s": backlog / copy if copy else float("inf"),
        "catch_up_events_per_s": backlog / catch_up if catch_up else float("inf"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.federation", description=__doc__)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--cut", type=float, default=60.0)
    parser.add_argument(
        "--port-base",
        type=int,
        default=int(os.environ.get("LOKOS_TEST_PORT_BASE", "34000")) + 100,
    )
    args = parser.parse_args()
    result = asyncio.run(run(args.rate, args.seconds, args.cut, args.port_base))
    console.print(
        f"propagation state → national at {result['rate_events_per_s']:.0f} events/s "
        f"({result['events']:.0f} events): p50 {result['p50_s']:.3f} s, "
        f"p99 {result['p99_s']:.3f} s (goal ≤ 5 s), max {result['max_s']:.3f} s"
    )
    ten_minutes = 600 * result["backlog_events"] / result["cut_s"]
    console.print(
        f"catch-up after a {result['cut_s']:.0f} s cut: {result['backlog_events']:.0f} events "
        f"in {result['catch_up_s']:.2f} s after mending = {result['catch_up_events_per_s']:.0f} "
        f"events/s overall; the source resumed {result['resume_after_mend_s']:.2f} s after the "
        f"leaf reconnected, then copied at {result['copy_events_per_s']:.0f} events/s"
    )
    console.print(
        f"a 10-minute cut ({ten_minutes:.0f} events at this rate) would catch up in about "
        f"{result['resume_after_mend_s'] + ten_minutes / result['copy_events_per_s']:.1f} s"
    )
    write_results("federation", result)


if __name__ == "__main__":
    main()
