"""Queries of the reports read models."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.models import ShgCount


async def add_shgs(session: AsyncSession, state: str, district: str, block: str, n: int) -> None:
    stmt = insert(ShgCount).values(
        state=state, district_lgd_code=district, block_lgd_code=block, shgs_formed=n
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[ShgCount.state, ShgCount.district_lgd_code, ShgCount.block_lgd_code],
            set_={"shgs_formed": ShgCount.shgs_formed + stmt.excluded.shgs_formed},
        )
    )


@dataclass(frozen=True)
class Reach:
    """Units a caller is confined to: rows in any of these districts or blocks."""

    districts: frozenset[str]
    blocks: frozenset[str]


async def count_shgs(
    session: AsyncSession, state: str, *, district: str = "", block: str = "", reach: Reach | None
) -> int:
    """SHGs formed in ``state``, narrowed by the filter and by the caller's reach."""
    q = select(func.coalesce(func.sum(ShgCount.shgs_formed), 0)).where(ShgCount.state == state)
    if district:
        q = q.where(ShgCount.district_lgd_code == district)
    if block:
        q = q.where(ShgCount.block_lgd_code == block)
    if reach is not None:
        q = q.where(
            or_(
                ShgCount.district_lgd_code.in_(reach.districts),
                ShgCount.block_lgd_code.in_(reach.blocks),
            )
        )
    return int((await session.execute(q)).scalar_one())


async def district_of_block(session: AsyncSession, state: str, block: str) -> str:
    """The district a block's SHGs were counted under; empty when it has none yet."""
    q = (
        select(ShgCount.district_lgd_code)
        .where(ShgCount.state == state, ShgCount.block_lgd_code == block)
        .limit(1)
    )
    return (await session.execute(q)).scalar_one_or_none() or ""
