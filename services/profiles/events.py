"""Events profiles emits (through its outbox)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lokos.outbox import add_event
from lokos.profiles.v1 import profiles_pb2
from services.profiles.mapping import shg_to_proto
from services.profiles.models import Shg, outbox

SHG_CREATED = "profiles.shg.created"


async def shg_created(session: AsyncSession, shg: Shg) -> None:
    await add_event(
        session, outbox, SHG_CREATED, shg.state, profiles_pb2.ShgCreated(shg=shg_to_proto(shg))
    )
