"""Events the transactions service consumes.

``profiles.<shg|vo|clf>.*``, ``profiles.member.*`` and ``profiles.federation.linked`` keep this
service's own copy of where each CBO sits, its federation parent (approver scope) and who is an
active member since when. What it emits goes through the outbox in the transaction of the change
(``service.py``, ``funds_service.py``, ``grading_service.py``, ``bank_linkage_service.py``):
``transactions.meeting.<closed|approved|rejected>``, ``transactions.cutoff.approved``,
``transactions.loan.<disbursed|repaid>``, ``transactions.fund.*``, ``transactions.grade.computed``
and ``transactions.bank_loan.*``, with the totals reports need so they never read our tables.

Member events are kept out of the consumer's inbox (:func:`inboxed`): her row keeps the version
of the record that wrote it and an event not newer writes the same values again or nothing
(``repository.upsert_members``), so a replay changes nothing without an inbox row each, which a
bulk import's lakhs of member events would otherwise cost. CBO and federation events keep their
inbox row: a federation link moves a CBO's parent without a version of its own, so an old CBO
event replayed after it must not be applied again.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lokos.events import Event
from lokos.profiles.v1 import profiles_pb2
from services.transactions import repository
from services.transactions.service import ACTIVE_MEMBER_STATUSES

log = logging.getLogger(__name__)

CBO_KINDS = ("shg", "vo", "clf")


def subjects(state: str) -> list[str]:
    return [f"lokos.{state}.profiles.{k}.>" for k in (*CBO_KINDS, "member", "federation")]


def inboxed(event: Event) -> bool:
    """Whether the consumer records ``event`` in its inbox: unless it is a member event, whose
    effect is idempotent by her record's version."""
    return not event.event_type.startswith("profiles.member.")


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def dispatch(session: AsyncSession, batch: list[Event]) -> None:
    """One batch in one transaction; within it the latest version of each record wins."""
    cbos: dict[uuid.UUID, tuple[Any, ...]] = {}
    members: dict[uuid.UUID, tuple[Any, ...]] = {}
    links: list[tuple[uuid.UUID, uuid.UUID | None]] = []
    for event in batch:
        kind = event.event_type
        if kind == "profiles.federation.linked":
            link = event.payload(profiles_pb2.FederationLinked).link
            child = _uuid(link.child_id)
            if child is not None:
                links.append((child, _uuid(link.parent_id) if link.parent_id else None))
        elif kind.startswith("profiles.member."):
            m = event.payload(profiles_pb2.MemberEvent).member
            member_id, shg_id = _uuid(m.id), _uuid(m.shg_id)
            if member_id is None or shg_id is None:
                log.warning("member event %s without ids", event.id)
                continue
            active = m.status in ACTIVE_MEMBER_STATUSES
            left = not active and m.HasField("left_on")
            # She is a member through her approved leaving date; without one (an inactive
            # record), from the day the event says so.
            on: dt.date | None = None
            if left:
                on = m.left_on.ToDatetime().date() + dt.timedelta(days=1)
            elif not active:
                on = event.envelope.occurred_at.ToDatetime().date()
            held = members.get(member_id)
            if held is None or held[3] <= m.version:
                members[member_id] = (member_id, shg_id, m.status, m.version, on, left)
        elif kind.split(".")[1] in CBO_KINDS:
            c = event.payload(profiles_pb2.CboEvent).cbo
            cbo_id = _uuid(c.id)
            if cbo_id is None:
                log.warning("CBO event %s without an id", event.id)
                continue
            held_cbo = cbos.get(cbo_id)
            if held_cbo is None or held_cbo[9] <= c.version:
                cbos[cbo_id] = (
                    cbo_id,
                    c.cbo_type or kind.split(".")[1].upper(),
                    c.state,
                    c.district_lgd_code,
                    c.block_lgd_code,
                    c.panchayat_lgd_code,
                    c.village_lgd_code,
                    _uuid(c.parent_id) if c.parent_id else None,
                    c.status,
                    c.version,
                    c.formed_on.ToDatetime().date() if c.HasField("formed_on") else None,
                )
    conn = await repository.raw(session)
    if cbos:
        await repository.upsert_cbos(conn, list(cbos.values()))
    if members:
        await repository.upsert_members(conn, list(members.values()))
    if links:
        # The approver's scope follows the SHG's current VO (and that VO's CLF).
        await repository.link_parents(conn, links)
