"""Event path: the outbox relay beside raw acknowledged JetStream publishing, in one run.

Starts its own PostgreSQL and nats-server (loopback, temporary folders), then measures:

1. raw: nats-py acknowledged ``js.publish`` of N envelopes of the relay's size, ``--window``
   in flight — the floor the relay is held against;
2. relay: N events staged in an outbox with COPY (as a bulk import does), then
   :class:`lokos.outbox.OutboxRelay` publishes them; events/s and the ratio to raw (goal ≥ 0.5);
   order per subject is checked by reading the stream back;
3. end to end: outbox → JetStream → a batched :class:`lokos.consumer.EventConsumer` applying
   each event to a read-model table (an upsert per block, as the reports do); events/s
   (goal ≥ 10,000/s).

    python -m bench.event_path [--events 50000] [--window 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import nats
from nats.js.api import AckPolicy, ConsumerConfig
from rich.table import Table
from sqlalchemy import Column, Integer, MetaData, String, text
from sqlalchemy import Table as SqlTable
from sqlalchemy.ext.asyncio import AsyncSession

from bench.common import console, met, write_results
from launcher.platform import nats_server_binary
from launcher.postgres import PostgresInstance, find_bindir, server_user
from lokos import bus, events
from lokos.common.v1 import events_pb2
from lokos.consumer import EventConsumer, inbox_table
from lokos.db import Database, asyncpg_dsn, wait_for_server
from lokos.events import STREAM, Event, NatsLink, build_envelope, ensure_stream, subject
from lokos.outbox import OutboxRelay, add_events_copy, outbox_table
from lokos.profiles.v1 import profiles_pb2

RELAY_GOAL = 0.5
END_TO_END_GOAL = 10_000.0
STATE = "bench"
BLOCKS = 50


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Servers:
    database_url: str
    nats_url: str


@contextmanager
def servers() -> Iterator[Servers]:
    """PostgreSQL and NATS JetStream of this benchmark only, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="lokos-bench-events-"))
    bindir, _ = find_bindir()
    pg = PostgresInstance(folder / "postgres", _free_port(), bindir)
    pg.init()
    owner = server_user()
    nats_port = _free_port()
    procs = [
        subprocess.Popen(
            pg.command(),
            cwd=pg.server_root,
            user=owner.pw_uid if owner else None,
            group=owner.pw_gid if owner else None,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            [
                *(nats_server_binary(), "-a", "127.0.0.1", "-p", str(nats_port)),
                *("-js", "-sd", str(folder / "nats")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        ),
    ]
    try:
        yield Servers(pg.url("postgres"), f"nats://127.0.0.1:{nats_port}")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
        shutil.rmtree(folder, ignore_errors=True)
        if pg.server_root != pg.root:
            shutil.rmtree(pg.server_root, ignore_errors=True)


def _payload(i: int) -> profiles_pb2.CboEvent:
    """An SHG event as profiles emits it (the common size of the stream)."""
    return profiles_pb2.CboEvent(
        cbo=profiles_pb2.CboView(
            id=f"00000000-0000-4000-8000-{i:012d}",
            client_id=f"10000000-0000-4000-8000-{i:012d}",
            cbo_type="SHG",
            name=f"Jai Maa Durga Mahila SHG {i}",
            state=STATE,
            district_lgd_code="9901",
            block_lgd_code=str(990100 + i % BLOCKS),
            panchayat_lgd_code="99010101",
            village_lgd_code="9901010101",
            status="NEW",
            version=1,
            created_by="BENCH_BK",
        )
    )


async def _reset_stream(url: str) -> None:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await ensure_stream(js)
        await js.purge_stream(STREAM)
    finally:
        await nc.close()


async def raw_publish(url: str, n: int, window: int) -> float:
    """Acknowledged publishes of ``n`` envelopes, the way the relay sends them (batches of
    ``OutboxRelay.BATCH`` gathered, at most ``window`` in flight) minus the database; events/s."""
    await _reset_stream(url)
    env = build_envelope("profiles.shg.created", STATE, _payload(0))
    data = env.SerializeToString()
    subj = subject(STATE, "profiles.shg.created")
    batch = OutboxRelay.BATCH
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        in_flight: collections.deque[asyncio.Future[list[object]]] = collections.deque()
        t0 = time.perf_counter()
        for start in range(0, n, batch):
            in_flight.append(
                asyncio.gather(
                    *(
                        js.publish(subj, data, timeout=10, headers={"Nats-Msg-Id": f"raw-{i}"})
                        for i in range(start, min(n, start + batch))
                    )
                )
            )
            while len(in_flight) * batch > window:
                await in_flight.popleft()
        while in_flight:
            await in_flight.popleft()
        return n / (time.perf_counter() - t0)
    finally:
        await nc.close()


metadata = MetaData()
OUTBOX = outbox_table(metadata)
inbox_table(metadata)
BLOCK_COUNTS = SqlTable(
    "block_counts",
    metadata,
    Column("block", String(16), primary_key=True),
    Column("shgs", Integer, nullable=False),
)


async def _prepare_database(url: str) -> None:
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
            await conn.run_sync(metadata.create_all)
    finally:
        await db.dispose()


async def _stage(url: str, n: int) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with conn.transaction():
            await add_events_copy(
                conn,
                (
                    (
                        "profiles.shg.created" if i % 3 else "profiles.shg.changed",
                        STATE,
                        _payload(i),
                    )
                    for i in range(n)
                ),
            )
    finally:
        await conn.close()


async def _pending(url: str) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
    finally:
        await conn.close()


async def _order_kept(url: str, n: int) -> bool:
    """Read the stream back: per subject, the SHG numbers must rise (outbox order)."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(
            f"lokos.{STATE}.>",
            durable="bench-order",
            stream=STREAM,
            config=ConsumerConfig(ack_policy=AckPolicy.NONE),
        )
        last: dict[str, int] = {}
        seen = 0
        while seen < n:
            for msg in await sub.fetch(min(1000, n - seen), timeout=10):
                env = events_pb2.EventEnvelope()
                env.ParseFromString(msg.data)
                event = profiles_pb2.CboEvent()
                env.payload.Unpack(event)
                number = int(event.cbo.id.rsplit("-", 1)[1])
                if number <= last.get(msg.subject, -1):
                    return False
                last[msg.subject] = number
                seen += 1
        return True
    finally:
        await nc.close()


async def relay(url: str, nats_url: str, n: int) -> tuple[float, bool]:
    """Events/s of the relay draining ``n`` staged rows, and whether order was kept."""
    await _reset_stream(nats_url)
    await _prepare_database(url)
    await _stage(url, n)
    db = Database(url)
    link = NatsLink(nats_url, "bench-relay")
    link.start()
    await link.jetstream()
    relay = OutboxRelay(db, link, poll_interval=0.05)
    try:
        t0 = time.perf_counter()
        task = asyncio.create_task(relay.run())
        while await _pending(url):  # noqa: ASYNC110 (polling the database, not an event)
            await asyncio.sleep(0.05)
        rate = n / (time.perf_counter() - t0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    finally:
        await relay.close()
        await link.close()
        await db.dispose()
    return rate, await _order_kept(nats_url, n)


async def _count_shgs(session: AsyncSession, events: list[Event]) -> None:
    per_block: dict[str, int] = {}
    for e in events:
        block = e.payload(profiles_pb2.CboEvent).cbo.block_lgd_code
        per_block[block] = per_block.get(block, 0) + 1
    await session.execute(
        text(
            "INSERT INTO block_counts (block, shgs)"
            " SELECT unnest(CAST(:b AS text[])), unnest(CAST(:c AS int[]))"
            " ON CONFLICT (block) DO UPDATE SET shgs = block_counts.shgs + excluded.shgs"
        ),
        {"b": list(per_block), "c": list(per_block.values())},
    )


async def end_to_end(url: str, nats_url: str, n: int) -> float:
    """Events/s from staged outbox rows to a read model applied by a batched consumer."""
    await _reset_stream(nats_url)
    await _prepare_database(url)
    await _stage(url, n)
    db = Database(url)
    link = NatsLink(nats_url, "bench-e2e")
    link.start()
    await link.jetstream()
    durable = bus.Durable("bench-read-model", ("profiles.shg.created", "profiles.shg.changed"))
    consumer = EventConsumer(
        db,
        link,
        durable=durable.name,
        subjects=durable.subjects(STATE),
        batch_handler=_count_shgs,
        service="reports",
        state=STATE,
        batch=1000,
    )
    # The bus owner's part: the durable exists before its consumer binds to it.
    await bus.ensure_durable(await link.jetstream(), bus.consumer_config(durable, STATE))
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        t0 = time.perf_counter()
        relay_process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.event_path", "--relay-only", url, nats_url
        )
        tasks = [asyncio.create_task(consumer.run())]
        while (await conn.fetchval("SELECT coalesce(sum(shgs), 0) FROM block_counts")) < n:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        rate = n / (time.perf_counter() - t0)
        applied = int(await conn.fetchval("SELECT sum(shgs) FROM block_counts"))
        if applied != n:
            raise AssertionError(f"read model counted {applied} of {n} events")
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        relay_process.terminate()
        await relay_process.wait()
    finally:
        await conn.close()
        await link.close()
        await db.dispose()
    return rate


async def _relay_forever(url: str, nats_url: str) -> None:
    events.set_producer("profiles")
    db = Database(url)
    link = NatsLink(nats_url, "bench-relay")
    link.start()
    await OutboxRelay(db, link, poll_interval=0.05).run()


@dataclass(frozen=True)
class EventPathResult:
    events: int
    window: int
    raw_per_s: float
    relay_per_s: float
    order_kept: bool
    end_to_end_per_s: float

    @property
    def ratio(self) -> float:
        return self.relay_per_s / self.raw_per_s if self.raw_per_s else 0.0


async def measure(n: int, window: int) -> EventPathResult:
    events.set_producer("profiles")  # the staged events are profiles' own
    with servers() as s:
        await wait_for_server(s.database_url)
        raw = await raw_publish(s.nats_url, n, window)
        relay_rate, order = await relay(s.database_url, s.nats_url, n)
        e2e = await end_to_end(s.database_url, s.nats_url, n)
    return EventPathResult(n, window, raw, relay_rate, order, e2e)


def render(r: EventPathResult) -> Table:
    t = Table(title=f"Event path: {r.events:,} events (raw publish window {r.window})")
    t.add_column("measure")
    t.add_column("events/s", justify="right")
    t.add_column("goal")
    t.add_row("raw acknowledged JetStream publish (nats-py)", f"{r.raw_per_s:,.0f}", "floor")
    t.add_row(
        "outbox relay (COPY-staged rows → JetStream)",
        f"{r.relay_per_s:,.0f}",
        f"ratio {r.ratio:.2f} ≥ {RELAY_GOAL} {met(r.ratio >= RELAY_GOAL)}",
    )
    t.add_row("order per subject kept", "yes" if r.order_kept else "NO", met(r.order_kept))
    t.add_row(
        "outbox → JetStream → batched consumer → read model",
        f"{r.end_to_end_per_s:,.0f}",
        f"≥ {END_TO_END_GOAL:,.0f} {met(r.end_to_end_per_s >= END_TO_END_GOAL)}",
    )
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=50_000)
    ap.add_argument("--window", type=int, default=OutboxRelay.WINDOW)
    # Internal: the relay of the end-to-end measure runs in a process of its own, as in a
    # deployment (the producer's relay and the consumer are different services).
    ap.add_argument("--relay-only", nargs=2, metavar=("DATABASE_URL", "NATS_URL"))
    args = ap.parse_args()
    if args.relay_only:
        asyncio.run(_relay_forever(*args.relay_only))
        return
    result = asyncio.run(measure(args.events, args.window))
    console.print(render(result))
    path = write_results("event_path", {"event_path": result, "ratio": result.ratio})
    console.print(f"results: {path}")


if __name__ == "__main__":
    main()
