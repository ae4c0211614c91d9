"""Member events replayed into dedup and transactions, through JetStream and the consumer.

Both keep a member event out of their inbox (``inboxed``): her row keeps the version of the
record that wrote it, so the event again, or an older one after a newer, changes nothing.
``profiles.member.submitted`` (dedup checks her and emits the result) and SHG events keep their
inbox row. Here every event is published twice under different message ids (the broker does
not drop the second: the consumers must), with an older version arriving after a newer one,
and the rows, the emitted events and the inbox are the same after the replay as before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from launcher.platform import Platform
from lokos import bus
from lokos.consumer import EventConsumer
from lokos.db import Database, asyncpg_dsn, prepare_database
from lokos.events import STREAM, NatsLink, build_envelope, subject
from lokos.profiles.v1 import profiles_pb2
from services.dedup import consumers as dedup_events
from services.dedup.service import Dedup
from services.profiles import identifiers
from services.transactions import consumers as transactions_events

ROOT = Path(__file__).parents[2]
KEY = b"integration-test-identifier-key"


async def _database(platform: Platform, service: str) -> Database:
    url = platform.database_url(service).rsplit("/", 1)[0] + f"/rp_{uuid.uuid4().hex[:12]}"
    await prepare_database(ROOT / "services" / service / "migrations", url, create=True)
    return Database(url, pool_size=4)


@pytest.fixture
async def dbs(platform: Platform) -> AsyncIterator[tuple[Database, Database]]:
    dedup_db = await _database(platform, "dedup")
    await dedup_db.open_read_pool()
    transactions_db = await _database(platform, "transactions")
    yield dedup_db, transactions_db
    await dedup_db.dispose()
    await transactions_db.dispose()


def _member(
    state: str, member_id: str, shg_id: str, name: str, aadhaar: str, status: str, version: int
) -> profiles_pb2.MemberEvent:
    return profiles_pb2.MemberEvent(
        member=profiles_pb2.MemberView(
            id=member_id,
            shg_id=shg_id,
            state=state,
            district_lgd_code="11",
            block_lgd_code="101",
            panchayat_lgd_code="1001",
            village_lgd_code="10001",
            name=name,
            relative_name="Ram Prasad",
            social_category="SC",
            status=status,
            version=version,
        ),
        aadhaar_hash=identifiers.aadhaar_hash(KEY, aadhaar),
    )


def _events(state: str, a: str, b: str) -> list[tuple[str, Any]]:
    """An SHG, two members sharing an Aadhaar number, the second submitted (a confirmed
    duplicate: dedup emits its check), then her first version arriving late."""
    shg = str(uuid.uuid4())
    number = "234567890124"
    cbo = profiles_pb2.CboView(
        id=shg,
        cbo_type="SHG",
        name="Durga Mahila SHG",
        state=state,
        district_lgd_code="11",
        block_lgd_code="101",
        village_lgd_code="10001",
        status="approved",
        version=1,
    )
    return [
        ("profiles.shg.created", profiles_pb2.CboEvent(cbo=cbo)),
        ("profiles.member.created", _member(state, a, shg, "Sunita Devi", number, "approved", 1)),
        ("profiles.member.created", _member(state, b, shg, "Kamla Bai", number, "new", 1)),
        ("profiles.member.submitted", _member(state, b, shg, "Kamla Bai", number, "pending", 2)),
        ("profiles.member.changed", _member(state, b, shg, "Kamla Bai", number, "new", 1)),
    ]


async def _publish(link: NatsLink, state: str, envelopes: list[Any], again: str = "") -> None:
    js = await link.jetstream()
    for env in envelopes:
        await js.publish(
            subject(state, env.type),
            env.SerializeToString(),
            headers={"Nats-Msg-Id": again + env.event_id},
        )


async def _drained(link: NatsLink, durables: list[str]) -> None:
    js = await link.jetstream()
    while True:
        infos = [await js.consumer_info(STREAM, d) for d in durables]
        if all(i.num_pending == 0 and i.num_ack_pending == 0 for i in infos):
            return
        await asyncio.sleep(0.1)


async def _snapshot(dedup_db: Database, transactions_db: Database) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    queries = {
        "index": (
            dedup_db,
            "SELECT member_id, status, version, dup_status, name_keys FROM member_index"
            " ORDER BY member_id",
        ),
        "keys": (dedup_db, "SELECT * FROM member_name_key ORDER BY 1, 2, 3"),
        "emitted": (dedup_db, "SELECT type, event_id FROM outbox ORDER BY id"),
        "dedup_inbox": (dedup_db, "SELECT event_id FROM inbox ORDER BY 1"),
        "members": (
            transactions_db,
            "SELECT member_id, shg_id, status, version, inactive_since, left_shg FROM member"
            " ORDER BY member_id",
        ),
        "transactions_inbox": (transactions_db, "SELECT event_id FROM inbox ORDER BY 1"),
    }
    for name, (db, sql) in queries.items():
        conn = await asyncpg.connect(asyncpg_dsn(db.url))
        try:
            out[name] = [tuple(r) for r in await conn.fetch(sql)]
        finally:
            await conn.close()
    return out


async def test_replayed_member_events_change_no_row_and_emit_nothing_again(
    dbs: tuple[Database, Database], link: NatsLink
) -> None:
    dedup_db, transactions_db = dbs
    state = f"it{uuid.uuid4().hex[:8]}"
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    envelopes = [build_envelope(t, state, p, producer="profiles") for t, p in _events(state, a, b)]
    js = await link.jetstream()
    durables = [f"it-dedup-{state}", f"it-tx-{state}"]
    for name in durables:
        await bus.ensure_durable(js, bus.consumer_config(bus.Durable(name, (">",)), state))
    common = {"subjects": [subject(state, ">")], "state": state, "batch": 50}
    consumers = [
        EventConsumer(
            dedup_db,
            link,
            durable=durables[0],
            batch_handler=dedup_events.Handlers(Dedup(dedup_db, state)).dispatch,
            service="dedup",
            inboxed=dedup_events.inboxed,
            **common,  # type: ignore[arg-type]
        ),
        EventConsumer(
            transactions_db,
            link,
            durable=durables[1],
            batch_handler=transactions_events.dispatch,
            service="transactions",
            inboxed=transactions_events.inboxed,
            **common,  # type: ignore[arg-type]
        ),
    ]
    tasks = [asyncio.create_task(c.run()) for c in consumers]
    try:
        await _publish(link, state, envelopes)
        await asyncio.wait_for(_drained(link, durables), 30)
        first = await _snapshot(dedup_db, transactions_db)
        # Everything again (a relay's retry past the broker's window, a consumer that died
        # after its commit and before its acks), in the same order: the late first version
        # of the second member comes after her submission once more.
        await _publish(link, state, envelopes, again="again-")
        await asyncio.wait_for(_drained(link, durables), 30)
        second = await _snapshot(dedup_db, transactions_db)
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
    assert second == first
    index = {str(r[0]): r[1:4] for r in first["index"]}
    assert index[a][:2] == ("approved", 1)
    assert index[b] == ("pending", 2, "confirmed")
    assert [r[0] for r in first["emitted"]].count("dedup.duplicate.found") == 1
    members = {str(r[0]): (r[2], r[3]) for r in first["members"]}
    assert members == {a: ("approved", 1), b: ("pending", 2)}
    # The inboxes hold what must happen once, and no member event that only writes her row.
    by_type = {env.event_id: env.type for env in envelopes}
    assert sorted(by_type[r[0]] for r in first["dedup_inbox"]) == [
        "profiles.member.submitted",
        "profiles.shg.created",
    ]
    assert [by_type[r[0]] for r in first["transactions_inbox"]] == ["profiles.shg.created"]
