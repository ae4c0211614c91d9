"""DedupService over gRPC: thin; the rules are in :mod:`services.dedup.service`."""

from __future__ import annotations

from typing import Any

import grpc

from lokos import context
from lokos.dedup.v1 import dedup_pb2, dedup_pb2_grpc
from lokos.values import timestamp
from services.dedup import rules
from services.dedup.deps import Deps
from services.dedup.service import result_to_proto

Ctx = grpc.aio.ServicerContext[Any, Any]


def job_to_proto(job: dict[str, Any], existing: bool = False) -> dedup_pb2.RefreshJob:
    return dedup_pb2.RefreshJob(
        id=str(job["id"]),
        state=job["state"],
        block_lgd_code=job["block_lgd_code"],
        status=job["status"],
        total=job["total"],
        done=job["done"],
        confirmed=job["confirmed"],
        potential=job["potential"],
        requested_by=job["requested_by"],
        requested_at=timestamp(job["requested_at"]),
        finished_at=timestamp(job["finished_at"]),
        error=job["error"],
        existing=existing,
    )


def rules_to_proto(rule_set: rules.RuleSet) -> dedup_pb2.RuleSet:
    return dedup_pb2.RuleSet(
        state=rule_set.state,
        updated_by=rule_set.updated_by,
        rules=[
            dedup_pb2.Rule(
                name=r.name,
                kind=r.kind,
                name_threshold=r.name_threshold,
                relative_threshold=r.relative_threshold,
                within=r.within,
                exempt_same_household=r.exempt_same_household,
            )
            for r in rule_set.rules
        ],
    )


class DedupServicer(dedup_pb2_grpc.DedupServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def CheckMember(
        self, request: dedup_pb2.CheckMemberRequest, ctx: Ctx
    ) -> dedup_pb2.CheckResult:
        principal = context.principal()
        async with self.deps.db.session() as session:
            checked = await self.deps.dedup.check(session, principal, request)
        return result_to_proto(checked, principal)

    async def GetMemberDuplicates(
        self, request: dedup_pb2.GetMemberDuplicatesRequest, ctx: Ctx
    ) -> dedup_pb2.CheckResult:
        principal = context.principal()
        checked = await self.deps.dedup.duplicates(principal, request.member_id)
        return result_to_proto(checked, principal)

    async def DecidePair(
        self, request: dedup_pb2.DecidePairRequest, ctx: Ctx
    ) -> dedup_pb2.CheckResult:
        principal = context.principal()
        async with self.deps.db.session() as session:
            checked = await self.deps.dedup.decide(session, principal, request)
        return result_to_proto(checked, principal)

    async def StartRefresh(
        self, request: dedup_pb2.StartRefreshRequest, ctx: Ctx
    ) -> dedup_pb2.RefreshJob:
        job, existing = await self.deps.refresher.start(context.principal(), request.block_lgd_code)
        return job_to_proto(job, existing)

    async def GetRefresh(
        self, request: dedup_pb2.GetRefreshRequest, ctx: Ctx
    ) -> dedup_pb2.RefreshJob:
        return job_to_proto(await self.deps.refresher.get(context.principal(), request.id))

    async def GetRules(self, request: dedup_pb2.GetRulesRequest, ctx: Ctx) -> dedup_pb2.RuleSet:
        return rules_to_proto(await self.deps.dedup.rules_for(context.principal()))

    async def ExportLabelledPairs(
        self, request: dedup_pb2.ExportLabelledPairsRequest, ctx: Ctx
    ) -> dedup_pb2.LabelledPairs:
        async with self.deps.db.session() as session:
            pairs, truncated = await self.deps.dedup.labelled_pairs(
                session, context.principal(), request.block_lgd_code
            )
        return dedup_pb2.LabelledPairs(
            pairs=[
                dedup_pb2.LabelledPair(
                    name=p.name,
                    relative_name=p.relative_name,
                    other_name=p.other_name,
                    other_relative_name=p.other_relative_name,
                    same=p.same,
                )
                for p in pairs
            ],
            truncated=truncated,
        )

    async def SetRules(self, request: dedup_pb2.RuleSet, ctx: Ctx) -> dedup_pb2.RuleSet:
        given = [
            rules.Rule(
                name=r.name,
                kind=r.kind,
                name_threshold=r.name_threshold,
                relative_threshold=r.relative_threshold,
                within=r.within,
                exempt_same_household=r.exempt_same_household,
            )
            for r in request.rules
        ]
        async with self.deps.db.session() as session:
            rule_set = await self.deps.dedup.set_rules(session, context.principal(), given)
        return rules_to_proto(rule_set)
