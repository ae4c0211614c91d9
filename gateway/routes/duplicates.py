"""De-duplication: a member's duplicates, the checker's decisions, "Refresh Duplicate" for a
block, and the state's rules. Scope is enforced by the dedup service on its own index."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response, status
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, Field, StrictBool, StrictFloat

from gateway.auth import allow
from gateway.inputs import Text
from gateway.routes.common import (
    CurrentPrincipal,
    ServiceClients,
    Staff,
    metadata,
    problem_responses,
)
from lokos import catalogue
from lokos.dedup.v1 import dedup_pb2
from lokos.principal import Principal

router = APIRouter(tags=["de-duplication"], responses=problem_responses(404, 409))

Checker = Annotated[Principal, Depends(allow(catalogue.CHECKERS))]
StateAdmin = Annotated[Principal, Depends(allow(catalogue.DEDUP_RULE_SETTERS))]
Block = Annotated[str, Path(pattern=r"^[0-9]{1,16}$")]


class MatchOut(BaseModel):
    other_member_id: str
    other_code: str = Field(description="Empty until the other record is approved")
    other_state: str
    other_district_lgd_code: str
    other_block_lgd_code: str
    kind: Literal["confirmed", "potential"]
    rules: list[str] = Field(description="aadhaar, bank_account, voter_id, mobile, name")
    name_score: float
    relative_name_score: float
    decision: Literal["", "not_duplicate", "duplicate"]
    decision_reason: str
    decided_by: str
    other_in_scope: bool = Field(
        description="False: the other record is outside your scope; its personal data is not shown"
    )
    other_name: str
    other_relative_name: str
    other_village_lgd_code: str
    other_shg_id: str


class DuplicatesOut(BaseModel):
    member_id: str
    status: Literal["unchecked", "none", "potential", "confirmed"] = Field(
        description='none is "No duplicates found"'
    )
    checked_at: datetime | None
    matches: list[MatchOut]


class DecisionIn(BaseModel):
    decision: Literal["not_duplicate", "duplicate"] = Field(
        description="not_duplicate overrides a potential duplicate (never a confirmed one)"
    )
    reason: Text = Field(default="", max_length=500, description="Required for not_duplicate")


class RefreshOut(BaseModel):
    id: str
    block_lgd_code: str
    status: Literal["queued", "running", "done", "failed"]
    total: int
    done: int
    confirmed: int
    potential: int
    requested_by: str
    requested_at: datetime | None
    finished_at: datetime | None
    error: str


class RuleIO(BaseModel):
    name: Literal["aadhaar", "bank_account", "voter_id", "mobile", "name"]
    kind: Literal["confirmed", "potential", "off"]
    name_threshold: StrictFloat = Field(default=0.0, ge=0, le=100)
    relative_threshold: StrictFloat = Field(default=0.0, ge=0, le=100)
    within: Literal["", "village", "panchayat"] = ""
    exempt_same_household: StrictBool = False


class RulesIO(BaseModel):
    rules: list[RuleIO] = Field(max_length=10)


class RulesOut(RulesIO):
    state: str
    updated_by: str


def _ts(value: Timestamp, present: bool) -> datetime | None:
    return value.ToDatetime(tzinfo=UTC) if present else None


def duplicates_out(r: dedup_pb2.CheckResult) -> DuplicatesOut:
    return DuplicatesOut(
        member_id=r.member_id,
        status=r.status or "unchecked",
        checked_at=_ts(r.checked_at, r.HasField("checked_at")),
        matches=[
            MatchOut(
                other_member_id=m.other_member_id,
                other_code=m.other_code,
                other_state=m.other_state,
                other_district_lgd_code=m.other_district_lgd_code,
                other_block_lgd_code=m.other_block_lgd_code,
                kind=m.kind,
                rules=list(m.rules),
                name_score=round(m.name_score, 1),
                relative_name_score=round(m.relative_name_score, 1),
                decision=m.decision,
                decision_reason=m.decision_reason,
                decided_by=m.decided_by,
                other_in_scope=m.other_in_scope,
                other_name=m.other_name,
                other_relative_name=m.other_relative_name,
                other_village_lgd_code=m.other_village_lgd_code,
                other_shg_id=m.other_shg_id,
            )
            for m in r.matches
        ],
    )


def refresh_out(j: dedup_pb2.RefreshJob) -> RefreshOut:
    return RefreshOut(
        id=j.id,
        block_lgd_code=j.block_lgd_code,
        status=j.status,
        total=j.total,
        done=j.done,
        confirmed=j.confirmed,
        potential=j.potential,
        requested_by=j.requested_by,
        requested_at=_ts(j.requested_at, j.HasField("requested_at")),
        finished_at=_ts(j.finished_at, j.HasField("finished_at")),
        error=j.error,
    )


def rules_out(r: dedup_pb2.RuleSet) -> RulesOut:
    return RulesOut(
        state=r.state,
        updated_by=r.updated_by,
        rules=[
            RuleIO(
                name=x.name,
                kind=x.kind,
                name_threshold=round(x.name_threshold, 1),
                relative_threshold=round(x.relative_threshold, 1),
                within=x.within,
                exempt_same_household=x.exempt_same_household,
            )
            for x in r.rules
        ],
    )


@router.get("/members/{member_id}/duplicates")
async def member_duplicates(
    member_id: uuid.UUID, principal: CurrentPrincipal, c: ServiceClients
) -> DuplicatesOut:
    """The member's duplicates: the other record's state, block and code always; its name
    and village only when it is within your scope. Identifiers are never shown."""
    r = await c.dedup.GetMemberDuplicates(
        dedup_pb2.GetMemberDuplicatesRequest(member_id=str(member_id)),
        metadata=metadata(principal),
        timeout=c.deadline,
    )
    return duplicates_out(r)


@router.post("/members/{member_id}/duplicates/{other_member_id}/decision")
async def decide_duplicate(
    member_id: uuid.UUID,
    other_member_id: uuid.UUID,
    body: DecisionIn,
    principal: Checker,
    c: ServiceClients,
) -> DuplicatesOut:
    """The Block Program Manager's word on a pair: "not_duplicate" (with a reason, audited)
    lets a potential duplicate through; "duplicate" holds the record for rejection. A
    confirmed duplicate cannot be overridden (409)."""
    r = await c.dedup.DecidePair(
        dedup_pb2.DecidePairRequest(
            member_id=str(member_id),
            other_member_id=str(other_member_id),
            decision=body.decision,
            reason=body.reason,
        ),
        metadata=metadata(principal),
        timeout=c.deadline,
    )
    return duplicates_out(r)


@router.post(
    "/blocks/{block_lgd_code}/duplicate-refresh",
    status_code=status.HTTP_202_ACCEPTED,
    responses={200: {"model": RefreshOut, "description": "A refresh of the block is running"}},
)
async def refresh_duplicates(
    block_lgd_code: Block, principal: Staff, c: ServiceClients, response: Response
) -> RefreshOut:
    """ "Refresh Duplicate": checks every pending member of the block again, in the
    background. Asking while a refresh of the block runs returns that one."""
    j = await c.dedup.StartRefresh(
        dedup_pb2.StartRefreshRequest(block_lgd_code=block_lgd_code),
        metadata=metadata(principal),
        timeout=c.deadline,
    )
    response.headers["Location"] = f"/v1/duplicate-refreshes/{j.id}"
    if j.existing:
        response.status_code = status.HTTP_200_OK
    return refresh_out(j)


@router.get("/duplicate-refreshes/{refresh_id}")
async def get_refresh(refresh_id: uuid.UUID, principal: Staff, c: ServiceClients) -> RefreshOut:
    """Progress of a refresh: total, done, and members found with duplicates so far."""
    j = await c.dedup.GetRefresh(
        dedup_pb2.GetRefreshRequest(id=str(refresh_id)),
        metadata=metadata(principal),
        timeout=c.deadline,
    )
    return refresh_out(j)


@router.get("/duplicate-rules")
async def get_rules(principal: Staff, c: ServiceClients) -> RulesOut:
    """The state's de-duplication rules."""
    return rules_out(
        await c.dedup.GetRules(
            dedup_pb2.GetRulesRequest(), metadata=metadata(principal), timeout=c.deadline
        )
    )


