"""The outbox and the idempotent consumer against real PostgreSQL and NATS JetStream."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import nats
import pytest
from sqlalchemy import text

from lokos import context
from lokos.consumer import EventConsumer
from lokos.db import Database, prepare_database
from lokos.events import STREAM, Event, NatsLink
from lokos.outbox import OutboxRelay, add_event
from lokos.profiles.v1 import profiles_pb2
from lokos.runtime.platform import Platform
from services.dedup.models import outbox

# Any service's migrations give a database with outbox, inbox and audit tables.
MIGRATIONS = Path(__file__).parents[2] / "services" / "dedup" / "migrations"


@pytest.fixture
async def db(platform: Platform) -> AsyncIterator[Database]:
    url = platform.database_url("dedup").rsplit("/", 1)[0] + f"/it_{uuid.uuid4().hex[:12]}"
    await prepare_database(MIGRATIONS, url, create=True)
    database = Database(url, pool_size=4)
    yield database
    await database.dispose()


@pytest.fixture
async def link(platform: Platform) -> AsyncIterator[NatsLink]:
    nl = NatsLink(platform.nats_url, "it")
    nl.start()
    await asyncio.wait_for(nl.jetstream(), 10)
    yield nl
    await nl.close()


def _payload(name: str) -> profiles_pb2.ShgCreated:
    return profiles_pb2.ShgCreated(
        shg=profiles_pb2.Shg(id=str(uuid.uuid4()), name=name, state="it")
    )


async def _stage(db: Database, state: str, names: list[str], request_id: str = "") -> list[str]:
    token = context.current_request_id.set(request_id)
    try:
        async with db.session() as s:
            ids = [await add_event(s, outbox, "it.shg.created", state, _payload(n)) for n in names]
            await s.commit()
        return ids
    finally:
        context.current_request_id.reset(token)


async def test_event_is_staged_in_the_callers_transaction(db: Database) -> None:
    async with db.session() as s:
        await add_event(s, outbox, "it.shg.created", "it", _payload("rolled back"))
        await s.rollback()
    async with db.session() as s:
        assert (await s.execute(text("SELECT count(*) FROM outbox"))).scalar_one() == 0


async def test_relay_publishes_in_order_with_msg_id_and_request_id(
    db: Database, link: NatsLink, platform: Platform
) -> None:
    state = f"it{uuid.uuid4().hex[:8]}"
    ids = await _stage(db, state, [f"SHG {i}" for i in range(5)], request_id="abc123")
    relay = OutboxRelay(db, link)
    assert await relay.publish_batch() == 5
    assert await relay.publish_batch() == 0

    async with db.session() as s:
        rows = (await s.execute(text("SELECT request_id, published_at FROM outbox"))).all()
    assert all(r.request_id == "abc123" and r.published_at is not None for r in rows)

    nc = await nats.connect(platform.nats_url)
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(f"lokos.{state}.>", stream=STREAM)
        msgs = await sub.fetch(5, timeout=5)
        assert [m.headers["Nats-Msg-Id"] for m in msgs] == ids
        from lokos.common.v1 import events_pb2

        envelopes = [events_pb2.EventEnvelope.FromString(m.data) for m in msgs]
        assert [e.event_id for e in envelopes] == ids
        assert all(e.request_id == "abc123" and e.state == state for e in envelopes)
    finally:
        await nc.close()


async def test_republishing_a_row_is_deduplicated_by_jetstream(
    db: Database, link: NatsLink, platform: Platform
) -> None:
    """A relay that dies after publishing but before marking the row publishes it again."""
    state = f"it{uuid.uuid4().hex[:8]}"
    await _stage(db, state, ["once"])
    relay = OutboxRelay(db, link)
    assert await relay.publish_batch() == 1
    async with db.session() as s:
        await s.execute(text("UPDATE outbox SET published_at = NULL"))
        await s.commit()
    assert await relay.publish_batch() == 1
    js = await link.jetstream()
    info = await js.stream_info(STREAM, subjects_filter=f"lokos.{state}.>")
    assert info.state.subjects == {f"lokos.{state}.it.shg.created": 1}


async def test_consumer_applies_each_event_once_despite_redelivery(
    db: Database, link: NatsLink, platform: Platform
) -> None:
    state = f"it{uuid.uuid4().hex[:8]}"
    seen: list[str] = []
    fail_first = {"done": False}

    async def handler(session: object, event: Event) -> None:
        # The first attempt fails after doing its work: the transaction rolls back, and the
        # message is redelivered.
        seen.append(event.payload(profiles_pb2.ShgCreated).shg.name)
        if not fail_first["done"]:
            fail_first["done"] = True
            raise RuntimeError("simulated crash before commit")

    consumer = EventConsumer(
        db,
        link,
        durable=f"it-{state}",
        subjects=[f"lokos.{state}.>"],
        handler=handler,  # type: ignore[arg-type]
        service="it",
        state=state,
    )
    await _stage(db, state, ["Asha", "Bindu", "Champa"])
    relay = OutboxRelay(db, link)
    await relay.publish_batch()
    # A duplicate publish with the same event id from outside the window's protection:
    # the inbox, not the broker, makes the consumer idempotent.
    js = await link.jetstream()
    async with db.session() as s:
        row = (
            await s.execute(
                text("SELECT subject, envelope, event_id FROM outbox ORDER BY id LIMIT 1")
            )
        ).one()
    await js.publish(
        row.subject, bytes(row.envelope), headers={"Nats-Msg-Id": "another-" + row.event_id}
    )

    task = asyncio.create_task(consumer.run())
    try:

        async def done() -> None:
            while True:
                async with db.session() as s:
                    n = (await s.execute(text("SELECT count(*) FROM inbox"))).scalar_one()
                if n == 3:
                    return
                await asyncio.sleep(0.1)

        await asyncio.wait_for(done(), 30)
        await asyncio.sleep(0.5)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    # Asha failed once and was retried; the duplicate delivery of Asha did nothing.
    assert sorted(seen) == ["Asha", "Asha", "Bindu", "Champa"]
    async with db.session() as s:
        assert (await s.execute(text("SELECT count(*) FROM inbox"))).scalar_one() == 3
