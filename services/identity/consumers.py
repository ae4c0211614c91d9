"""Events identity consumes: CBOs registered in profiles, kept as identity's own copy."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lokos.events import Event
from lokos.profiles.v1 import profiles_pb2
from services.identity import service
from services.identity.models import Cbo

CONSUMED = ("profiles.shg.created",)


def subjects(state: str) -> list[str]:
    return [f"lokos.{state}.{t}" for t in CONSUMED]


async def dispatch(session: AsyncSession, event: Event) -> None:
    if event.event_type == "profiles.shg.created":
        shg = event.payload(profiles_pb2.ShgCreated).shg
        await service.record_cbo(
            session,
            Cbo(
                cbo_id=shg.id,
                cbo_type="SHG",
                name=shg.name,
                state=shg.state,
                district_lgd_code=shg.district_lgd_code,
                block_lgd_code=shg.block_lgd_code,
                panchayat_lgd_code=shg.panchayat_lgd_code,
                village_lgd_code=shg.village_lgd_code,
            ),
        )
