"""The transactional outbox.

A service writes its state change and the event row in one transaction
(:func:`add_event`); :class:`OutboxRelay` publishes committed rows to JetStream with
``Nats-Msg-Id`` = event id and marks them published. A crash between publish and mark means
the row is published again, and JetStream's duplicate window (plus consumers' inboxes)
swallow the repeat. No event is lost when NATS, PostgreSQL or the process dies.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import logging
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import asyncpg
from google.protobuf.message import Message
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    func,
    insert,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from lokos.db import Database, asyncpg_dsn
from lokos.events import NatsLink, build_envelope, subject
from lokos.telemetry import inject_headers

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "lokos_outbox"
# The columns add_events_copy fills; the rest take their defaults.
COPY_COLUMNS = ("event_id", "subject", "type", "request_id", "headers", "envelope")


def outbox_table(metadata: MetaData) -> Table:
    """The outbox table, added to a service's own metadata (and so to its migrations)."""
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("subject", String(255), nullable=False),
        Column("type", String(128), nullable=False),
        # The request (trace) id travels in every row so the trace survives the hop.
        Column("request_id", String(64), nullable=False, server_default=""),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("envelope", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    )


async def add_event(
    session: AsyncSession, outbox: Table, event_type: str, state: str, payload: Message
) -> str:
    """Stage an event in the caller's transaction; it is published only if that commits."""
    env = build_envelope(event_type, state, payload)
    headers = inject_headers()
    await session.execute(
        insert(outbox).values(
            event_id=env.event_id,
            subject=subject(state, event_type),
            type=event_type,
            request_id=env.request_id,
            headers=headers,
            envelope=env.SerializeToString(),
        )
    )
    # Delivered only on commit, so the relay wakes exactly when there is something to send.
    await session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
    return env.event_id


async def add_events_copy(
    conn: asyncpg.Connection,
    events: Iterable[tuple[str, str, Message]],
    *,
    event_ids: Iterable[str] | None = None,
) -> int:
    """Stage many events, each ``(event_type, state, payload)``, in ``conn``'s open
    transaction with one ``COPY``; returns how many. Published only if that transaction
    commits, in the order given.

    The bulk form of :func:`add_event` for loads of lakhs of records. Envelopes are stamped by
    :func:`build_envelope` with the request id, actor and trace context of the caller, which
    are the same for every event of one call: the first envelope is built by it and reused,
    each next event setting only its own id, type, state and payload (``occurred_at`` is the
    same for all). ``event_ids`` (same order and length as ``events``) lets a caller that
    may have to take an event back later derive the ids instead of keeping them; by default
    each event gets a new UUID4. ``events`` may be a generator: rows stream to the server as
    they are built.
    """
    if not conn.is_in_transaction():
        raise RuntimeError("add_events_copy needs an open transaction (the change's own)")
    pending = iter(events)
    first = next(pending, None)
    if first is None:
        return 0
    headers = json.dumps(inject_headers())
    ids = iter(event_ids) if event_ids is not None else None
    count = 0

    def records() -> Iterator[tuple[str, str, str, str, str, bytes]]:
        nonlocal count
        env = None
        for event_type, state, payload in itertools.chain((first,), pending):
            event_id = str(uuid.uuid4()) if ids is None else next(ids, "")
            if not event_id:
                raise ValueError("fewer event_ids than events")
            if env is None:
                env = build_envelope(event_type, state, payload, event_id=event_id)
            else:
                env.event_id = event_id
                env.type = event_type
                env.state = state
                env.payload.Pack(payload)
            count += 1
            yield (
                event_id,
                subject(state, event_type),
                event_type,
                env.request_id,
                headers,
                env.SerializeToString(),
            )

    await conn.copy_records_to_table("outbox", records=records(), columns=COPY_COLUMNS)
    if ids is not None and next(ids, None) is not None:
        raise ValueError("more event_ids than events")
    await conn.execute(f"NOTIFY {NOTIFY_CHANNEL}")
    return count


