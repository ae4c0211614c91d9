"""Queries of the identity database."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.models import RoleGrant, User


async def get_user(session: AsyncSession, user_id: str) -> User | None:
    return await session.get(User, user_id)


async def open_grants(session: AsyncSession, user_id: str) -> list[RoleGrant]:
    q = (
        select(RoleGrant)
        .where(RoleGrant.user_id == user_id, RoleGrant.valid_to.is_(None))
        .order_by(RoleGrant.id)
    )
    return list((await session.execute(q)).scalars())


async def add_user_once(session: AsyncSession, user: User) -> bool:
    result = await session.execute(
        insert(User)
        .values(
            user_id=user.user_id,
            realm=user.realm,
            state=user.state,
            name=user.name,
            status=user.status,
        )
        .on_conflict_do_nothing()
        .returning(User.user_id)
    )
    return result.first() is not None


def add_grant(session: AsyncSession, grant: RoleGrant) -> None:
    session.add(grant)
