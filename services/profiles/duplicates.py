"""Profiles and de-duplication: the checks at submission and approval, and the duplication
status and SHG flag that profile reads show.

- Submitting a member checks her at once (the result is shown in her profile); if the dedup
  service does not answer, the submission goes on and ``profiles.member.submitted`` gets her
  checked when it does.
- Approving a member checks her again with the data being approved, and refuses while she
  has a confirmed duplicate (naming the identifier and the other record's code) or a
  potential one the Block Program Manager has not decided on. Without an answer from the
  dedup service nothing is approved: an approval cannot be taken back quietly.
- ``dedup.member.checked`` and ``dedup.shg.flagged`` keep the stored status and flag
  current (the newest report wins, by its version).
"""

from __future__ import annotations

import json
import logging
import uuid

import grpc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lokos import context, i18n
from lokos.dedup.v1 import dedup_pb2, dedup_pb2_grpc
from lokos.errors import Conflict, LokosError, Unavailable
from lokos.events import Event, subject
from lokos.principal import Principal
from lokos.rpc import call_metadata, error_from_rpc
from services.profiles.models import Member

log = logging.getLogger(__name__)

CHECKED = "dedup.member.checked"
SHG_FLAGGED = "dedup.shg.flagged"
_RULE_WORDS = {
    "aadhaar": "Aadhaar",
    "bank_account": "bank account",
    "voter_id": "voter ID",
    "mobile": "mobile",
    "name": "similar name and relative name",
}


def member_record(m: Member) -> dedup_pb2.MemberRecord:
    return dedup_pb2.MemberRecord(
        member_id=str(m.id),
        code=m.code or "",
        shg_id=str(m.shg_id),
        state=m.state,
        district_lgd_code=m.district_lgd_code,
        block_lgd_code=m.block_lgd_code,
        panchayat_lgd_code=m.panchayat_lgd_code,
        village_lgd_code=m.village_lgd_code,
        name=m.name,
        relative_name=m.relative_name,
        gender=m.gender or "",
        household_code=m.household_code,
        status=m.status,
        version=m.version,
        aadhaar_hash=m.aadhaar_hash,
        bank_account_hash=m.bank_account_hash,
        voter_id_hash=m.voter_id_hash or "",
        mobile_hash=m.mobile_hash or "",
        migrated=m.migrated,
    )


class DedupChecks:
    """The dedup service as profiles calls it."""

    def __init__(self, channel: grpc.aio.Channel, deadline: float) -> None:
        self.stub = dedup_pb2_grpc.DedupServiceStub(channel)
        self.deadline = deadline

    async def check(
        self, principal: Principal, record: dedup_pb2.MemberRecord
    ) -> dedup_pb2.CheckResult:
        try:
            result: dedup_pb2.CheckResult = await self.stub.CheckMember(
                dedup_pb2.CheckMemberRequest(member=record, record=True),
                metadata=call_metadata(principal, context.request_id(), i18n.language()),
                timeout=self.deadline,
            )
        except grpc.aio.AioRpcError as exc:
            raise error_from_rpc(exc) from exc
        return result


def _apply(member: Member, result: dedup_pb2.CheckResult) -> None:
    if result.status_version > (member.duplication_version or 0):
        member.duplication_status = result.status
        member.duplication_version = result.status_version


async def check_on_submit(dedup: DedupChecks | None, principal: Principal, member: Member) -> None:
    if dedup is None:
        return
    try:
        _apply(member, await dedup.check(principal, member_record(member)))
    except Unavailable as exc:
        log.warning("duplicate check at submission deferred to the event path: %s", exc)


def _other(m: dedup_pb2.Match) -> str:
    code = m.other_code or f"record {m.other_member_id}"
    return f"{code} ({m.other_state}, block {m.other_block_lgd_code})"


async def check_before_approval(
    dedup: DedupChecks | None, principal: Principal, record: dedup_pb2.MemberRecord
) -> dedup_pb2.CheckResult:
    """Dedup's check of the member with the data being approved. The caller holds no row
    lock while it waits (up to the deadline) and applies the answer with
    :func:`refuse_duplicates` once it has locked and re-read the member."""
    if dedup is None:
        raise Unavailable("the duplicate check is not configured: members cannot be approved")
    try:
        return await dedup.check(principal, record)
    except LokosError as exc:
        if isinstance(exc, Unavailable):
            raise Unavailable(
                "the duplicate check did not answer; try the approval again shortly",
                code="dedup_unavailable",
            ) from exc
        raise


