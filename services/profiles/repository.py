"""Queries of the profiles database. No rules here: the service decides."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lokos.db import Database
from services.profiles.models import Block, District, Shg


async def get_district(session: AsyncSession, lgd_code: str) -> District | None:
    return await session.get(District, lgd_code)


async def get_block(session: AsyncSession, lgd_code: str) -> Block | None:
    return await session.get(Block, lgd_code)


async def add_district(session: AsyncSession, district: District) -> bool:
    """Insert; False when the code exists already."""
    result = await session.execute(
        insert(District)
        .values(lgd_code=district.lgd_code, state=district.state, name=district.name)
        .on_conflict_do_nothing()
        .returning(District.lgd_code)
    )
    return result.first() is not None


async def add_block(session: AsyncSession, block: Block) -> bool:
    result = await session.execute(
        insert(Block)
        .values(lgd_code=block.lgd_code, district_lgd_code=block.district_lgd_code, name=block.name)
        .on_conflict_do_nothing()
        .returning(Block.lgd_code)
    )
    return result.first() is not None


async def insert_shg_once(
    session: AsyncSession,
    *,
    client_id: uuid.UUID,
    name: str,
    state: str,
    district_lgd_code: str,
    block_lgd_code: str,
    formed_on: date | None,
    created_by: str,
) -> tuple[Shg, bool]:
    """Insert the SHG unless ``client_id`` was seen; return (the SHG, whether it is new)."""
    inserted = (
        await session.execute(
            insert(Shg)
            .values(
                id=uuid.uuid4(),
                client_id=client_id,
                name=name,
                state=state,
                district_lgd_code=district_lgd_code,
                block_lgd_code=block_lgd_code,
                formed_on=formed_on,
                created_by=created_by,
                status="new",
                version=1,
            )
            .on_conflict_do_nothing(index_elements=[Shg.client_id])
            .returning(Shg)
        )
    ).scalar_one_or_none()
    if inserted is not None:
        return inserted, True
    existing = (await session.execute(select(Shg).where(Shg.client_id == client_id))).scalar_one()
    return existing, False


_SHG_COLUMNS = ", ".join(c.name for c in Shg.__table__.columns)


async def find_shg(db: Database, shg_id: uuid.UUID) -> Shg | None:
    """The hot read: one prepared primary-key lookup on the read pool, no ORM session."""
    row = await db.fetchrow(f"SELECT {_SHG_COLUMNS} FROM shg WHERE id = $1", shg_id)
    return None if row is None else Shg(**dict(row))


async def resolve_units(
    session: AsyncSession, refs: list[tuple[str, str]]
) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(level, code) → (state, district, block) for the districts and blocks that exist."""
    districts = {code for level, code in refs if level == "district"}
    blocks = {code for level, code in refs if level == "block"}
    found: dict[tuple[str, str], tuple[str, str, str]] = {}
    if districts:
        rows = await session.execute(
            select(District.lgd_code, District.state).where(District.lgd_code.in_(districts))
        )
        for code, state in rows:
            found[("district", code)] = (state, code, "")
    if blocks:
        rows = await session.execute(
            select(Block.lgd_code, Block.district_lgd_code, District.state)
            .join(District, District.lgd_code == Block.district_lgd_code)
            .where(Block.lgd_code.in_(blocks))
        )
        for code, district, state in rows:
            found[("block", code)] = (state, district, code)
    return found