class OutboxRelay:
    """Publishes committed outbox rows in order, retrying with backoff.

    One relay per database publishes at a time (a session advisory lock, so replicas of a
    service never interleave their rows). It keeps up to ``WINDOW`` publishes in flight: the
    next batch is read and sent while the acknowledgements of the previous ones are awaited,
    and rows are marked published batch by batch, in order. Publishes go out in id order on
    one connection, so JetStream stores them in that order. A publish that fails stops the
    pass: rows before it are marked, the pass restarts from the first unpublished row, and
    anything of the later batches already stored is dropped by JetStream's duplicate window.
    """

    BATCH = 500
    WINDOW = 4000  # publishes in flight at most

    def __init__(self, db: Database, nats_link: NatsLink, *, poll_interval: float = 1.0) -> None:
        self.db = db
        self.nats = nats_link
        self.poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._conn: asyncpg.Connection | None = None

    async def run(self) -> None:
        delay = 0.1
        while True:
            try:
                await self._connect()
                await self.drain()
                delay = 0.1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_interval)
                self._wake.clear()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("outbox relay: %s; retrying in %.1fs", exc, delay)
                await self._disconnect()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def drain(self) -> int:
        """Publish every committed, unpublished row; return how many were published.

        Nothing (0) while another relay of the same database holds the lead.
        """
        conn = await self._connect()
        if not await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", NOTIFY_CHANNEL):
            return 0
        js = await self.nats.jetstream()
        in_flight: collections.deque[tuple[list[int], asyncio.Future[list[Any]]]] = (
            collections.deque()
        )
        cursor = 0
        published = 0
        try:
            while True:
                rows = await conn.fetch(
                    "SELECT id, event_id, subject, headers::text AS headers, envelope"
                    " FROM outbox WHERE published_at IS NULL AND id > $1 ORDER BY id LIMIT $2",
                    cursor,
                    self.BATCH,
                )
                if rows:
                    cursor = rows[-1]["id"]
                    acks = asyncio.gather(
                        *(
                            js.publish(
                                row["subject"],
                                row["envelope"],
                                timeout=5,
                                headers={
                                    **json.loads(row["headers"]),
                                    "Nats-Msg-Id": row["event_id"],
                                },
                            )
                            for row in rows
                        ),
                        return_exceptions=True,
                    )
                    in_flight.append(([row["id"] for row in rows], acks))
                while in_flight and (not rows or len(in_flight) * self.BATCH > self.WINDOW):
                    published += await self._settle(conn, *in_flight.popleft())
                if not rows and not in_flight:
                    return published
        finally:
            for _, acks in in_flight:  # a failed pass: let the rest finish unobserved
                acks.cancel()
            await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", NOTIFY_CHANNEL)

    async def _settle(
        self, conn: asyncpg.Connection, ids: list[int], acks: asyncio.Future[list[Any]]
    ) -> int:
        """Wait for one batch's acknowledgements and mark the acknowledged prefix published."""
        results = await acks
        done: list[int] = []
        failure: BaseException | None = None
        for row_id, result in zip(ids, results, strict=True):
            if isinstance(result, BaseException):
                failure = result  # keep order: stop at the first failure, retry from there
                break
            done.append(row_id)
        if done:
            await conn.execute(
                "UPDATE outbox SET published_at = now(), attempts = attempts + 1"
                " WHERE id = ANY($1::bigint[])",
                done,
            )
        if failure is not None:
            raise RuntimeError(f"publish failed after {len(done)} events: {failure!r}")
        return len(done)

    async def _connect(self) -> asyncpg.Connection:
        """The relay's own connection: it listens for NOTIFY and holds the advisory lock."""
        if self._conn is not None and not self._conn.is_closed():
            return self._conn
        self._conn = await asyncpg.connect(asyncpg_dsn(self.db.url))
        await self._conn.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
        return self._conn

    async def _disconnect(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # it is being thrown away
                await self._conn.close(timeout=1)
        self._conn = None

    async def close(self) -> None:
        await self._disconnect()