def refuse_duplicates(member: Member, result: dedup_pb2.CheckResult) -> None:
    """Refuse the approval of a member with an open duplicate; see the module's docstring."""
    _apply(member, result)
    confirmed = [m for m in result.matches if m.kind == "confirmed" or m.decision == "duplicate"]
    if confirmed:
        first = confirmed[0]
        same = ", ".join(_RULE_WORDS.get(r, r) for r in first.rules if r != "name") or "record"
        raise Conflict(
            f"confirmed duplicate: the same {same} as member {_other(first)}; "
            "reject this record (remark R07) instead",
            code="confirmed_duplicate",
            extra=_match_extra(first, len(confirmed)),
        )
    undecided = [m for m in result.matches if m.kind == "potential" and not m.decision]
    if undecided:
        raise Conflict(
            f"possible duplicate of member {_other(undecided[0])}"
            + (f" and {len(undecided) - 1} more" if len(undecided) > 1 else "")
            + ": mark each as not a duplicate (with a reason) or reject this record",
            code="potential_duplicate",
            extra=_match_extra(undecided[0], len(undecided)),
        )


def _match_extra(m: dedup_pb2.Match, count: int) -> dict[str, str]:
    """What the problem+json says of the (first) other record: never personal data; the
    full list is at /v1/members/{id}/duplicates."""
    return {
        "identifiers": ",".join(m.rules),
        "other_member_id": m.other_member_id,
        "other_code": m.other_code,
        "other_state": m.other_state,
        "other_block_lgd_code": m.other_block_lgd_code,
        "duplicates": str(count),
    }


# --- events from dedup -------------------------------------------------------------------------


# Batched: a refresh of a block reports on thousands of members at once. The newest report
# of each record wins (by version), within the batch and against what is stored.
_MEMBER_STATUS = """
UPDATE member SET duplication_status = t.status, duplication_version = t.version
FROM unnest(CAST(:ids AS uuid[]), CAST(:statuses AS text[]), CAST(:versions AS bigint[]))
    AS t(id, status, version)
WHERE member.id = t.id AND member.duplication_version < t.version
"""
_SHG_FLAG = """
UPDATE cbo SET duplicate_flag = t.flagged, duplicate_reasons = CAST(t.reasons AS jsonb),
       duplicate_version = t.version
FROM unnest(CAST(:ids AS uuid[]), CAST(:flags AS bool[]), CAST(:reasons AS text[]),
            CAST(:versions AS bigint[])) AS t(id, flagged, reasons, version)
WHERE cbo.id = t.id AND cbo.duplicate_version < t.version
"""


async def dispatch(session: AsyncSession, events: list[Event]) -> None:
    members: dict[uuid.UUID, tuple[str, int]] = {}
    shgs: dict[uuid.UUID, tuple[bool, str, int]] = {}
    for event in events:
        if event.event_type == CHECKED:
            c = event.payload(dedup_pb2.MemberChecked)
            mid = uuid.UUID(c.member_id)
            if mid not in members or members[mid][1] < c.status_version:
                members[mid] = (c.status, c.status_version)
        elif event.event_type == SHG_FLAGGED:
            f = event.payload(dedup_pb2.ShgFlagged)
            sid = uuid.UUID(f.shg_id)
            if sid not in shgs or shgs[sid][2] < f.flag_version:
                shgs[sid] = (f.flagged, json.dumps(list(f.reasons)), f.flag_version)
    if members:
        await session.execute(
            text(_MEMBER_STATUS),
            {
                "ids": list(members),
                "statuses": [v[0] for v in members.values()],
                "versions": [v[1] for v in members.values()],
            },
        )
    if shgs:
        await session.execute(
            text(_SHG_FLAG),
            {
                "ids": list(shgs),
                "flags": [v[0] for v in shgs.values()],
                "reasons": [v[1] for v in shgs.values()],
                "versions": [v[2] for v in shgs.values()],
            },
        )


def subjects(state: str) -> list[str]:
    return [subject(state, t) for t in (CHECKED, SHG_FLAGGED)]
