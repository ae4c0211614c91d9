"""Events reports consumes, and the handler of each."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lokos.events import Event
from services.reports import service

HANDLERS = {
    "profiles.shg.created": service.on_shg_created,
}


def subjects(state: str) -> list[str]:
    return [f"lokos.{state}.{event_type}" for event_type in HANDLERS]


async def dispatch(session: AsyncSession, event: Event) -> None:
    handler = HANDLERS.get(event.event_type)
    if handler is not None:
        await handler(session, event)
