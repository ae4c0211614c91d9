"""The event bus has owners: nobody connects anonymously, a service publishes only its own
subjects and reads only its own durables, a consumer drops an event whose type is not its
producer's, and member events carry no mobile number or voter ID in clear."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.js.errors import NotFoundError

from launcher.platform import Platform
from lokos import bus
from lokos.common.v1 import events_pb2
from lokos.db import asyncpg_dsn
from lokos.events import STREAM, build_envelope, subject
from lokos.profiles.v1 import profiles_pb2
from tests.conftest import Api
from tests.e2e.profiles.profile_helpers import add_member, h, make_block, new_shg


class Violations:
    """The errors NATS sends a connection (permission violations arrive asynchronously)."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._more = asyncio.Event()

    async def record(self, error: Exception) -> None:
        self.seen.append(str(error).lower())
        self._more.set()

    async def wait_for(self, text: str, timeout: float = 10) -> None:
        async with asyncio.timeout(timeout):
            while not any(text.lower() in s for s in self.seen):
                self._more.clear()
                await self._more.wait()


async def _connect(platform: Platform, user: str, errors: Violations | None = None) -> NatsClient:
    name, password = platform.nats_credentials(user)
    return await nats.connect(
        platform.nats_url,
        user=name,
        password=password,
        inbox_prefix=bus.inbox_prefix(name),
        error_cb=(errors or Violations()).record,
        allow_reconnect=False,
    )


async def _until(check: Callable[[], Awaitable[bool]], timeout: float = 30) -> None:
    async def loop() -> None:
        while True:
            if await check():
                return
            await asyncio.sleep(0.2)

    await asyncio.wait_for(loop(), timeout)


def _cbo_event(
    event_type: str, producer: str, cbo: profiles_pb2.CboView
) -> events_pb2.EventEnvelope:
    return build_envelope(event_type, "up", profiles_pb2.CboEvent(cbo=cbo), producer=producer)


async def _after_the_reports_consumer_caught_up(api: Api) -> None:
    """A real SHG in a block of its own: once the dashboard counts it, every event published
    before it has been through the reports consumer (which takes them in order)."""
    control = await asyncio.to_thread(api.new_block)
    assert (await asyncio.to_thread(api.create_shg, control)).status_code == 201

    async def counted() -> bool:
        return await asyncio.to_thread(api.dashboard_count, control) == 1

    await _until(counted)


# --- who may connect --------------------------------------------------------------------------


@pytest.mark.parametrize("password", [None, "not-the-password"])
async def test_a_connection_without_valid_credentials_is_refused(
    platform: Platform, password: str | None
) -> None:
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(
            platform.nats_url,
            user="reports" if password else None,
            password=password,
            allow_reconnect=False,
            connect_timeout=2,
            error_cb=Violations().record,
        )


# --- what a service's credentials may do -----------------------------------------------------


async def test_a_service_cannot_publish_another_services_subject(api: Api) -> None:
    platform = api.platform
    block = api.new_block()
    errors = Violations()
    nc = await _connect(platform, "reports", errors)
    try:
        cbo = profiles_pb2.CboView(
            id=str(uuid.uuid4()), cbo_type="SHG", name="Forged", state="up", block_lgd_code=block
        )
        forged = _cbo_event("profiles.shg.created", "profiles", cbo)
        await nc.publish(subject("up", "profiles.shg.created"), forged.SerializeToString())
        await nc.flush()
        await errors.wait_for(
            'permissions violation for publish to "lokos.up.profiles.shg.created"'
        )
        with pytest.raises(nats.errors.TimeoutError):
            await nc.jetstream().publish(
                subject("up", "profiles.shg.created"), forged.SerializeToString(), timeout=2
            )
    finally:
        await nc.close()
    await _after_the_reports_consumer_caught_up(api)
    assert await asyncio.to_thread(api.dashboard_count, block) == 0


async def test_a_service_reads_only_what_it_consumes(platform: Platform) -> None:
    errors = Violations()
    nc = await _connect(platform, "reports", errors)
    try:
        for pattern in ("lokos.up.identity.>", "lokos.>", "_INBOX.>", "_INBOX_identity.>"):
            await nc.subscribe(pattern)
            await nc.flush()
            await errors.wait_for(f'permissions violation for subscription to "{pattern}"')
        js = nc.jetstream()
        # It cannot make itself a consumer of other subjects, nor use another service's.
        with pytest.raises(nats.errors.TimeoutError):
            await js.add_consumer(
                STREAM, durable_name="reports-sniff", filter_subject="lokos.>", timeout=2
            )
        with pytest.raises(nats.errors.TimeoutError):
            await js.consumer_info(STREAM, "identity-cbos", timeout=2)
        stolen = await js.pull_subscribe_bind("dedup-index", stream=STREAM)
        with pytest.raises(nats.errors.TimeoutError):
            await stolen.fetch(1, timeout=2)
        await errors.wait_for("consumer.msg.next.lokos.dedup-index")
        # Its own durable, filtered by the bus owner, it may read.
        info = await js.consumer_info(STREAM, "reports-feed")
        assert bus.filters(info.config) == set(bus.durable("reports-feed").subjects("up"))
    finally:
        await nc.close()
    # Nor may it create or change the stream or its own durable's filter.
    admin = await _connect(platform, bus.ADMIN)
    try:
        with pytest.raises(NotFoundError):
            await admin.jetstream().consumer_info(STREAM, "reports-sniff")
    finally:
        await admin.close()


