"""Events profiles emits (through its outbox)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lokos.outbox import add_event
from lokos.profiles.v1 import profiles_pb2
from services.profiles.mapping import block_to_proto, district_to_proto, shg_to_proto
from services.profiles.models import Block, District, Shg, outbox

SHG_CREATED = "profiles.shg.created"
DISTRICT_CREATED = "profiles.district.created"
BLOCK_CREATED = "profiles.block.created"


async def district_created(session: AsyncSession, district: District) -> None:
    payload = profiles_pb2.DistrictCreated(district=district_to_proto(district))
    await add_event(session, outbox, DISTRICT_CREATED, district.state, payload)


async def block_created(session: AsyncSession, block: Block, state: str) -> None:
    payload = profiles_pb2.BlockCreated(block=block_to_proto(block, state))
    await add_event(session, outbox, BLOCK_CREATED, state, payload)


async def shg_created(session: AsyncSession, shg: Shg) -> None:
    await add_event(
        session, outbox, SHG_CREATED, shg.state, profiles_pb2.ShgCreated(shg=shg_to_proto(shg))
    )
