"""Each maker-checker transition emits exactly one event carrying the request id — also when
NATS is down while the transitions are written (the outbox holds them)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import nats

from launcher.platform import Platform
from lokos.common.v1 import events_pb2
from lokos.profiles.v1 import profiles_pb2
from tests.conftest import Api
from tests.e2e.profiles.profile_helpers import (
    ALL_IDENTIFIERS_OK,
    h,
    make_block,
    new_shg,
    submit,
)


async def _member_events(
    platform: Platform, member_id: str, expected: int
) -> list[events_pb2.EventEnvelope]:
    user, password = platform.nats_credentials()
    nc = await nats.connect(platform.nats_url, user=user, password=password)
    try:
        js = nc.jetstream()
        sub = await js.subscribe("lokos.up.profiles.member.*", ordered_consumer=True)
        found: list[events_pb2.EventEnvelope] = []
        deadline = asyncio.get_running_loop().time() + 30
        while asyncio.get_running_loop().time() < deadline:
            try:
                msg = await sub.next_msg(timeout=1)
            except nats.errors.TimeoutError:
                if len(found) >= expected:
                    break
                continue
            env = events_pb2.EventEnvelope.FromString(msg.data)
            payload = profiles_pb2.MemberEvent()
            env.payload.Unpack(payload)
            if payload.member.id == member_id:
                found.append(env)
        return found
    finally:
        await nc.close()


def test_each_transition_emits_one_event_with_its_request_id_even_with_nats_down(api: Api) -> None:
    blk = make_block(api)
    shg = new_shg(api.http, blk.admin, blk)
    api.platform.stop_program("nats")
    try:
        created = api.http.post(
            "/v1/members",
            json={
                "client_id": str(uuid.uuid4()),
                "shg_id": shg["id"],
                "name": "Kamla Devi",
                "gender": "F",
                "date_of_birth": "1980-05-05",
                "social_category": "SC",
                "mobile": "9812345678",
            },
            headers=h(blk.admin),
        )
        assert created.status_code == 201, created.text
        member = created.json()
        submitted = submit(api.http, blk.admin, "member", member)
        assert submitted.status_code == 201, submitted.text
        approved = api.http.post(
            f"/v1/submissions/{submitted.json()['id']}/approve",
            json={"identifiers": [ALL_IDENTIFIERS_OK[0]]},
            headers=h(blk.bpm),
        )
        assert approved.status_code == 200, approved.text
    finally:
        api.platform.start_program("nats")
    expected = {
        created.headers["x-request-id"]: "profiles.member.created",
        submitted.headers["x-request-id"]: "profiles.member.submitted",
        approved.headers["x-request-id"]: "profiles.member.approved",
    }
    events = asyncio.run(_member_events(api.platform, str(member["id"]), 3))
    assert Counter(e.request_id for e in events) == Counter({rid: 1 for rid in expected})
    assert {e.request_id: e.type for e in events} == expected
    assert all(e.actor.user_id for e in events)
