"""Federation: an SHG belongs to one VO and a VO to one CLF at a time; moves keep history."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lokos.audit import record_audit
from lokos.errors import Conflict, NotFound, ValidationFailed
from lokos.principal import Principal
from lokos.profiles.v1 import profiles_pb2
from lokos.values import parse_uuid, timestamp
from services.profiles import access, events
from services.profiles.cbo import repository as cbo_repository
from services.profiles.models import FederationLink, audit_log

PARENT_TYPE = {"SHG": "VO", "VO": "CLF"}


def _view(link: FederationLink) -> profiles_pb2.FederationView:
    return profiles_pb2.FederationView(
        child_id=str(link.child_id),
        parent_id=str(link.parent_id),
        valid_from=timestamp(link.valid_from),
        valid_to=timestamp(link.valid_to),
        linked_by=link.linked_by,
    )


async def link(
    session: AsyncSession, principal: Principal, child_id: str, parent_id: str
) -> profiles_pb2.FederationView:
    child = await cbo_repository.get_cbo(session, parse_uuid(child_id, "child_id"), for_update=True)
    parent = await cbo_repository.get_cbo(session, parse_uuid(parent_id, "parent_id"))
    if child is None:
        raise NotFound(f"CBO {child_id} not found")
    if parent is None:
        raise ValidationFailed.one("parent_id", "no such CBO", "unknown")
    if PARENT_TYPE.get(child.cbo_type) != parent.cbo_type:
        raise ValidationFailed.one(
            "parent_id",
            f"a {child.cbo_type} federates into a {PARENT_TYPE.get(child.cbo_type, 'nothing')}",
            "type",
        )
    if parent.status != "approved":
        raise Conflict("the parent must be approved first", code="parent_not_approved")
    for cbo in (child, parent):
        access.require_maker(principal, access.where(cbo), f"{cbo.cbo_type} {cbo.id}")
    current = (
        await session.execute(
            select(FederationLink).where(
                FederationLink.child_id == child.id, FederationLink.valid_to.is_(None)
            )
        )
    ).scalar_one_or_none()
    if current is not None and current.parent_id == parent.id:
        return _view(current)
    previous = str(current.parent_id) if current else ""
    if current is not None:
        await session.execute(
            update(FederationLink)
            .where(FederationLink.id == current.id)
            .values(valid_to=func.now())
        )
    new = FederationLink(child_id=child.id, parent_id=parent.id, linked_by=principal.user_id)
    session.add(new)
    await session.flush()
    await session.refresh(new)
    view = _view(new)
    await record_audit(
        session,
        audit_log,
        action="federation.linked",
        entity=child.cbo_type.lower(),
        entity_id=str(child.id),
        before={"parent_id": previous} if previous else None,
        after={"parent_id": str(parent.id)},
    )
    await events.federation_linked(session, child.state, view, previous)
    await session.commit()
    return view


async def history(
    session: AsyncSession, principal: Principal, cbo_id: str
) -> list[profiles_pb2.FederationView]:
    cbo = await cbo_repository.get_cbo(session, parse_uuid(cbo_id, "id"))
    if cbo is None:
        raise NotFound(f"CBO {cbo_id} not found")
    access.require_reader(principal, access.where(cbo), f"CBO {cbo_id}")
    rows = await session.execute(
        select(FederationLink)
        .where(FederationLink.child_id == cbo.id)
        .order_by(FederationLink.valid_from)
    )
    return [_view(link) for link in rows.scalars()]
