"""Events identity consumes: CBOs registered in profiles, kept as identity's own copy."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lokos.events import Event, subject
from lokos.profiles.v1 import profiles_pb2
from services.identity import service
from services.identity.models import Cbo

CONSUMED = tuple(
    f"profiles.{kind}.{what}" for kind in ("shg", "vo", "clf") for what in ("created", "changed")
)


def subjects(state: str) -> list[str]:
    return [subject(state, t) for t in CONSUMED]


async def dispatch(session: AsyncSession, event: Event) -> None:
    if event.event_type in CONSUMED:
        cbo = event.payload(profiles_pb2.CboEvent).cbo
        await service.record_cbo(
            session,
            Cbo(
                cbo_id=cbo.id,
                cbo_type=cbo.cbo_type,
                name=cbo.name,
                state=cbo.state,
                district_lgd_code=cbo.district_lgd_code,
                block_lgd_code=cbo.block_lgd_code,
                panchayat_lgd_code=cbo.panchayat_lgd_code,
                village_lgd_code=cbo.village_lgd_code,
            ),
        )
