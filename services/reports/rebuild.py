"""Rebuild every read model from the event stream into fresh tables, then swap them in.

The stream keeps every event (``LOKOS`` is a limits stream without age or size limits, see
``lokos.events.ensure_stream``), so the read models are a function of it: this replays the
reports durable's subjects from the first event with an ephemeral consumer into tables of a
``rebuild`` schema (created from the models, so names of constraints and indexes are the
migrations' own), through the very code the live consumer runs (:mod:`services.reports.ingest`).

The swap is one transaction: it locks the ``inbox`` against the live consumer (waiting for a
batch in flight), applies what arrived during the replay, records every replayed event in the
inbox (the live consumer then skips them), and moves the old tables out and the new ones in.
Readers see the old numbers or the new ones, never a mix.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import nats
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import FetchTimeoutError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lokos.common.v1 import events_pb2
from lokos.db import Database
from lokos.events import STREAM, Event, foreign_origin
from services.reports import consumers, ingest
from services.reports.models import FILLFACTOR, inbox, metadata

DURABLE = "reports-feed"
SCHEMA = "rebuild"
RETIRED = "retired"
READ_MODELS = tuple(t for t in metadata.sorted_tables if t is not inbox)
BATCH = 2000

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Rebuilt:
    events: int
    skipped: int


async def _in_schema(session: AsyncSession, schema: str) -> None:
    await session.execute(text(f"SET LOCAL search_path TO {schema}"))


async def _create_schema(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        await conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        await conn.execute(
            text(f"CREATE TABLE {SCHEMA}.replayed (event_id varchar(36) PRIMARY KEY)")
        )
        mapped = await conn.execution_options(schema_translate_map={None: SCHEMA})
        await mapped.run_sync(lambda c: metadata.create_all(c, tables=list(READ_MODELS)))
        for table, percent in FILLFACTOR.items():
            await conn.execute(text(f"ALTER TABLE {SCHEMA}.{table} SET (fillfactor = {percent})"))


def _decode(msgs: list[Msg]) -> tuple[list[Event], int]:
    out: list[Event] = []
    skipped = 0
    for msg in msgs:
        envelope = events_pb2.EventEnvelope()
        try:
            envelope.ParseFromString(msg.data)
        except Exception:
            skipped += 1
            continue
        if foreign_origin(envelope, msg.subject) is not None:
            skipped += 1
            continue
        meta = msg.metadata if msg.reply else None
        pending = meta.num_pending if meta is not None else 0
        seq = meta.sequence.stream if meta is not None else 0
        out.append(Event(envelope, msg.subject, 1, pending or 0, seq))
    return out, skipped


async def _apply(session: AsyncSession, batch: list[Event]) -> None:
    await _in_schema(session, SCHEMA)
    todo = [e for e in batch if e.event_type in ingest.CONSUMED]
    if todo:
        await ingest.apply(session, todo)
    await session.execute(
        text("INSERT INTO replayed SELECT unnest(CAST(:ids AS text[])) ON CONFLICT DO NOTHING"),
        {"ids": [e.id for e in batch]},
    )


async def rebuild(
    db: Database,
    nats_url: str,
    user: str,
    password: str,
    state: str,
    progress: Progress | None = None,
) -> Rebuilt:
    """Replay the stream into fresh read models and swap them in; ``progress(done, total)``
    after every batch. ``user`` must be allowed to create a consumer (the bus owner)."""
    await _create_schema(db)
    nc = await nats.connect(nats_url, user=user, password=password)
    name = f"reports-rebuild-{uuid.uuid4().hex[:8]}"
    js = nc.jetstream()
    done = skipped = 0
    try:
        await js.add_consumer(
            STREAM,
            ConsumerConfig(
                name=name,
                filter_subjects=consumers.subjects(state),
                deliver_policy=DeliverPolicy.ALL,
                ack_policy=AckPolicy.NONE,
                inactive_threshold=300.0,
            ),
        )
        sub = await js.pull_subscribe_bind(name, stream=STREAM)
        total = (await js.consumer_info(STREAM, name)).num_pending

        async def drain(session: AsyncSession | None) -> None:
            nonlocal done, skipped, total
            while True:
                try:
                    msgs = await sub.fetch(BATCH, timeout=1)
                except (FetchTimeoutError, TimeoutError):
                    msgs = []
                if not msgs:
                    if (await js.consumer_info(STREAM, name)).num_pending == 0:
                        return
                    continue
                batch, bad = _decode(msgs)
                skipped += bad
                if session is None:
                    async with db.session() as s:
                        await _apply(s, batch)
                        await s.commit()
                else:
                    await _apply(session, batch)
                done += len(msgs)
                total = max(total, done + (msgs[-1].metadata.num_pending or 0))
                if progress is not None:
                    progress(done, total)

        await drain(None)
        async with db.session() as session:
            # The live consumer inserts into the inbox first in each batch: once this lock is
            # held, no batch is in flight and none starts until the swap commits.
            await session.execute(text("LOCK TABLE public.inbox IN SHARE ROW EXCLUSIVE MODE"))
            await drain(session)
            await session.execute(
                text(
                    "INSERT INTO public.inbox (consumer, event_id)"
                    f" SELECT :c, event_id FROM {SCHEMA}.replayed ON CONFLICT DO NOTHING"
                ),
                {"c": DURABLE},
            )
            await session.execute(text(f"DROP SCHEMA IF EXISTS {RETIRED} CASCADE"))
            await session.execute(text(f"CREATE SCHEMA {RETIRED}"))
            for table in READ_MODELS:
                await session.execute(text(f"ALTER TABLE public.{table.name} SET SCHEMA {RETIRED}"))
                await session.execute(text(f"ALTER TABLE {SCHEMA}.{table.name} SET SCHEMA public"))
            await session.commit()
        async with db.engine.begin() as conn:
            await conn.execute(text(f"DROP SCHEMA {RETIRED} CASCADE"))
            await conn.execute(text(f"DROP SCHEMA {SCHEMA} CASCADE"))
    finally:
        # An ephemeral consumer left behind goes by itself once inactive.
        with contextlib.suppress(Exception):
            await js.delete_consumer(STREAM, name)
        await nc.close()
    return Rebuilt(done, skipped)
