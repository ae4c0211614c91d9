"""Events the help desk emits (through its outbox): ``helpdesk.ticket.<action>``."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lokos.helpdesk.v1 import helpdesk_pb2
from lokos.outbox import add_event
from services.helpdesk import convert
from services.helpdesk.models import Ticket, outbox


async def ticket_changed(
    session: AsyncSession, state: str, ticket: Ticket, action: str, actor: str
) -> None:
    await add_event(
        session,
        outbox,
        f"helpdesk.ticket.{action}",
        state,
        helpdesk_pb2.TicketEvent(ticket=convert.ticket(ticket), action=action, actor=actor),
    )
