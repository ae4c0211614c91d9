"""Queries of members."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.profiles.models import Member, MembershipHistory


async def insert_member_once(session: AsyncSession, values: dict[str, Any]) -> tuple[Member, bool]:
    inserted = (
        await session.execute(
            insert(Member)
            .values(id=uuid.uuid4(), version=1, status="new", **values)
            .on_conflict_do_nothing(index_elements=[Member.client_id])
            .returning(Member)
        )
    ).scalar_one_or_none()
    if inserted is not None:
        session.add(MembershipHistory(member_id=inserted.id, shg_id=inserted.shg_id))
        return inserted, True
    existing = (
        await session.execute(select(Member).where(Member.client_id == values["client_id"]))
    ).scalar_one()
    return existing, False


async def get_member(
    session: AsyncSession, member_id: uuid.UUID, *, for_update: bool = False
) -> Member | None:
    q = select(Member).where(Member.id == member_id)
    if for_update:
        q = q.with_for_update()
    return (await session.execute(q)).scalar_one_or_none()


async def members_of(
    session: AsyncSession, shg_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[Member], int]:
    total = (
        await session.execute(select(func.count()).where(Member.shg_id == shg_id))
    ).scalar_one()
    rows = await session.execute(
        select(Member)
        .where(Member.shg_id == shg_id)
        .order_by(Member.name)
        .limit(limit)
        .offset(offset)
    )
    return list(rows.scalars()), int(total)
