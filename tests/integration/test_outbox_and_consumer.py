"""The outbox and the idempotent consumer against real PostgreSQL and NATS JetStream."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import nats
import pytest
from sqlalchemy import text

from launcher.platform import Platform
from lokos import bus, context, events
from lokos.common.v1 import events_pb2
from lokos.consumer import EventConsumer
from lokos.db import Database, asyncpg_dsn, prepare_database
from lokos.events import STREAM, Event, NatsLink, build_envelope, subject
from lokos.outbox import NOTIFY_CHANNEL, OutboxRelay, add_event, add_events_copy
from lokos.principal import Principal
from lokos.profiles.v1 import profiles_pb2
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


@pytest.fixture(autouse=True)
def producer() -> Iterator[None]:
    """These tests write the events of a made-up service "it" (types it.*)."""
    events.set_producer("it")
    yield
    events.set_producer("")


async def admin_nats(platform: Platform) -> nats.NATS:
    user, password = platform.nats_credentials()
    return await nats.connect(platform.nats_url, user=user, password=password)


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
    assert await relay.drain() == 5
    assert await relay.drain() == 0

    async with db.session() as s:
        rows = (await s.execute(text("SELECT request_id, published_at FROM outbox"))).all()
    assert all(r.request_id == "abc123" and r.published_at is not None for r in rows)

    nc = await admin_nats(platform)
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(f"lokos.{state}.>", stream=STREAM)
        msgs = await sub.fetch(5, timeout=5)
        assert [m.headers["Nats-Msg-Id"] for m in msgs] == ids
        envelopes = [events_pb2.EventEnvelope.FromString(m.data) for m in msgs]
        assert [e.event_id for e in envelopes] == ids
        assert all(e.request_id == "abc123" and e.state == state for e in envelopes)
    finally:
        await nc.close()


def _bulk(state: str, names: list[str]) -> Iterator[tuple[str, str, profiles_pb2.ShgCreated]]:
    return (("it.shg.created", state, _payload(n)) for n in names)


async def test_bulk_copied_events_are_published_only_on_commit_and_in_order(
    db: Database, link: NatsLink, platform: Platform
) -> None:
    state = f"it{uuid.uuid4().hex[:8]}"
    names = [f"SHG {i}" for i in range(1, 8)]
    conn = await asyncpg.connect(asyncpg_dsn(db.url))
    listener = await asyncpg.connect(asyncpg_dsn(db.url))
    notified: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener(
        NOTIFY_CHANNEL,
        lambda *args: notified.put_nowait(args[2]),  # the channel
    )
    request = context.current_request_id.set("bulk42")
    actor = context.current_principal.set(Principal(user_id="IT_ADMIN", state=state, realm="it"))
    try:
        with pytest.raises(RuntimeError):  # outside a transaction: refused
            await add_events_copy(conn, _bulk(state, ["no transaction"]))
        rolled_back = conn.transaction()
        await rolled_back.start()
        assert await add_events_copy(conn, _bulk(state, ["gone 1", "gone 2"])) == 2
        await rolled_back.rollback()
        async with conn.transaction():
            assert await add_events_copy(conn, _bulk(state, [])) == 0
            assert await add_events_copy(conn, _bulk(state, names[:4])) == 4
            assert await add_events_copy(conn, _bulk(state, names[4:])) == 3
        # One notification, on commit (none for the rolled-back transaction).
        assert await asyncio.wait_for(notified.get(), 5) == NOTIFY_CHANNEL
        rows = await conn.fetch(
            "SELECT event_id, subject, type, request_id, headers::text AS headers FROM outbox"
            " ORDER BY id"
        )
    finally:
        context.current_principal.reset(actor)
        context.current_request_id.reset(request)
        await listener.close()
        await conn.close()
    assert notified.empty()
    ids = [r["event_id"] for r in rows]
    assert len(ids) == len(set(ids)) == 7
    assert {(r["subject"], r["type"], r["request_id"]) for r in rows} == {
        (f"lokos.{state}.it.shg.created", "it.shg.created", "bulk42")
    }

    relay = OutboxRelay(db, link)
    assert await relay.drain() == 7
    assert await relay.drain() == 0
    js = await link.jetstream()
    info = await js.stream_info(STREAM, subjects_filter=f"lokos.{state}.>")
    assert info.state.subjects == {f"lokos.{state}.it.shg.created": 7}
    nc = await admin_nats(platform)
    try:
        sub = await nc.jetstream().pull_subscribe(f"lokos.{state}.>", stream=STREAM)
        msgs = await sub.fetch(7, timeout=5)
    finally:
        await nc.close()
    assert [m.headers["Nats-Msg-Id"] for m in msgs if m.headers] == ids
    envelopes = [events_pb2.EventEnvelope.FromString(m.data) for m in msgs]
    assert [e.event_id for e in envelopes] == ids
    assert [
        Event(e, m.subject).payload(profiles_pb2.ShgCreated).shg.name
        for e, m in zip(envelopes, msgs, strict=True)
    ] == names
    assert all(
        (e.type, e.state, e.request_id, e.actor.user_id, e.actor.realm)
        == ("it.shg.created", state, "bulk42", "IT_ADMIN", "it")
        and e.occurred_at.seconds > 0
        for e in envelopes
    )


async def test_bulk_copy_takes_the_callers_event_ids(db: Database) -> None:
    state = f"it{uuid.uuid4().hex[:8]}"
    ids = [str(uuid.uuid4()) for _ in range(3)]
    conn = await asyncpg.connect(asyncpg_dsn(db.url))
    try:
        async with conn.transaction():
            assert await add_events_copy(conn, _bulk(state, ["a", "b", "c"]), event_ids=ids) == 3
            rows = await conn.fetch("SELECT event_id, envelope FROM outbox ORDER BY id")
        assert [r["event_id"] for r in rows] == ids
        assert [events_pb2.EventEnvelope.FromString(r["envelope"]).event_id for r in rows] == ids
        # Fewer ids than events, or more: refused (the caller's transaction is to roll back).
        for n in (2, 4):
            wrong = [str(uuid.uuid4()) for _ in range(n)]
            transaction = conn.transaction()
            await transaction.start()
            with pytest.raises(ValueError):
                await add_events_copy(conn, _bulk(state, ["a", "b", "c"]), event_ids=wrong)
            await transaction.rollback()
    finally:
        await conn.close()


async def test_republishing_a_row_is_deduplicated_by_jetstream(
    db: Database, link: NatsLink, platform: Platform
) -> None:
    """A relay that dies after publishing but before marking the row publishes it again."""
    state = f"it{uuid.uuid4().hex[:8]}"
    await _stage(db, state, ["once"])
    relay = OutboxRelay(db, link)
    assert await relay.drain() == 1
    async with db.session() as s:
        await s.execute(text("UPDATE outbox SET published_at = NULL"))
        await s.commit()
    assert await relay.drain() == 1
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
    await relay.drain()
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

    await bus.ensure_durable(js, bus.consumer_config(bus.Durable(f"it-{state}", (">",)), state))
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


async def test_batch_consumer_skips_replays_and_isolates_a_poison_event(
    db: Database, link: NatsLink, platform: Platform
) -> None:
    """In batch mode a fetched batch is one transaction; a replayed event is skipped by the
    inbox, and an event that always fails holds up only itself (the batch is retried one by
    one, the others commit)."""
    state = f"it{uuid.uuid4().hex[:8]}"
    batches: list[list[str]] = []

    async def handler(session: object, events: list[Event]) -> None:
        names = [e.payload(profiles_pb2.ShgCreated).shg.name for e in events]
        batches.append(names)
        if "Poison" in names:
            raise RuntimeError("an event this consumer can never handle")

    consumer = EventConsumer(
        db,
        link,
        durable=f"it-{state}",
        subjects=[f"lokos.{state}.>"],
        batch_handler=handler,  # type: ignore[arg-type]
        service="it",
        state=state,
        batch=50,
    )
    await _stage(db, state, ["Asha", "Bindu", "Poison", "Champa"])
    relay = OutboxRelay(db, link)
    await relay.drain()
    js = await link.jetstream()
    async with db.session() as s:
        row = (
            await s.execute(
                text("SELECT subject, envelope, event_id FROM outbox ORDER BY id LIMIT 1")
            )
        ).one()
    await js.publish(
        row.subject, bytes(row.envelope), headers={"Nats-Msg-Id": "again-" + row.event_id}
    )
    await bus.ensure_durable(js, bus.consumer_config(bus.Durable(f"it-{state}", (">",)), state))
    task = asyncio.create_task(consumer.run())
    try:

        async def three_done() -> None:
            while True:
                async with db.session() as s:
                    n = (await s.execute(text("SELECT count(*) FROM inbox"))).scalar_one()
                if n == 3:
                    return
                await asyncio.sleep(0.1)

        await asyncio.wait_for(three_done(), 30)
        await asyncio.sleep(0.5)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    handled_alone = [b for b in batches if len(b) == 1]
    assert ["Asha"] in handled_alone and ["Champa"] in handled_alone
    assert any(len(b) > 1 for b in batches), batches
    # Each good event committed once (the replayed Asha was found in the inbox), and the
    # poison event is not in it: it stays with the broker for redelivery.
    async with db.session() as s:
        assert (await s.execute(text("SELECT count(*) FROM inbox"))).scalar_one() == 3
    with pytest.raises(ValueError):
        EventConsumer(db, link, durable="x", subjects=[], service="it", state=state)


async def test_relay_keeps_many_batches_in_flight_and_in_order(
    db: Database, link: NatsLink, platform: Platform
) -> None:
    """Batches are read and sent while earlier ones await their acks; the stream keeps the
    outbox's order and every row ends marked published."""
    state = f"it{uuid.uuid4().hex[:8]}"
    names = [f"SHG {i}" for i in range(1000)]
    conn = await asyncpg.connect(asyncpg_dsn(db.url))
    try:
        async with conn.transaction():
            await add_events_copy(conn, _bulk(state, names))
    finally:
        await conn.close()
    relay = OutboxRelay(db, link)
    relay.BATCH, relay.WINDOW = 50, 200  # 4 batches in flight over 20 batches
    assert await relay.drain() == 1000
    async with db.session() as s:
        pending = "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        assert (await s.execute(text(pending))).scalar_one() == 0
    nc = await admin_nats(platform)
    try:
        sub = await nc.jetstream().pull_subscribe(f"lokos.{state}.>", stream=STREAM)
        got: list[str] = []
        while len(got) < 1000:
            for m in await sub.fetch(1000 - len(got), timeout=5):
                envelope = events_pb2.EventEnvelope.FromString(m.data)
                got.append(Event(envelope, m.subject).payload(profiles_pb2.ShgCreated).shg.name)
                await m.ack()
    finally:
        await nc.close()
    assert got == names


