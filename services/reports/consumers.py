"""Events reports consumes: every change of the records its reports count, in batches."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lokos.events import Event
from services.reports import ingest

# The durable's filter (lokos/bus.py says the same); ``ingest.CONSUMED`` the types applied.
SUBSCRIBED = (
    *(f"profiles.{k}.>" for k in ("shg", "vo", "clf", "member")),
    "profiles.federation.linked",
    "identity.user.changed",
    "transactions.meeting.>",
    "transactions.cutoff.approved",
)


def subjects(state: str) -> list[str]:
    return [f"lokos.{state}.{event_type}" for event_type in SUBSCRIBED]


async def dispatch(session: AsyncSession, events: list[Event]) -> None:
    await ingest.apply(session, [e for e in events if e.event_type in ingest.CONSUMED])