@router.put("/duplicate-rules")
async def set_rules(body: RulesIO, principal: StateAdmin, c: ServiceClients) -> RulesOut:
    """Change the state's rules (state admin): a rule's kind, and the name rule's thresholds
    and reach. Rules not given keep their defaults."""
    req = dedup_pb2.RuleSet(
        rules=[
            dedup_pb2.Rule(
                name=r.name,
                kind=r.kind,
                name_threshold=r.name_threshold,
                relative_threshold=r.relative_threshold,
                within=r.within,
                exempt_same_household=r.exempt_same_household,
            )
            for r in body.rules
        ]
    )
    return rules_out(await c.dedup.SetRules(req, metadata=metadata(principal), timeout=c.deadline))


@router.get(
    "/duplicate-decisions/labelled-pairs",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def labelled_pairs(
    principal: CurrentPrincipal,
    c: ServiceClients,
    block_lgd_code: Annotated[str, Query(pattern=r"^[0-9]{0,16}$")] = "",
) -> Response:
    """The checkers' standing decisions as labelled name pairs (CSV: names and relatives'
    names only, no identifiers, codes or reasons), for measuring the name rule on the state's
    own field data with ``python -m services.dedup.evaluation``. The state admin gets the
    state (or one block), a Block Program Manager her block."""
    r = await c.dedup.ExportLabelledPairs(
        dedup_pb2.ExportLabelledPairsRequest(block_lgd_code=block_lgd_code),
        metadata=metadata(principal),
        timeout=c.deadline,
    )
    out = io.StringIO()
    # The columns of services.dedup.evaluation (and of the project's own labelled set).
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("category", "same", "a_name", "a_relative", "b_name", "b_relative", "note"))
    for p in r.pairs:
        writer.writerow(
            ("decision", int(p.same), p.name, p.relative_name, p.other_name,
             p.other_relative_name, "")
        )  # fmt: skip
    headers = {"X-Truncated": "true"} if r.truncated else {}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
