"""Queries of the identity database. No rules here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.models import (
    Cbo,
    CboMapping,
    Device,
    DeviceSession,
    EndedSession,
    OtpChallenge,
    RoleGrant,
    User,
    audit_log,
)


async def get_user(session: AsyncSession, user_id: str, *, for_update: bool = False) -> User | None:
    q = select(User).where(User.user_id == user_id)
    if for_update:
        q = q.with_for_update()
    return (await session.execute(q)).scalar_one_or_none()


async def add_user_once(session: AsyncSession, user: User) -> bool:
    """Insert unless the user ID exists; True when inserted."""
    result = await session.execute(
        insert(User)
        .values(
            user_id=user.user_id,
            realm=user.realm,
            state=user.state,
            name=user.name,
            mobile=user.mobile or "",
            email=user.email or "",
            designation=user.designation or "",
            category=user.category or "staff",
            district_lgd_code=user.district_lgd_code or "",
            block_lgd_code=user.block_lgd_code or "",
            status=user.status or "active",
            created_by=user.created_by or "",
            version=1,
            failed_logins=0,
            password_change_required=bool(user.password_change_required),
        )
        .on_conflict_do_nothing()
        .returning(User.user_id)
    )
    return result.first() is not None


async def open_grants(session: AsyncSession, user_id: str) -> list[RoleGrant]:
    q = (
        select(RoleGrant)
        .where(RoleGrant.user_id == user_id, RoleGrant.valid_to.is_(None))
        .order_by(RoleGrant.id)
    )
    return list((await session.execute(q)).scalars())


async def open_grants_of(
    session: AsyncSession, user_ids: Sequence[str]
) -> dict[str, list[RoleGrant]]:
    found: dict[str, list[RoleGrant]] = {u: [] for u in user_ids}
    if not user_ids:
        return found
    q = (
        select(RoleGrant)
        .where(RoleGrant.user_id.in_(user_ids), RoleGrant.valid_to.is_(None))
        .order_by(RoleGrant.id)
    )
    for g in (await session.execute(q)).scalars():
        found[g.user_id].append(g)
    return found


async def grant_history(
    session: AsyncSession, user_id: str, as_of: datetime | None
) -> list[RoleGrant]:
    q = select(RoleGrant).where(RoleGrant.user_id == user_id)
    if as_of is not None:
        q = q.where(
            RoleGrant.valid_from <= as_of,
            or_(RoleGrant.valid_to.is_(None), RoleGrant.valid_to > as_of),
        )
    return list((await session.execute(q.order_by(RoleGrant.id))).scalars())


async def mapping_history(
    session: AsyncSession, user_id: str, as_of: datetime | None
) -> list[CboMapping]:
    q = select(CboMapping).where(CboMapping.user_id == user_id)
    if as_of is not None:
        q = q.where(
            CboMapping.valid_from <= as_of,
            or_(CboMapping.valid_to.is_(None), CboMapping.valid_to > as_of),
        )
    return list((await session.execute(q.order_by(CboMapping.id))).scalars())


async def close_grant(
    session: AsyncSession, grant_id: int, user_id: str, by: str
) -> RoleGrant | None:
    grant = (
        await session.execute(
            select(RoleGrant).where(
                RoleGrant.id == grant_id, RoleGrant.user_id == user_id, RoleGrant.valid_to.is_(None)
            )
        )
    ).scalar_one_or_none()
    if grant is not None:
        grant.valid_to = func.now()
        grant.revoked_by = by
    return grant


async def close_all_grants(session: AsyncSession, user_id: str, by: str) -> None:
    await session.execute(
        update(RoleGrant)
        .where(RoleGrant.user_id == user_id, RoleGrant.valid_to.is_(None))
        .values(valid_to=func.now(), revoked_by=by)
    )


def search_query(
    state: str,
    *,
    district: str,
    block: str,
    category: str,
    role: str,
    q: str,
    status: str,
    reach_districts: frozenset[str] | None,
    reach_blocks: frozenset[str] | None,
    other_realm_roles: frozenset[str] = frozenset(),
) -> Select[tuple[User]]:
    """Users of ``state`` and national users; plus, for a national admin, the users of other
    states whose every open role is one of ``other_realm_roles`` (the State Admins)."""
    home = or_(User.state == state, User.state == "national")
    if other_realm_roles:
        open_grant = and_(RoleGrant.user_id == User.user_id, RoleGrant.valid_to.is_(None))
        home = or_(
            home,
            and_(
                select(RoleGrant.id).where(open_grant).exists(),
                ~select(RoleGrant.id)
                .where(open_grant, RoleGrant.role.not_in(other_realm_roles))
                .exists(),
            ),
        )
    stmt = select(User).where(home)
    if district:
        stmt = stmt.where(User.district_lgd_code == district)
    if block:
        stmt = stmt.where(User.block_lgd_code == block)
    if category:
        stmt = stmt.where(User.category == category)
    # Deleted users are listed only when asked for by status.
    stmt = stmt.where(User.status == status if status else User.status != "deleted")
    if role:
        stmt = stmt.where(
            select(RoleGrant.id)
            .where(
                RoleGrant.user_id == User.user_id,
                RoleGrant.role == role,
                RoleGrant.valid_to.is_(None),
            )
            .exists()
        )
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(
            or_(
                User.user_id.ilike(like),
                User.name.ilike(like),
                User.mobile.like(like),
                User.email.ilike(like),
            )
        )
    if reach_districts is not None or reach_blocks is not None:
        stmt = stmt.where(
            or_(
                User.district_lgd_code.in_(reach_districts or frozenset()),
                User.block_lgd_code.in_(reach_blocks or frozenset()),
            )
        )
    return stmt


async def search_users(
    session: AsyncSession, stmt: Select[tuple[User]], limit: int, offset: int
) -> tuple[list[User], int]:
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    rows = await session.execute(stmt.order_by(User.user_id).limit(limit).offset(offset))
    return list(rows.scalars()), int(total)


# --- devices -----------------------------------------------------------------------------


async def get_device(session: AsyncSession, user_id: str) -> Device | None:
    # Fresh from the database: set_device writes with a Core upsert the ORM does not see.
    return await session.get(Device, user_id, populate_existing=True)


async def set_device(session: AsyncSession, user_id: str, device_id: str, status: str) -> None:
    stmt = insert(Device).values(user_id=user_id, device_id=device_id, status=status)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[Device.user_id],
            set_={"device_id": device_id, "status": status, "bound_at": func.now()},
        )
    )


async def delete_device(session: AsyncSession, user_id: str) -> None:
    device = await session.get(Device, user_id)
    if device is not None:
        await session.delete(device)


async def open_device_sessions(session: AsyncSession, user_id: str, device_id: str) -> list[str]:
    rows = await session.execute(
        select(DeviceSession.session_id).where(
            DeviceSession.user_id == user_id,
            DeviceSession.device_id == device_id,
            DeviceSession.ended_at.is_(None),
        )
    )
    return [r[0] for r in rows]


async def add_device_session(
    session: AsyncSession, session_id: str, user_id: str, device_id: str
) -> None:
    await session.execute(
        insert(DeviceSession)
        .values(session_id=session_id, user_id=user_id, device_id=device_id)
        .on_conflict_do_nothing()
    )


async def device_session_owner(session: AsyncSession, session_id: str) -> str | None:
    row = await session.get(DeviceSession, session_id)
    return row.user_id if row is not None else None


async def end_device_sessions(
    session: AsyncSession, user_id: str, session_id: str | None = None
) -> None:
    stmt = update(DeviceSession).where(
        DeviceSession.user_id == user_id, DeviceSession.ended_at.is_(None)
    )
    if session_id is not None:
        stmt = stmt.where(DeviceSession.session_id == session_id)
    await session.execute(stmt.values(ended_at=func.now()))


async def latest_challenges(
    session: AsyncSession, user_id: str, since: datetime
) -> list[OtpChallenge]:
    rows = await session.execute(
        select(OtpChallenge)
        .where(OtpChallenge.user_id == user_id, OtpChallenge.created_at >= since)
        .order_by(OtpChallenge.created_at.desc())
    )
    return list(rows.scalars())


# --- CBOs --------------------------------------------------------------------------------


async def upsert_cbo(session: AsyncSession, cbo: Cbo) -> None:
    values = {
        "cbo_id": cbo.cbo_id,
        "cbo_type": cbo.cbo_type,
        "name": cbo.name,
        "state": cbo.state,
        "district_lgd_code": cbo.district_lgd_code,
        "block_lgd_code": cbo.block_lgd_code,
        "panchayat_lgd_code": cbo.panchayat_lgd_code or "",
        "village_lgd_code": cbo.village_lgd_code or "",
    }
    stmt = insert(Cbo).values(**values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[Cbo.cbo_id], set_={k: v for k, v in values.items() if k != "cbo_id"}
        )
    )


async def get_cbos(session: AsyncSession, cbo_ids: Sequence[str]) -> dict[str, Cbo]:
    if not cbo_ids:
        return {}
    rows = await session.execute(select(Cbo).where(Cbo.cbo_id.in_(cbo_ids)))
    return {c.cbo_id: c for c in rows.scalars()}


async def open_mappings(session: AsyncSession, user_id: str) -> list[CboMapping]:
    rows = await session.execute(
        select(CboMapping)
        .where(CboMapping.user_id == user_id, CboMapping.valid_to.is_(None))
        .order_by(CboMapping.id)
    )
    return list(rows.scalars())


async def mapped_cbos(session: AsyncSession, user_id: str) -> list[Cbo]:
    rows = await session.execute(
        select(Cbo)
        .join(CboMapping, CboMapping.cbo_id == Cbo.cbo_id)
        .where(CboMapping.user_id == user_id, CboMapping.valid_to.is_(None))
        .order_by(Cbo.cbo_type, Cbo.name)
    )
    return list(rows.scalars())


async def link_cbos(session: AsyncSession, user_id: str, cbos: Sequence[Cbo], by: str) -> list[str]:
    """Open mappings that do not exist yet; return the CBO ids newly linked."""
    if not cbos:
        return []
    rows = await session.execute(
        insert(CboMapping)
        .values(
            [
                {"user_id": user_id, "cbo_id": c.cbo_id, "cbo_type": c.cbo_type, "mapped_by": by}
                for c in cbos
            ]
        )
        .on_conflict_do_nothing(
            index_elements=["user_id", "cbo_id"], index_where=CboMapping.valid_to.is_(None)
        )
        .returning(CboMapping.cbo_id)
    )
    return [r[0] for r in rows]


async def unlink_cbos(
    session: AsyncSession, user_id: str, cbo_ids: Sequence[str], by: str
) -> list[str]:
    rows = await session.execute(
        update(CboMapping)
        .where(
            CboMapping.user_id == user_id,
            CboMapping.cbo_id.in_(cbo_ids),
            CboMapping.valid_to.is_(None),
        )
        .values(valid_to=func.now(), unmapped_by=by)
        .returning(CboMapping.cbo_id)
    )
    return [r[0] for r in rows]


async def unlinked_cbos(
    session: AsyncSession,
    state: str,
    *,
    cbo_type: str,
    block: str,
    panchayat: str,
    village: str,
    reach_blocks: frozenset[str] | None,
    limit: int,
    offset: int,
) -> tuple[list[Cbo], int]:
    mapped = (
        select(CboMapping.id)
        .where(CboMapping.cbo_id == Cbo.cbo_id, CboMapping.valid_to.is_(None))
        .exists()
    )
    stmt = select(Cbo).where(Cbo.state == state, ~mapped)
    conditions = []
    if cbo_type:
        conditions.append(Cbo.cbo_type == cbo_type)
    if block:
        conditions.append(Cbo.block_lgd_code == block)
    if panchayat:
        conditions.append(Cbo.panchayat_lgd_code == panchayat)
    if village:
        conditions.append(Cbo.village_lgd_code == village)
    if reach_blocks is not None:
        conditions.append(Cbo.block_lgd_code.in_(reach_blocks))
    if conditions:
        stmt = stmt.where(and_(*conditions))
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    rows = await session.execute(
        stmt.order_by(Cbo.panchayat_lgd_code, Cbo.village_lgd_code, Cbo.name)
        .limit(limit)
        .offset(offset)
    )
    return list(rows.scalars()), int(total)


# --- audit -------------------------------------------------------------------------------


async def audit_entries(
    session: AsyncSession,
    *,
    user_id: str,
    action: str,
    reach_districts: frozenset[str] | None,
    reach_blocks: frozenset[str] | None,
    state: str,
    limit: int,
    offset: int,
) -> tuple[list[object], int]:
    a = audit_log
    stmt = (
        select(a)
        .join(User, and_(a.c.entity == "user", a.c.entity_id == User.user_id))
        .where(or_(User.state == state, User.state == "national"))
    )
    if user_id:
        stmt = stmt.where(a.c.entity_id == user_id)
    if action:
        stmt = stmt.where(a.c.action == action)
    if reach_districts is not None or reach_blocks is not None:
        stmt = stmt.where(
            or_(
                User.district_lgd_code.in_(reach_districts or frozenset()),
                User.block_lgd_code.in_(reach_blocks or frozenset()),
            )
        )
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    rows = await session.execute(stmt.order_by(a.c.id.desc()).limit(limit).offset(offset))
    return list(rows.all()), int(total)


async def end_session(session: AsyncSession, session_id: str, user_id: str) -> None:
    """Remember that ``session_id`` (token ``sid``) of ``user_id`` ended."""
    await session.execute(
        insert(EndedSession).values(session_id=session_id, user_id=user_id).on_conflict_do_nothing()
    )


async def forget_ended_sessions(session: AsyncSession, before: datetime) -> None:
    """Drop the record of sessions ended before ``before``: their access tokens expired."""
    await session.execute(delete(EndedSession).where(EndedSession.ended_at < before))


async def ended_sessions(session: AsyncSession, user_id: str, since: datetime) -> list[str]:
    """The user's sessions ended after ``since`` (older ones' access tokens expired already)."""
    rows = await session.execute(
        select(EndedSession.session_id).where(
            EndedSession.user_id == user_id, EndedSession.ended_at > since
        )
    )
    return [r[0] for r in rows]