# --- a consumer applies only events of their type's owner ------------------------------------


async def test_a_forged_event_of_another_producer_is_dropped_by_the_dashboard(api: Api) -> None:
    """With the profiles user's credentials (the right ones for the subject), an envelope that
    says another service produced it, or names no producer, is not applied."""
    block = api.new_block()
    nc = await _connect(api.platform, "profiles")
    try:
        js = nc.jetstream()
        for producer in ("reports", ""):
            cbo = profiles_pb2.CboView(
                id=str(uuid.uuid4()), cbo_type="SHG", name="Forged", state="up"
            )
            cbo.block_lgd_code = block
            forged = _cbo_event("profiles.shg.created", producer, cbo)
            await js.publish(subject("up", "profiles.shg.created"), forged.SerializeToString())
    finally:
        await nc.close()
    await _after_the_reports_consumer_caught_up(api)
    assert await asyncio.to_thread(api.dashboard_count, block) == 0
    assert "producer 'reports' published on 'profiles'" in api.platform.log_tail("reports", 400)


async def test_a_forged_change_does_not_move_an_shg_in_identitys_copy(api: Api) -> None:
    first, second = (
        await asyncio.to_thread(make_block, api),
        await asyncio.to_thread(make_block, api),
    )
    shg = await asyncio.to_thread(new_shg, api.http, first.admin, first)
    conn = await asyncpg.connect(asyncpg_dsn(api.platform.database_url("identity")))
    try:

        async def block_of(cbo_id: str) -> str | None:
            row = await conn.fetchrow("SELECT block_lgd_code FROM cbo WHERE cbo_id = $1", cbo_id)
            return None if row is None else str(row["block_lgd_code"])

        async def known() -> bool:
            return await block_of(str(shg["id"])) == first.block

        await _until(known)
        moved = profiles_pb2.CboView(
            id=str(shg["id"]),
            cbo_type="SHG",
            name=str(shg["name"]),
            state="up",
            district_lgd_code=second.district,
            block_lgd_code=second.block,
        )
        nc = await _connect(api.platform, "profiles")
        try:
            js = nc.jetstream()
            changed = subject("up", "profiles.shg.changed")
            # Claims to come from dedup; and a VO's type on an SHG subject.
            for forged in (
                _cbo_event("profiles.shg.changed", "dedup", moved),
                _cbo_event("profiles.vo.changed", "profiles", moved),
            ):
                await js.publish(changed, forged.SerializeToString())
        finally:
            await nc.close()
        # A real SHG after the forged events: once identity has it, they have been consumed.
        later = await asyncio.to_thread(new_shg, api.http, first.admin, first, "Later SHG")

        async def later_known() -> bool:
            return await block_of(str(later["id"])) == first.block

        await _until(later_known)
        assert await block_of(str(shg["id"])) == first.block
    finally:
        await conn.close()
    # And so block 2's admin still cannot see it.
    r = api.http.get(f"/v1/cbos/{shg['id']}", headers=h(second.admin))
    assert r.status_code == 404, r.text


# --- what the bus carries ---------------------------------------------------------------------


async def test_member_events_carry_no_mobile_or_voter_id_in_clear(api: Api) -> None:
    blk = await asyncio.to_thread(make_block, api)
    shg = await asyncio.to_thread(new_shg, api.http, blk.admin, blk)
    mobile = f"9{random.randrange(10**9):09d}"
    voter_id = f"LKS{random.randrange(10**7):07d}"
    member = await asyncio.to_thread(
        add_member, api.http, blk.admin, str(shg["id"]), 1, mobile=mobile, voter_id=voter_id
    )
    nc = await _connect(api.platform, bus.ADMIN)
    try:
        sub = await nc.jetstream().subscribe(
            subject("up", "profiles.member.created"), ordered_consumer=True
        )
        while True:
            msg = await sub.next_msg(timeout=30)
            envelope = events_pb2.EventEnvelope.FromString(msg.data)
            payload = profiles_pb2.MemberEvent()
            assert envelope.payload.Unpack(payload)
            if payload.member.id == member["id"]:
                break
    finally:
        await nc.close()
    assert mobile.encode() not in msg.data and voter_id.encode() not in msg.data
    assert payload.member.mobile == "XXXXXX" + mobile[-4:]
    assert payload.member.voter_id == "XXXXXX" + voter_id[-4:]
    assert payload.mobile_hash and payload.voter_id_hash
    assert envelope.producer == "profiles"
