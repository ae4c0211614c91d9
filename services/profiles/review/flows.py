"""Maker-checker: submit for approval, approve, reject, and where a submission stands.

- Submitting locks the record for its maker; a second submission of a pending record is refused.
- The checker (the Block Program Manager of the record's block) is never the submission's maker.
- Rules are checked again at approval, not only at submission: field rules, the formation date
  against the approval date, an SHG's approved members within its type's limits, a member's
  identifiers each approved by the checker.
- Approval applies any waiting draft, issues the code on first activation, and emits the event;
  rejection returns the record to its maker with remark codes from the master list.

The rules themselves, without I/O, are in rules.py; this module reads and locks the rows, asks
dedup, and writes what the rules decided.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lokos import catalogue, context, telemetry
from lokos.audit import record_audit
from lokos.db import Database
from lokos.dedup.v1 import dedup_pb2
from lokos.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from lokos.principal import Principal
from lokos.values import parse_uuid
from services.profiles import access, codes, duplicates, events, records, validation
from services.profiles.cbo import repository as cbo_repository
from services.profiles.deps import Deps
from services.profiles.member import repository as member_repository
from services.profiles.models import Cbo, Member, Submission, audit_log
from services.profiles.review import repository, rules

_DATE_COLUMNS = {"formed_on", "date_of_birth", "left_on"}
MAX_PAGE = 250


def _draft_converters() -> dict[str, Any]:
    return {
        c: (lambda v: date.fromisoformat(v) if isinstance(v, str) and v else v)
        for c in _DATE_COLUMNS
    }


async def _load(
    session: AsyncSession, entity_type: str, entity_id: uuid.UUID, *, for_update: bool
) -> Cbo | Member:
    if entity_type == "member":
        m = await member_repository.get_member(session, entity_id, for_update=for_update)
        if m is None:
            raise NotFound(f"member {entity_id} not found")
        return m
    c = await cbo_repository.get_cbo(session, entity_id, for_update=for_update)
    if c is None or c.cbo_type.lower() != entity_type:
        raise NotFound(f"{entity_type.upper()} {entity_id} not found")
    return c


async def submit(
    session: AsyncSession,
    principal: Principal,
    *,
    deps: Deps | None = None,
    entity_type: str,
    entity_id: str,
    version: int,
    today: date,
) -> tuple[Submission, Cbo | Member]:
    if entity_type not in rules.ENTITY_TYPES:
        raise ValidationFailed.one("entity_type", "must be shg, vo, clf or member", "enum")
    record = await _load(session, entity_type, parse_uuid(entity_id, "id"), for_update=True)
    access.require_maker(principal, access.where(record), f"this {entity_type}")
    rules.check_submittable(record, entity_type, version)
    errors = rules.completeness(record, today)
    if errors:
        record.status = "incomplete" if record.status != "approved" else record.status
        await session.commit()
        raise ValidationFailed(errors, "the record is incomplete")
    submission = Submission(
        entity_type=entity_type,
        entity_id=record.id,
        block_lgd_code=record.block_lgd_code,
        maker=principal.user_id,
        status="pending",
        remarks=[],
        request_id=context.request_id(),
    )
    session.add(submission)
    await session.flush()
    telemetry.tag(submission_ref=str(submission.id))  # the help desk searches by it
    record.submission_id = submission.id
    if record.status != "approved":
        record.status = "pending"
    record.version += 1
    await record_audit(
        session,
        audit_log,
        action=f"{entity_type}.submitted",
        entity=entity_type,
        entity_id=str(record.id),
        after={"submission_id": str(submission.id)},
    )
    if isinstance(record, Member):
        await duplicates.check_on_submit(deps.dedup if deps else None, principal, record)
    await _emit(session, record, "submitted", str(submission.id))
    await session.commit()
    return submission, record


async def approve(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    *,
    submission_id: str,
    identifier_checks: list[tuple[str, str, str]],
    today: date,
) -> tuple[Submission, Cbo | Member]:
    rules.check_approval_verdicts(identifier_checks)
    # A member is checked by dedup first, with the data being approved (a waiting draft
    # applied), and no row locked: the check may take seconds. Then the rows are locked and
    # the member must still be the version that was checked.
    checked: tuple[int, dedup_pb2.CheckResult] | None = None
    asked: tuple[int, dedup_pb2.MemberRecord] | None = None
    submission, record = await _decide_prelude(session, principal, submission_id, lock=False)
    if isinstance(record, Member):
        rules.check_identifiers_verified(record, identifier_checks)
        version = record.version
        records.apply_draft(record, _draft_converters())
        asked = (version, duplicates.member_record(record))
    # Nothing read so far is kept (the draft applied above was only for the question): the
    # rows are read again under lock.
    await session.rollback()
    if asked is not None:
        result = await duplicates.check_before_approval(deps.dedup, principal, asked[1])
        checked = (asked[0], result)
    submission, record = await _decide_prelude(session, principal, submission_id, lock=True)
    if isinstance(record, Member):
        rules.check_identifiers_verified(record, identifier_checks)
    else:
        errors = await _cbo_approval_errors(session, deps, record, today)
        if errors:
            raise ValidationFailed(errors, "the record cannot be approved yet")
    if isinstance(record, Member) and (checked is None or checked[0] != record.version):
        raise Conflict(
            "the member changed while her duplicates were checked; approve again",
            code="version_conflict",
        )
    records.apply_draft(record, _draft_converters())
    if isinstance(record, Member) and checked is not None:
        duplicates.refuse_duplicates(record, checked[1])  # nothing is committed if it refuses
        record.verification = {n: {"status": "approved"} for n in rules.present_identifiers(record)}
    record.status = rules.approved_status(record)
    record.submission_id = None
    record.approved_on = today
    record.approved_by = principal.user_id
    if not record.code:
        kind = "member" if isinstance(record, Member) else record.cbo_type
        lgd = (
            record.village_lgd_code
            if isinstance(record, Member) and record.village_lgd_code
            else record.block_lgd_code
        )
        record.code = await codes.next_code(session, kind, lgd)
    record.version += 1
    submission.status = "approved"
    submission.checker = principal.user_id
    submission.decided_at = datetime.now(UTC)
    submission.remarks = (
        [{n: {"status": s, "remark": r} for n, s, r in identifier_checks}]
        if identifier_checks
        else []
    )
    await record_audit(
        session,
        audit_log,
        action=f"{submission.entity_type}.approved",
        entity=submission.entity_type,
        entity_id=str(record.id),
        after={"submission_id": str(submission.id), "code": record.code},
    )
    await _emit(session, record, "approved", str(submission.id))
    await session.commit()
    return submission, record


async def reject(
    session: AsyncSession,
    principal: Principal,
    *,
    submission_id: str,
    remarks: list[str],
    identifier_checks: list[tuple[str, str, str]],
) -> tuple[Submission, Cbo | Member]:
    rules.check_rejection(remarks, identifier_checks)
    submission, record = await _decide_prelude(session, principal, submission_id)
    verdicts = rules.verdict_map(identifier_checks)
    if isinstance(record, Member):
        record.verification = {**(record.verification or {}), **verdicts}
    record.status = rules.rejected_status(record)
    record.submission_id = None
    record.version += 1
    submission.status = "rejected"
    submission.checker = principal.user_id
    submission.decided_at = datetime.now(UTC)
    submission.remarks = [*remarks, *([verdicts] if verdicts else [])]
    await record_audit(
        session,
        audit_log,
        action=f"{submission.entity_type}.rejected",
        entity=submission.entity_type,
        entity_id=str(record.id),
        after={"submission_id": str(submission.id), "remarks": remarks},
    )
    await _emit(session, record, "rejected", str(submission.id))
    await session.commit()
    return submission, record


async def _decide_prelude(
    session: AsyncSession, principal: Principal, submission_id: str, *, lock: bool = True
) -> tuple[Submission, Cbo | Member]:
    submission = await repository.get_submission(
        session, parse_uuid(submission_id, "id"), for_update=lock
    )
    if submission is None:
        raise NotFound(f"submission {submission_id} not found")
    record = await _load(session, submission.entity_type, submission.entity_id, for_update=lock)
    access.require_checker(principal, access.where(record), f"this {submission.entity_type}")
    rules.check_decidable(submission, principal.user_id)
    return submission, record


async def _cbo_approval_errors(
    session: AsyncSession, deps: Deps, cbo: Cbo, today: date
) -> list[FieldError]:
    errors = validation.approval_date_errors(cbo.formed_on, today)
    if cbo.cbo_type == "SHG":
        low, high = await cbo_repository.member_limits(
            session,
            cbo.state,
            cbo.shg_type,
            deps.settings.default_min_members,
            deps.settings.default_max_members,
        )
        count = await cbo_repository.approved_members(session, cbo.id)
        errors += rules.member_count_errors(count, low, high)
    return errors


async def _emit(session: AsyncSession, record: Cbo | Member, what: str, submission_id: str) -> None:
    if isinstance(record, Member):
        await events.member_event(session, record, what, submission_id)
    else:
        await events.cbo_event(session, record, what, submission_id)


# --- status by reference, and My Task --------------------------------------------------------


async def get_submission(
    session: AsyncSession, principal: Principal, submission_id: str
) -> tuple[Submission, Cbo | Member]:
    """Where a submission stands: for its maker, the checkers and staff who reach the record."""
    submission = await repository.get_submission(session, parse_uuid(submission_id, "id"))
    if submission is None:
        raise NotFound(f"submission {submission_id} not found")
    record = await _load(session, submission.entity_type, submission.entity_id, for_update=False)
    if submission.maker != principal.user_id:
        access.require_reader(principal, access.where(record), f"submission {submission_id}")
    return submission, record


async def my_task(
    db: Database,
    principal: Principal,
    *,
    entity_type: str,
    block: str,
    panchayat: str,
    village: str,
    code: str,
    name: str,
    limit: int,
    offset: int,
) -> tuple[list[repository.Task], int, dict[str, int]]:
    if entity_type and entity_type not in rules.ENTITY_TYPES:
        raise ValidationFailed.one("entity_type", "must be shg, vo, clf or member", "enum")
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed.one("limit", f"must be 1 to {MAX_PAGE}", "range")
    if not principal.has_any_role(catalogue.CHECKERS):
        raise PermissionDenied(
            "My Task is for checkers (Block Program Managers)", code="not_the_checker"
        )
    reach = principal.reach(catalogue.CHECKERS)
    blocks = None if reach is None else reach.get("block", frozenset())
    return await repository.tasks(
        db,
        state=principal.state,
        blocks=blocks,
        entity_types=[entity_type] if entity_type else [],
        block=block,
        panchayat=panchayat,
        village=village,
        code=code,
        name=name[:100],
        limit=limit,
        offset=max(offset, 0),
    )
