"""Queries of the help desk database: tickets and their history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.helpdesk.models import Ticket, TicketEntry


async def ticket_by_client_id(session: AsyncSession, client_id: str) -> Ticket | None:
    q = select(Ticket).where(Ticket.client_id == client_id)
    return (await session.execute(q)).scalar_one_or_none()


async def ticket(
    session: AsyncSession, ticket_id: int, *, for_update: bool = False
) -> Ticket | None:
    q = select(Ticket).where(Ticket.id == ticket_id)
    if for_update:
        q = q.with_for_update()
    return (await session.execute(q)).scalar_one_or_none()


async def add_entry(
    session: AsyncSession, ticket_id: int, actor: str, action: str, text: str
) -> None:
    session.add(TicketEntry(ticket_id=ticket_id, actor=actor, action=action, text=text))


async def history(session: AsyncSession, ticket_id: int) -> Sequence[TicketEntry]:
    q = select(TicketEntry).where(TicketEntry.ticket_id == ticket_id).order_by(TicketEntry.id)
    return (await session.execute(q)).scalars().all()


async def tickets(
    session: AsyncSession,
    *,
    state: str = "",
    status: str = "",
    category: str = "",
    assignee: str = "",
    breached_at: datetime | None = None,
    limit: int = 100,
) -> Sequence[Ticket]:
    """Tickets matching the filters, newest first; ``breached_at``: only those whose SLA
    clock had run out at that time (still open past due, or resolved late)."""
    q = select(Ticket)
    if state:
        q = q.where(Ticket.state == state)
    if status:
        q = q.where(Ticket.status == status)
    if category:
        q = q.where(Ticket.category == category)
    if assignee:
        q = q.where(Ticket.assignee == assignee)
    if breached_at is not None:
        q = q.where(
            or_(
                (Ticket.resolved_at.is_(None)) & (Ticket.due_at < breached_at),
                Ticket.resolved_at > Ticket.due_at,
            )
        )
    return (await session.execute(q.order_by(Ticket.id.desc()).limit(limit))).scalars().all()


async def tickets_citing(session: AsyncSession, trace_id: str, state: str = "") -> list[int]:
    """Ids of the tickets that cite a request (as their request id or a linked trace)."""
    q = select(Ticket.id).where(
        or_(Ticket.request_id == trace_id, Ticket.trace_ids.any(trace_id))  # type: ignore[arg-type]
    )
    if state:
        q = q.where(Ticket.state == state)
    return [int(i) for i in (await session.execute(q.order_by(Ticket.id))).scalars()]


async def report(session: AsyncSession, now: datetime, state: str = "") -> Sequence[Row[Any]]:
    """Tickets by state, category, status and age band, with breaches and time to resolve."""
    age = func.extract("epoch", now - Ticket.created_at) / 86400.0
    band = case(
        (Ticket.status == "resolved", "resolved"),
        (age < 1, "<1d"),
        (age < 3, "1-3d"),
        (age < 7, "3-7d"),
        else_=">7d",
    ).label("age_band")
    breached = case(
        ((Ticket.resolved_at.is_(None)) & (Ticket.due_at < now), 1),
        (Ticket.resolved_at > Ticket.due_at, 1),
        else_=0,
    )
    hours = func.extract("epoch", Ticket.resolved_at - Ticket.created_at) / 3600.0
    q = select(
        Ticket.state,
        Ticket.category,
        Ticket.status,
        band,
        func.count().label("tickets"),
        func.sum(breached).label("breached"),
        func.coalesce(func.avg(hours), 0.0).label("mean_hours"),
    ).group_by(Ticket.state, Ticket.category, Ticket.status, band)
    if state:
        q = q.where(Ticket.state == state)
    q = q.order_by(Ticket.state, Ticket.category, Ticket.status, band)
    return (await session.execute(q)).all()
