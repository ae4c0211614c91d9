"""Queries of submissions and the checker's task list."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from services.profiles.models import Cbo, Member, Submission


async def get_submission(
    session: AsyncSession, submission_id: uuid.UUID, *, for_update: bool = False
) -> Submission | None:
    q = select(Submission).where(Submission.id == submission_id)
    if for_update:
        q = q.with_for_update()
    return (await session.execute(q)).scalar_one_or_none()


@dataclass(frozen=True)
class Task:
    submission_id: uuid.UUID
    entity_type: str
    entity_id: uuid.UUID
    name: str
    code: str
    maker: str
    submitted_at: datetime
    block: str
    panchayat: str
    village: str


def _pending(entity_types: list[str], blocks: frozenset[str] | None) -> ColumnElement[bool]:
    cond: list[ColumnElement[bool]] = [Submission.status == "pending"]
    if blocks is not None:
        cond.append(Submission.block_lgd_code.in_(blocks))
    if entity_types:
        cond.append(Submission.entity_type.in_(entity_types))
    return and_(*cond)


async def tasks(
    session: AsyncSession,
    *,
    state: str,
    blocks: frozenset[str] | None,
    entity_types: list[str],
    block: str,
    panchayat: str,
    village: str,
    code: str,
    name: str,
    limit: int,
    offset: int,
) -> tuple[list[Task], int, dict[str, int]]:
    """Pending submissions the checker reaches, oldest first, with counts per type."""
    base = _pending(entity_types, blocks)
    if block:
        base = and_(base, Submission.block_lgd_code == block)
    cbo_part = (
        select(
            Submission.id.label("sid"),
            Submission.entity_type,
            Submission.entity_id,
            Cbo.name,
            func.coalesce(Cbo.code, "").label("code"),
            Submission.maker,
            Submission.submitted_at,
            Cbo.block_lgd_code.label("block"),
            Cbo.panchayat_lgd_code.label("panchayat"),
            Cbo.village_lgd_code.label("village"),
        )
        .join(Cbo, Cbo.id == Submission.entity_id)
        .where(base, Submission.entity_type != "member", Cbo.state == state)
    )
    member_part = (
        select(
            Submission.id.label("sid"),
            Submission.entity_type,
            Submission.entity_id,
            Member.name,
            func.coalesce(Member.code, "").label("code"),
            Submission.maker,
            Submission.submitted_at,
            Member.block_lgd_code.label("block"),
            Member.panchayat_lgd_code.label("panchayat"),
            Member.village_lgd_code.label("village"),
        )
        .join(Member, Member.id == Submission.entity_id)
        .where(base, Submission.entity_type == "member", Member.state == state)
    )
    filters = []
    u = union_all(cbo_part, member_part).subquery()
    if panchayat:
        filters.append(u.c.panchayat == panchayat)
    if village:
        filters.append(u.c.village == village)
    if code:
        filters.append(u.c.code == code)
    if name:
        filters.append(u.c.name.ilike(f"%{name.replace('%', '').replace('_', '')}%"))
    where = and_(literal(True), *filters)
    rows = await session.execute(
        select(u).where(where).order_by(u.c.submitted_at, u.c.sid).limit(limit).offset(offset)
    )
    items = [
        Task(
            r.sid,
            r.entity_type,
            r.entity_id,
            r.name,
            r.code,
            r.maker,
            r.submitted_at,
            r.block,
            r.panchayat,
            r.village,
        )
        for r in rows
    ]
    counts_rows = await session.execute(
        select(u.c.entity_type, func.count()).where(where).group_by(u.c.entity_type)
    )
    counts = {t: int(n) for t, n in counts_rows}
    return items, sum(counts.values()), counts
