"""The reports read models without an inbox row per profiles event: each row keeps the stream
sequence of the event that wrote it, so a redelivered batch, or an older event arriving after
a newer one, changes nothing (services/reports/ingest.py), against real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from launcher.platform import Platform
from lokos.db import Database, prepare_database
from lokos.events import Event, build_envelope, subject
from lokos.profiles.v1 import profiles_pb2
from services.reports import ingest, repository
from services.reports.verify import verify

MIGRATIONS = Path(__file__).parents[2] / "services" / "reports" / "migrations"
STATE = "it"
SHG = "shg-1"


@pytest.fixture
async def db(platform: Platform) -> AsyncIterator[Database]:
    url = platform.database_url("reports").rsplit("/", 1)[0] + f"/it_{uuid.uuid4().hex[:12]}"
    await prepare_database(MIGRATIONS, url, create=True)
    database = Database(url, pool_size=2)
    yield database
    await database.dispose()


def _event(event_type: str, payload: Any, seq: int) -> Event:
    env = build_envelope(event_type, STATE, payload, producer="profiles")
    return Event(env, subject(STATE, event_type), 1, 0, seq)


def shg_created(seq: int) -> Event:
    formed = Timestamp(seconds=1_700_000_000)
    cbo = profiles_pb2.CboView(
        id=SHG,
        cbo_type="SHG",
        state=STATE,
        district_lgd_code="901",
        block_lgd_code="90101",
        name="Durga Mahila SHG",
        status="approved",
        formed_on=formed,
        created_at=formed,
    )
    return _event("profiles.shg.created", profiles_pb2.CboEvent(cbo=cbo), seq)


def member(member_id: str, category: str, seq: int, status: str = "approved") -> Event:
    view = profiles_pb2.MemberView(
        id=member_id, shg_id=SHG, social_category=category, status=status, state=STATE
    )
    return _event("profiles.member.changed", profiles_pb2.MemberEvent(member=view), seq)


async def apply(db: Database, events: list[Event]) -> None:
    async with db.session() as session:
        await ingest.apply(session, events)
        await session.commit()


async def counts(db: Database) -> dict[str, int]:
    async with db.session() as session:
        conn = await repository.raw(session)
        stats = await conn.fetchrow(
            "SELECT members, sc, st, obc, general, other FROM shg_stats WHERE shg_id = $1", SHG
        )
        block = await conn.fetchrow(
            "SELECT sum(members) AS members, sum(sc) AS sc, sum(st) AS st FROM block_rollup"
        )
        district = await conn.fetchrow("SELECT sum(members) AS members FROM district_rollup")
        assert await verify(conn, STATE) == []  # kept by difference == a recount
        assert stats is not None and block is not None and district is not None
        assert block["members"] == stats["members"] == district["members"]
        assert (block["sc"], block["st"]) == (stats["sc"], stats["st"])
        return dict(stats)


async def test_a_redelivered_batch_and_an_older_event_change_nothing(db: Database) -> None:
    first = [
        shg_created(1),
        member("m1", "SC", 2),
        member("m2", "ST", 3),
        member("m3", "OBC", 4),
    ]
    await apply(db, first)
    assert await counts(db) == {"members": 3, "sc": 1, "st": 1, "obc": 1, "general": 0, "other": 0}

    await apply(db, first)  # the batch again (a crash before its acks)
    assert await counts(db) == {"members": 3, "sc": 1, "st": 1, "obc": 1, "general": 0, "other": 0}

    # m1 recategorised, m2 leaves, a new member of no listed category: moved by difference.
    await apply(db, [member("m1", "GEN", 10), member("m2", "ST", 11, "inactive"),
                     member("m4", "", 12)])  # fmt: skip
    after = {"members": 3, "sc": 0, "st": 0, "obc": 1, "general": 1, "other": 1}
    assert await counts(db) == after

    # Older events of m1 and m2 redelivered after the newer ones: left alone.
    await apply(db, [member("m1", "SC", 2), member("m2", "ST", 3)])
    assert await counts(db) == after
    async with db.session() as session:
        conn = await repository.raw(session)
        rows = await conn.fetch("SELECT member_id, social_category, seq FROM member ORDER BY 1")
    assert [tuple(r) for r in rows] == [
        ("m1", "GEN", 10),
        ("m2", "ST", 11),
        ("m3", "OBC", 4),
        ("m4", "", 12),
    ]


async def test_members_before_their_shg_are_counted_once_it_arrives(db: Database) -> None:
    await apply(db, [member("m1", "SC", 1), member("m2", "SC", 2)])
    # In one batch with a member who joins later: the new SHG is recounted from its members.
    await apply(db, [shg_created(3), member("m3", "ST", 4)])
    assert await counts(db) == {"members": 3, "sc": 2, "st": 1, "obc": 0, "general": 0, "other": 0}
    await apply(db, [member("m4", "OBC", 5)])
    assert await counts(db) == {"members": 4, "sc": 2, "st": 1, "obc": 1, "general": 0, "other": 0}
