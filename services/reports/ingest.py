"""What each consumed event changes in the read models, a batch at a time.

Profiles and identity events carry the whole record after the change, so within a batch the
last event of each record wins and the rows are upserted together. Transactions events are
applied in stream order, one after the other: a rejected meeting removes the loan positions
recorded at it, and the same meeting number entered again brings its own. Afterwards the SHGs
the batch touched get their ``shg_stats`` recomputed (an SHG whose only change is in its
members has its counts moved by the difference instead) and the blocks they lie in their
``block_rollup`` (:mod:`services.reports.repository`), in the batch's transaction.

A replay changes nothing. Profiles and identity events are kept out of the consumer's inbox
(:func:`inboxed`): a row they write keeps the stream sequence of its event and an event not
newer leaves it alone, and the counts move by what the rows written changed, so a redelivered
member event moves nothing. That spares a bulk import's lakhs of member events an inbox row
each. Transactions events add up (a rejection counts once) and keep their inbox row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from lokos.events import Event
from lokos.identity.v1 import identity_pb2
from lokos.profiles.v1 import profiles_pb2
from lokos.transactions.v1 import transactions_pb2 as tpb
from services.reports import repository

CBO_KINDS = ("shg", "vo", "clf")
CBO_CHANGES = ("created", "changed", "submitted", "approved", "rejected")
# A set: every event of a batch is looked up in it.
CONSUMED = frozenset(
    (
        *(f"profiles.{k}.{w}" for k in CBO_KINDS for w in CBO_CHANGES),
        *(f"profiles.member.{w}" for w in CBO_CHANGES),
        "profiles.federation.linked",
        "identity.user.changed",
        "transactions.meeting.closed",
        "transactions.meeting.approved",
        "transactions.meeting.rejected",
        "transactions.cutoff.approved",
    )
)


def inboxed(event: Event) -> bool:
    """Whether the consumer records ``event`` in its inbox: unless its effect is idempotent by
    its stream sequence (a snapshot event whose sequence is known)."""
    return event.seq == 0 or not event.event_type.startswith(("profiles.", "identity."))


def occurred(event: Event) -> datetime:
    when = event.envelope.occurred_at
    if when.seconds == 0 and when.nanos == 0:
        return datetime.now(UTC)
    return when.ToDatetime(tzinfo=UTC)


def _date(ts: object, fallback: date) -> date:
    seconds = getattr(ts, "seconds", 0)
    if not seconds:
        return fallback
    return datetime.fromtimestamp(seconds, UTC).date()


@dataclass
class Batch:
    """The row changes of one batch of events, before they are written."""

    cbos: dict[str, tuple[object, ...]] = field(default_factory=dict)
    members: dict[str, tuple[object, ...]] = field(default_factory=dict)
    links: dict[str, tuple[str, int]] = field(default_factory=dict)
    users: dict[str, tuple[object, ...]] = field(default_factory=dict)
    user_cbos: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    logins: dict[str, datetime] = field(default_factory=dict)
    books: list[Event] = field(default_factory=list)
    # Per source service: the last event of the batch.
    last: dict[str, Event] = field(default_factory=dict)


def sort(events: Sequence[Event]) -> Batch:
    batch = Batch()
    for e in events:
        kind = e.event_type
        source = kind.split(".", 1)[0]
        batch.last[source] = e
        if kind == "profiles.federation.linked":
            link = e.payload(profiles_pb2.FederationLinked).link
            batch.links[link.child_id] = (link.parent_id, e.seq)
        elif kind.startswith("profiles.member."):
            m = e.payload(profiles_pb2.MemberEvent).member
            batch.members[m.id] = (m.id, m.shg_id, m.social_category.upper(), m.status, e.seq)
        elif kind.startswith("profiles."):
            c = e.payload(profiles_pb2.CboEvent).cbo
            created = _date(c.created_at, occurred(e).date())
            batch.cbos[c.id] = (
                c.id,
                c.cbo_type.upper(),
                c.state,
                c.district_lgd_code,
                c.block_lgd_code,
                c.code,
                c.name,
                c.status,
                c.migrated,
                bool(c.bank_account),
                _date(c.formed_on, created),
                c.parent_id,
                e.seq,
            )
            # A later event of the CBO carries its open link: an earlier link event is moot.
            batch.links.pop(c.id, None)
        elif kind == "identity.user.changed":
            u = e.payload(identity_pb2.UserChanged)
            if u.what == "login":
                batch.logins[u.user_id] = occurred(e)
            if not u.HasField("user"):
                continue  # an event of the first contract, without the snapshot
            v = u.user
            roles = [g.role for g in v.roles]
            districts = sorted(
                {c for g in v.roles if g.scope.level == "district" for c in g.scope.codes}
            )
            blocks = sorted({c for g in v.roles if g.scope.level == "block" for c in g.scope.codes})
            batch.users[u.user_id] = (
                u.user_id,
                v.state,
                v.category,
                v.status,
                v.district_lgd_code,
                v.block_lgd_code,
                roles,
                districts,
                blocks,
                e.seq,
            )
            batch.user_cbos[u.user_id] = [(c.cbo_id, c.cbo_type.upper()) for c in u.cbos]
        elif source == "transactions":
            batch.books.append(e)
    return batch


async def apply(session: AsyncSession, events: Sequence[Event]) -> None:
    """Apply ``events`` (in stream order) to the read models."""
    batch = sort(events)
    conn = await repository.raw(session)
    touched: set[str] = set()
    if batch.cbos:
        rows = list(batch.cbos.values())
        await repository.upsert_cbos(conn, rows)
        touched |= {str(r[0]) for r in rows}
    if batch.links:
        await repository.link_federation(conn, batch.links)
        touched |= set(batch.links)
    if batch.members:
        # The SHGs among them recounted anyway get the difference too: the recount's
        # rollup difference is taken from their stats as moved, so nothing counts twice.
        touched |= await repository.apply_members(conn, list(batch.members.values()))
    if batch.users:
        await repository.upsert_users(conn, list(batch.users.values()), batch.user_cbos)
    if batch.logins:
        await repository.record_logins(conn, batch.logins)
    for e in batch.books:
        touched |= await _apply_books(conn, e)
    if touched:
        await repository.refresh_shgs(conn, touched)
    for source, e in batch.last.items():
        await repository.record_applied(conn, source, e.id, occurred(e), e.pending)


async def _apply_books(conn: asyncpg.Connection, e: Event) -> set[str]:
    """One transactions event; the CBOs whose SHG numbers it changes."""
    kind = e.event_type
    when = occurred(e)
    if kind.startswith("transactions.meeting."):
        m = e.payload(tpb.MeetingEvent)
        decided = kind != "transactions.meeting.closed"
        await repository.upsert_meeting(
            conn,
            (
                m.cbo_id,
                m.number,
                m.cbo_type.upper(),
                m.district_lgd_code,
                m.block_lgd_code,
                date.fromisoformat(m.date),
                m.status,
                m.totals.compulsory,
                m.totals.voluntary,
                m.totals.loans_outstanding,
                m.maker,
                m.checker,
                when,
            ),
            decided=decided,
        )
        if kind == "transactions.meeting.closed":
            await repository.replace_loan_positions(
                conn,
                m.cbo_id,
                m.number,
                [
                    (
                        p.loan_id,
                        m.number,
                        m.cbo_id,
                        p.member_id,
                        p.source,
                        p.amount,
                        p.outstanding_principal,
                        p.due_principal,
                        p.due_interest,
                        p.collected_principal,
                        p.collected_interest,
                        p.overdue_principal,
                        p.overdue_interest,
                        p.days_overdue,
                    )
                    for p in m.loans
                ],
            )
        elif kind == "transactions.meeting.rejected":
            await repository.replace_loan_positions(conn, m.cbo_id, m.number, [])
        return {m.cbo_id}
    c = e.payload(tpb.CutOffEvent)
    await repository.upsert_cutoff(conn, c.cbo_id, date.fromisoformat(c.date), c.total_assets, when)
    return set()
