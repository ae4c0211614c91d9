"""De-duplication: checks of one member or many, the checker's view, decisions, rules.

A check finds candidates in the index (by identifier hash; then, unless a confirmed duplicate
settles it, by name key in the panchayat), applies the state's rules and the Block Program
Manager's standing decisions, and gives the member's status: none, potential or confirmed.
Recording a check stores the member's entry, her matches and her status in one transaction
with the ``dedup.member.checked`` (and ``dedup.duplicate.found``) events, and refreshes the
duplicate flags of the SHGs involved.
"""

from __future__ import annotations

import re
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from lokos.audit import record_audit
from lokos.catalogue import CHECKERS, DEDUP_RULE_SETTERS, PAIR_EXPORTERS, READERS
from lokos.db import Database
from lokos.dedup.v1 import dedup_pb2
from lokos.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from lokos.outbox import add_events_copy
from lokos.principal import GeoPath, Principal
from lokos.values import parse_uuid
from services.dedup import decisions, matching, names, repository, rules, shgs
from services.dedup.matching import CONFIRMED, NONE, Found, Rec
from services.dedup.models import audit_log

PROFILE_STATUSES = frozenset(
    {"new", "incomplete", "pending", "approved", "rejected", "modified", "inactive", "migrated"}
)
# Not "another active member": a record rejected (often as the duplicate) or closed.
INACTIVE_STATUSES = frozenset({"rejected", "inactive"})
_LGD = re.compile(r"^[0-9A-Za-z]{0,16}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
RULES_CACHE_SECONDS = 30.0
# Enough for a state's decisions of several years; an export is one response.
EXPORT_LIMIT = 50_000


@dataclass(frozen=True, slots=True)
class LabelledPair:
    """A checker's decision as a labelled pair of names: no identifier, no reason (free text
    may hold one), no codes."""

    name: str
    relative_name: str
    other_name: str
    other_relative_name: str
    same: bool


@dataclass(slots=True)
class Checked:
    """A member's check: her record, status, matches, and (when recorded) its version."""

    subject: Rec
    status: str
    found: list[Found]
    status_version: int = 0
    checked_at: datetime | None = None


def where(rec: Rec) -> GeoPath:
    return GeoPath(
        rec.state,
        district=rec.district,
        block=rec.block,
        panchayat=rec.panchayat,
        village=rec.village,
        cbo_ids=(str(rec.shg_id),) if rec.shg_id else (),
    )


class MemberFields(Protocol):
    """What a member record says, as ``dedup_pb2.MemberRecord`` gives it (a caller's check)
    or the index's consumer reads it off profiles' event (``consumers.member_record``)."""

    @property
    def member_id(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def shg_id(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def district_lgd_code(self) -> str: ...
    @property
    def block_lgd_code(self) -> str: ...
    @property
    def panchayat_lgd_code(self) -> str: ...
    @property
    def village_lgd_code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def relative_name(self) -> str: ...
    @property
    def gender(self) -> str: ...
    @property
    def household_code(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def aadhaar_hash(self) -> str: ...
    @property
    def bank_account_hash(self) -> str: ...
    @property
    def voter_id_hash(self) -> str: ...
    @property
    def mobile_hash(self) -> str: ...
    @property
    def migrated(self) -> bool: ...


def record_from_proto(m: MemberFields, state: str) -> tuple[Rec, bool, int, bool]:
    """A member record from a caller → (record, active, version, migrated), or every problem
    with it at once. Hashes are what profiles made with the state's key: 64 hex digits."""
    errors: list[FieldError] = []
    member_id = uuid.UUID(int=0)
    shg_id: uuid.UUID | None = None
    try:
        member_id = matching.parse_id(m.member_id)
    except ValueError:
        errors.append(FieldError("member.member_id", "must be a UUID", "format"))
    if m.shg_id:
        try:
            shg_id = matching.parse_id(m.shg_id)
        except ValueError:
            errors.append(FieldError("member.shg_id", "must be a UUID", "format"))
    if m.state != state:
        errors.append(FieldError("member.state", f"this instance serves state {state!r}", "state"))
    for field in ("district_lgd_code", "block_lgd_code", "panchayat_lgd_code", "village_lgd_code"):
        if not _LGD.match(getattr(m, field)):
            errors.append(FieldError(f"member.{field}", "must be an LGD code", "format"))
    if not m.block_lgd_code:
        errors.append(FieldError("member.block_lgd_code", "is required", "required"))
    for field in ("name", "relative_name"):
        if len(getattr(m, field)) > names.MAX_NAME_LENGTH:
            errors.append(
                FieldError(
                    f"member.{field}", f"at most {names.MAX_NAME_LENGTH} characters", "length"
                )
            )
    if not m.name.strip():
        errors.append(FieldError("member.name", "is required", "required"))
    if len(m.code) > 40 or len(m.household_code) > 32:
        errors.append(FieldError("member.code", "too long", "length"))
    if m.gender not in ("", "F", "M", "T"):
        errors.append(FieldError("member.gender", "must be F, M or T", "enum"))
    status = m.status or "new"
    if status not in PROFILE_STATUSES:
        errors.append(FieldError("member.status", "not a profile status", "enum"))
    hashes: dict[str, uuid.UUID | None] = {}
    for rule, field in (
        ("aadhaar", "aadhaar_hash"),
        ("bank_account", "bank_account_hash"),
        ("voter_id", "voter_id_hash"),
        ("mobile", "mobile_hash"),
    ):
        value = getattr(m, field)
        if value and not _HEX64.match(value):
            errors.append(
                FieldError(f"member.{field}", "must be a keyed hash (64 hex digits)", "format")
            )
        hashes[rule] = matching.hash_prefix(value) if value else None
    if errors:
        raise ValidationFailed(errors, "the member record has problems")
    rec = Rec(
        member_id=member_id,
        state=m.state,
        code=m.code,
        shg_id=shg_id,
        district=m.district_lgd_code,
        block=m.block_lgd_code,
        panchayat=m.panchayat_lgd_code,
        village=m.village_lgd_code,
        name=_clean(m.name),
        relative_name=_clean(m.relative_name),
        household=m.household_code,
        status=status,
        **hashes,
        gender=m.gender,
    )
    rec.fingerprint = matching.fingerprint(rec)
    return rec, status not in INACTIVE_STATUSES, m.version, m.migrated


def _clean(name: str) -> str:
    """Whitespace collapsed, control characters (NUL above all: PostgreSQL refuses it) out."""
    if name.isprintable():  # nearly always: no character to look at one by one
        return " ".join(name.split())
    return " ".join("".join(ch if ch.isprintable() else " " for ch in name).split())


def entry_of(rec: Rec, active: bool, version: int, migrated: bool) -> repository.Entry:
    return (rec, names.name_keys(rec.name, rec.relative_name), active, version, migrated)


class Dedup:
    """The de-duplication rules applied to the index of one state."""

    def __init__(self, db: Database, state: str) -> None:
        self.db = db
        self.state = state
        self._rules: tuple[float, rules.RuleSet] | None = None

    def _pool(self) -> asyncpg.Pool:
        if self.db.pool is None:
            raise RuntimeError("the read pool is not open")
        return self.db.pool

    # --- rules --------------------------------------------------------------------------------

    async def current_rules(self) -> rules.RuleSet:
        cached = self._rules
        if cached is not None and time.monotonic() - cached[0] < RULES_CACHE_SECONDS:
            return cached[1]
        async with self._pool().acquire() as conn:
            stored, by = await repository.stored_rules(conn, self.state)
        rule_set = rules.merged(self.state, stored, by)
        self._rules = (time.monotonic(), rule_set)
        return rule_set

    async def rules_for(self, principal: Principal) -> rules.RuleSet:
        """The state's rules, for anyone of the state (they explain the flags they see)."""
        if principal.state != self.state or not principal.has_any_role(READERS):
            raise NotFound("no rules for this state")
        return await self.current_rules()

    async def set_rules(
        self, session: AsyncSession, principal: Principal, given: list[rules.Rule]
    ) -> rules.RuleSet:
        if not principal.can_reach(GeoPath(self.state), DEDUP_RULE_SETTERS):
            raise PermissionDenied(
                "only the state admin sets the de-duplication rules", code="not_state_admin"
            )
        rule_set = rules.validate(self.state, given)
        before = await self.current_rules()
        conn = await repository.raw(session)
        await repository.save_rules(conn, self.state, rule_set.rules, principal.user_id)
        await record_audit(
            session,
            audit_log,
            action="dedup.rules.changed",
            entity="rules",
            entity_id=self.state,
            before={"rules": [r.__repr__() for r in before.rules]},
            after={"rules": [r.__repr__() for r in rule_set.rules]},
        )
        await session.commit()
        self._rules = None
        return rules.RuleSet(self.state, rule_set.rules, principal.user_id)

    # --- evaluation ---------------------------------------------------------------------------

    async def evaluate(
        self,
        conn: asyncpg.Connection,
        subjects: Sequence[Rec],
        rule_set: rules.RuleSet,
        *,
        identifiers_only: bool = False,
    ) -> list[Checked]:
        """Checks of ``subjects`` against the index: one query per step for all of them."""
        if not subjects:
            return []
        enabled = frozenset(r.name for r in rule_set.identifier_rules)
        by_subject: dict[uuid.UUID, list[Rec]] = defaultdict(list)
        if len(subjects) == 1:
            by_subject[subjects[0].member_id] = await repository.identifier_candidates(
                conn, subjects[0], enabled
            )
        elif enabled:
            for sid, cand in await repository.batch_identifier_candidates(conn, subjects, enabled):
                by_subject[sid].append(cand)
        found = [
            matching.identifier_matches(s, by_subject[s.member_id], rule_set) for s in subjects
        ]
        name_rule = rule_set.rule("name")
        if not identifiers_only and name_rule.kind != "off":
            # Confirmed rules first: a member they settle needs no name candidates.
            open_ = [i for i, f in enumerate(found) if matching.status_of(f.values()) != CONFIRMED]
            keyed = [
                (subjects[i], names.name_keys(subjects[i].name, subjects[i].relative_name))
                for i in open_
            ]
            if len(keyed) == 1:
                cands = await repository.name_candidates(conn, keyed[0][0], keyed[0][1])
                pairs = [(open_[0], c) for c in cands]
            else:
                position = {subjects[i].member_id: i for i in open_}
                pairs = [
                    (position[sid], c)
                    for sid, c in await repository.batch_name_candidates(conn, keyed)
                ]
            for i, by_name in matching.name_matches(subjects, pairs, rule_set):
                matching.merge(found[i], by_name)
        decisions = await repository.decisions_for(
            conn,
            (
                matching.pair(s.member_id, other)
                for s, of_s in zip(subjects, found, strict=True)
                for other in of_s
            ),
        )
        out: list[Checked] = []
        for s, of_s in zip(subjects, found, strict=True):
            matching.apply_decisions(s, of_s, decisions)
            out.append(
                Checked(s, matching.status_of(of_s.values()), matching.ordered(of_s.values()))
            )
        return out

    async def record(self, session: AsyncSession, checks: Sequence[Checked]) -> None:
        """Store the checks' results with their events, and the SHG flags they move."""
        if not checks:
            return
        conn = await repository.raw(session)
        previous = await repository.previous_others(conn, [c.subject.member_id for c in checks])
        saved = await repository.save_results(
            conn, {c.subject.member_id: (c.status, c.found) for c in checks}
        )
        for c in checks:
            c.status_version, c.checked_at = saved.get(c.subject.member_id, (0, None))
        events: list[tuple[str, str, dedup_pb2.MemberChecked | dedup_pb2.DuplicateFound]] = []
        for c in checks:
            s = c.subject
            confirmed = sum(1 for f in c.found if f.counts == CONFIRMED)
            potential = sum(1 for f in c.found if f.counts == matching.POTENTIAL)
            events.append(
                (
                    "dedup.member.checked",
                    s.state,
                    dedup_pb2.MemberChecked(
                        member_id=str(s.member_id),
                        shg_id=str(s.shg_id or ""),
                        block_lgd_code=s.block,
                        status=c.status,
                        status_version=c.status_version,
                        confirmed=confirmed,
                        potential=potential,
                    ),
                )
            )
            if c.status != NONE:
                events.append(
                    (
                        "dedup.duplicate.found",
                        s.state,
                        dedup_pb2.DuplicateFound(
                            member_id=str(s.member_id),
                            block_lgd_code=s.block,
                            status=c.status,
                            matches=[match_to_proto(f, None) for f in c.found],
                        ),
                    )
                )
        await add_events_copy(conn, events)
        touched: set[uuid.UUID] = set(previous)
        for c in checks:
            if c.subject.shg_id:
                touched.add(c.subject.shg_id)
            touched.update(f.other.shg_id for f in c.found if f.other.shg_id)
        await shgs.refresh_flags(conn, touched)

    async def check(
        self,
        session: AsyncSession,
        principal: Principal,
        request: dedup_pb2.CheckMemberRequest,
    ) -> Checked:
        rec, active, version, migrated = record_from_proto(request.member, self.state)
        if not principal.can_reach(where(rec)):
            raise NotFound("member not found")
        rule_set = await self.current_rules()
        if not request.record:
            async with self._pool().acquire() as conn:
                (checked,) = await self.evaluate(
                    conn, [rec], rule_set, identifiers_only=request.identifiers_only
                )
            return checked
        conn = await repository.raw(session)
        await repository.upsert_members(conn, [entry_of(rec, active, version, migrated)])
        (checked,) = await self.evaluate(
            conn, [rec], rule_set, identifiers_only=request.identifiers_only
        )
        await self.record(session, [checked])
        await session.commit()
        return checked

    async def recheck(
        self, session: AsyncSession, member_ids: Sequence[uuid.UUID]
    ) -> list[Checked]:
        """Check indexed members again and record the results (events, refresh, decisions)."""
        conn = await repository.raw(session)
        subjects = await repository.subjects(conn, member_ids)
        checks = await self.evaluate(conn, subjects, await self.current_rules())
        await self.record(session, checks)
        return checks

    # --- the checker's view and decisions -----------------------------------------------------

    async def labelled_pairs(
        self, session: AsyncSession, principal: Principal, block: str
    ) -> tuple[list[LabelledPair], bool]:
        """The standing decisions whose two records the caller reaches, as labelled pairs;
        and whether there were more than one export carries. Audited: it is personal data
        in bulk."""
        if not _LGD.match(block):
            raise ValidationFailed.one("block_lgd_code", "must be an LGD code", "format")
        if principal.state != self.state or not principal.has_any_role(PAIR_EXPORTERS):
            raise PermissionDenied(
                "only the state admin or a Block Program Manager exports the decisions",
                code="not_an_exporter",
            )
        async with self._pool().acquire() as conn:
            rows = await repository.labelled_pairs(conn, block, EXPORT_LIMIT + 1)
        truncated = len(rows) > EXPORT_LIMIT
        pairs = [
            LabelledPair(
                low.name, low.relative_name, high.name, high.relative_name, decision == "duplicate"
            )
            for low, high, decision in rows[:EXPORT_LIMIT]
            if principal.can_reach(where(low), PAIR_EXPORTERS)
            and principal.can_reach(where(high), PAIR_EXPORTERS)
        ]
        await record_audit(
            session,
            audit_log,
            action="dedup.labelled_pairs.exported",
            entity="state",
            entity_id=self.state,
            after={"block_lgd_code": block, "pairs": len(pairs)},
        )
        await session.commit()
        return pairs, truncated

    async def duplicates(self, principal: Principal, member_id: str) -> Checked:
        mid = parse_uuid(member_id, "member_id")
        async with self._pool().acquire() as conn:
            got = await repository.get_member(conn, mid)
            if got is None or not principal.can_reach(where(got[0]), READERS):
                raise NotFound(f"member {member_id} not found")
            rec, status, version, checked_at = got
            stored = await repository.stored_matches(conn, mid)
            decisions = await repository.decisions_for(
                conn, (matching.pair(mid, other.member_id) for other, *_ in stored)
            )
        found = {
            other.member_id: Found(other, kind, list(rs), ns, rs_score)
            for other, kind, rs, ns, rs_score in stored
        }
        matching.apply_decisions(rec, found, decisions)
        return Checked(rec, status, matching.ordered(found.values()), version, checked_at)

    async def decide(
        self,
        session: AsyncSession,
        principal: Principal,
        request: dedup_pb2.DecidePairRequest,
    ) -> Checked:
        d = decisions.parse(
            request.member_id, request.other_member_id, request.decision, request.reason
        )
        mid, other_id, reason = d.member_id, d.other_member_id, d.reason
        current = await self.duplicates(principal, str(mid))
        if not principal.can_reach(where(current.subject), CHECKERS):
            raise PermissionDenied(
                "only the Block Program Manager of the member's block decides on her duplicates",
                code="not_the_checker",
            )
        match = next((f for f in current.found if f.other.member_id == other_id), None)
        if match is None:
            raise NotFound(f"member {other_id} is not among this member's duplicates")
        decisions.check_overridable(d.decision, match, other_id)
        low, high = sorted((current.subject, match.other), key=lambda r: r.member_id.int)
        conn = await repository.raw(session)
        await repository.save_decision(conn, low, high, request.decision, reason, principal.user_id)
        await record_audit(
            session,
            audit_log,
            action=f"dedup.pair.{request.decision}",
            entity="member",
            entity_id=str(mid),
            after={
                "other_member_id": str(other_id),
                "kind": match.kind,
                "rules": match.rules,
                "reason": reason,
            },
        )
        await self.recheck(session, [mid, other_id])
        await session.commit()
        return await self.duplicates(principal, str(mid))


def match_to_proto(f: Found, principal: Principal | None) -> dedup_pb2.Match:
    """A match as a caller may see it: identity of the other record always, her personal data
    only when the caller's scope reaches her (``principal`` None: events, no personal data)."""
    o = f.other
    in_scope = principal is not None and principal.can_reach(where(o), READERS)
    return dedup_pb2.Match(
        other_member_id=str(o.member_id),
        other_code=o.code,
        other_state=o.state,
        other_district_lgd_code=o.district,
        other_block_lgd_code=o.block,
        other_shg_id=str(o.shg_id or "") if in_scope else "",
        kind=f.kind,
        rules=f.rules,
        name_score=f.name_score,
        relative_name_score=f.relative_score,
        decision=f.decision,
        decision_reason=f.reason if in_scope else "",
        decided_by=f.decided_by,
        other_name=o.name if in_scope else "",
        other_relative_name=o.relative_name if in_scope else "",
        other_village_lgd_code=o.village if in_scope else "",
        other_in_scope=in_scope,
    )


def result_to_proto(c: Checked, principal: Principal | None) -> dedup_pb2.CheckResult:
    out = dedup_pb2.CheckResult(
        member_id=str(c.subject.member_id),
        status=c.status,
        matches=[match_to_proto(f, principal) for f in c.found],
        status_version=c.status_version,
    )
    if c.checked_at is not None:
        out.checked_at.FromDatetime(c.checked_at)
    return out
