"""Events dedup consumes: profiles' member and SHG events build the index.

Handled in batches (one transaction for up to a few hundred events): a migration import
emits lakhs of ``profiles.member.created`` at once. Within a batch the latest version of
each record wins; ``profiles.member.submitted`` also checks the member and records the
result (``dedup.member.checked``, ``dedup.duplicate.found``).

A member event that only indexes her is kept out of the consumer's inbox (:func:`inboxed`):
the index keeps the version of her record and an event not newer writes the same values again
or nothing (``repository.upsert_members``), so a replay changes nothing without an inbox row
each, which a bulk import's lakhs of events would otherwise cost. ``submitted`` emits events
and SHG events refresh flags: those keep their inbox row and happen exactly once.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from opentelemetry import trace
from sqlalchemy.ext.asyncio import AsyncSession

from lokos import context
from lokos.errors import ValidationFailed
from lokos.events import Event, subject
from lokos.profiles.v1 import profiles_pb2
from lokos.telemetry import extract_context
from services.dedup import repository, shgs
from services.dedup.service import Dedup, MemberFields, entry_of, record_from_proto

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

MEMBER_PREFIX = "profiles.member."
SHG_PREFIX = "profiles.shg."


def subjects(state: str) -> list[str]:
    return [subject(state, MEMBER_PREFIX + ">"), subject(state, SHG_PREFIX + ">")]


def inboxed(event: Event) -> bool:
    """Whether the consumer records ``event`` in its inbox: unless it is a member event whose
    effect is idempotent by her record's version."""
    kind = event.event_type
    return not kind.startswith(MEMBER_PREFIX) or kind == MEMBER_PREFIX + "submitted"


@dataclass(slots=True)
class _EventRecord:
    """A member's record as profiles' event carries it, in the fields of
    ``dedup_pb2.MemberRecord`` (``service.MemberFields``): read off the event, not copied into
    a message of its own (a bulk import's lakhs of events paid for the copy)."""

    member_id: str
    code: str
    shg_id: str
    state: str
    district_lgd_code: str
    block_lgd_code: str
    panchayat_lgd_code: str
    village_lgd_code: str
    name: str
    relative_name: str
    gender: str
    household_code: str
    status: str
    version: int
    aadhaar_hash: str
    bank_account_hash: str
    voter_id_hash: str
    mobile_hash: str
    migrated: bool


def member_record(event: profiles_pb2.MemberEvent) -> MemberFields:
    m = event.member
    return _EventRecord(
        m.id,
        m.code,
        m.shg_id,
        m.state,
        m.district_lgd_code,
        m.block_lgd_code,
        m.panchayat_lgd_code,
        m.village_lgd_code,
        m.name,
        m.relative_name,
        m.gender,
        m.household_code,
        m.status,
        m.version,
        event.aadhaar_hash,
        event.bank_account_hash,
        event.voter_id_hash,
        event.mobile_hash,
        m.migrated,
    )


class Handlers:
    def __init__(self, dedup: Dedup) -> None:
        self.dedup = dedup

    async def dispatch(self, session: AsyncSession, batch: list[Event]) -> None:
        entries: dict[uuid.UUID, repository.Entry] = {}
        # member -> (request id, traceparent) of the request that submitted her
        submitted: dict[uuid.UUID, tuple[str, str]] = {}
        shg_rows: dict[uuid.UUID, tuple[uuid.UUID, str, str, str, str, str, bool, int]] = {}
        for event in batch:
            kind = event.event_type
            if kind.startswith(MEMBER_PREFIX):
                payload = event.payload(profiles_pb2.MemberEvent)
                try:
                    rec, active, version, migrated = record_from_proto(
                        member_record(payload), self.dedup.state
                    )
                except ValidationFailed as exc:
                    # A record profiles accepted but the index cannot use (e.g. no block yet):
                    # skipped, not retried forever.
                    log.warning("member event %s not indexed: %s", event.id, exc)
                    continue
                held = entries.get(rec.member_id)
                if held is None or held[3] <= version:
                    entries[rec.member_id] = entry_of(rec, active, version, migrated)
                if kind == MEMBER_PREFIX + "submitted":
                    env = event.envelope
                    submitted[rec.member_id] = (env.request_id, env.traceparent)
            elif kind.startswith(SHG_PREFIX):
                c = event.payload(profiles_pb2.CboEvent).cbo
                try:
                    shg_id = uuid.UUID(c.id)
                except ValueError:
                    log.warning("SHG event %s has no SHG id", event.id)
                    continue
                held_shg = shg_rows.get(shg_id)
                if held_shg is None or held_shg[7] <= c.version:
                    shg_rows[shg_id] = (
                        shg_id,
                        c.code,
                        c.state,
                        c.block_lgd_code,
                        c.village_lgd_code,
                        c.name,
                        c.status not in ("rejected", "inactive"),
                        c.version,
                    )
        conn = await repository.raw(session)
        if shg_rows:
            touched = await shgs.upsert_shgs(conn, shg_rows.values())
            await shgs.refresh_flags(conn, touched)
        if entries:
            await repository.upsert_members(conn, list(entries.values()))
        if submitted:
            # The check runs in the trace of the request that submitted the member, so its
            # events (and profiles' consumer of them) join it: the help desk finds them all
            # under that request.
            by_request: dict[tuple[str, str], list[uuid.UUID]] = {}
            for member_id, origin in submitted.items():
                by_request.setdefault(origin, []).append(member_id)
            for (request_id, traceparent), ids in by_request.items():
                token = context.current_request_id.set(request_id)
                try:
                    with tracer.start_as_current_span(
                        "dedup recheck",
                        context=extract_context({"traceparent": traceparent}),
                        attributes={"lokos.members": len(ids)},
                    ):
                        await self.dedup.recheck(session, ids)
                finally:
                    context.current_request_id.reset(token)