async def test_only_one_relay_of_a_database_publishes_at_a_time(
    db: Database, link: NatsLink
) -> None:
    """Replicas of a service share its outbox: the one holding the lead publishes, the other
    waits, so rows never go out interleaved by two publishers."""
    state = f"it{uuid.uuid4().hex[:8]}"
    await _stage(db, state, ["Asha", "Bindu"])
    other = await asyncpg.connect(asyncpg_dsn(db.url))
    try:
        assert await other.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", NOTIFY_CHANNEL)
        relay = OutboxRelay(db, link)
        assert await relay.drain() == 0
        await other.execute("SELECT pg_advisory_unlock(hashtext($1))", NOTIFY_CHANNEL)
        assert await relay.drain() == 2
        await relay.close()
    finally:
        await other.close()


@pytest.mark.parametrize("batch", [False, True])
async def test_consumer_acks_and_drops_an_event_its_producer_does_not_own(
    db: Database, link: NatsLink, batch: bool
) -> None:
    """Defence behind the NATS permissions: an envelope whose producer, type and subject do not
    name one service is acknowledged, counted and never handed to the handler."""
    state = f"it{uuid.uuid4().hex[:8]}"
    seen: list[str] = []
    handled = asyncio.Event()

    async def handle(session: object, event: Event) -> None:
        seen.append(event.payload(profiles_pb2.ShgCreated).shg.name)
        handled.set()

    async def handle_batch(session: object, events: list[Event]) -> None:
        for event in events:
            await handle(session, event)

    consumer = EventConsumer(
        db,
        link,
        durable=f"it-{state}",
        subjects=[f"lokos.{state}.>"],
        handler=None if batch else handle,  # type: ignore[arg-type]
        batch_handler=handle_batch if batch else None,  # type: ignore[arg-type]
        service="it",
        state=state,
    )
    on_subject = subject(state, "it.shg.created")
    published = [
        build_envelope("it.shg.created", state, _payload("Another producer"), producer="other"),
        build_envelope("it.shg.created", state, _payload("No producer"), producer=""),
        build_envelope("other.shg.created", state, _payload("Another's type"), producer="it"),
        build_envelope("it.shg.changed", state, _payload("Another subject"), producer="it"),
        build_envelope("it.shg.created", "br", _payload("Another state"), producer="it"),
        build_envelope("it.shg.created", state, _payload("Asha")),
    ]
    js = await link.jetstream()
    for envelope in published:
        await js.publish(on_subject, envelope.SerializeToString())
    await bus.ensure_durable(js, bus.consumer_config(bus.Durable(f"it-{state}", (">",)), state))
    task = asyncio.create_task(consumer.run())
    try:
        await asyncio.wait_for(handled.wait(), 30)

        async def all_acked() -> None:
            # The dropped events are acknowledged, not left to be redelivered.
            while True:
                info = await js.consumer_info(STREAM, f"it-{state}")
                if (info.num_pending, info.num_ack_pending) == (0, 0):
                    return
                await asyncio.sleep(0.1)

        await asyncio.wait_for(all_acked(), 30)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert seen == ["Asha"]
    assert consumer.rejected == 5
    async with db.session() as s:
        assert (await s.execute(text("SELECT count(*) FROM inbox"))).scalar_one() == 1
