"""Maker-checker methods of ProfilesService: submit, approve, reject, status, My Task."""

from __future__ import annotations

from typing import Any

import grpc

from lokos.profiles.v1 import profiles_pb2
from lokos.values import timestamp
from services.profiles.deps import Deps
from services.profiles.mapping import submission_to_proto
from services.profiles.models import Cbo, Member, Submission
from services.profiles.review import flows
from services.profiles.rpcutil import caller, today

Ctx = grpc.aio.ServicerContext[Any, Any]


def _view(s: Submission, record: Cbo | Member) -> profiles_pb2.SubmissionView:
    return submission_to_proto(
        s, entity_status=record.status, entity_code=record.code or "", entity_name=record.name
    )


def _checks(request: profiles_pb2.DecisionRequest) -> list[tuple[str, str, str]]:
    return [(c.identifier, c.status, c.remark) for c in request.identifiers]


class ReviewRpc:
    deps: Deps

    async def Submit(
        self, request: profiles_pb2.SubmitRequest, ctx: Ctx
    ) -> profiles_pb2.SubmissionView:
        async with self.deps.db.session() as session:
            s, record = await flows.submit(
                session,
                caller(),
                deps=self.deps,
                entity_type=request.entity_type,
                entity_id=request.id,
                version=request.version,
                today=today(),
            )
            return _view(s, record)

    async def Approve(
        self, request: profiles_pb2.DecisionRequest, ctx: Ctx
    ) -> profiles_pb2.SubmissionView:
        async with self.deps.db.session() as session:
            s, record = await flows.approve(
                session,
                self.deps,
                caller(),
                submission_id=request.id,
                identifier_checks=_checks(request),
                today=today(),
            )
            return _view(s, record)

    async def Reject(
        self, request: profiles_pb2.DecisionRequest, ctx: Ctx
    ) -> profiles_pb2.SubmissionView:
        async with self.deps.db.session() as session:
            s, record = await flows.reject(
                session,
                caller(),
                submission_id=request.id,
                remarks=list(request.remarks),
                identifier_checks=_checks(request),
            )
            return _view(s, record)

    async def GetSubmission(
        self, request: profiles_pb2.GetRequest, ctx: Ctx
    ) -> profiles_pb2.SubmissionView:
        async with self.deps.db.read_session() as session:
            s, record = await flows.get_submission(session, caller(), request.id)
            return _view(s, record)

    async def MyTask(
        self, request: profiles_pb2.MyTaskRequest, ctx: Ctx
    ) -> profiles_pb2.MyTaskResponse:
        items, total, counts = await flows.my_task(
            self.deps.db,
            caller(),
            entity_type=request.entity_type,
            block=request.block_lgd_code,
            panchayat=request.panchayat_lgd_code,
            village=request.village_lgd_code,
            code=request.code,
            name=request.name,
            limit=request.limit or 50,
            offset=request.offset,
        )
        return profiles_pb2.MyTaskResponse(
            items=[
                profiles_pb2.TaskItem(
                    submission_id=str(t.submission_id),
                    entity_type=t.entity_type,
                    entity_id=str(t.entity_id),
                    name=t.name,
                    code=t.code,
                    maker=t.maker,
                    submitted_at=timestamp(t.submitted_at),
                    block_lgd_code=t.block,
                    panchayat_lgd_code=t.panchayat,
                    village_lgd_code=t.village,
                    duplication=t.duplication,
                )
                for t in items
            ],
            total=total,
            counts=[
                profiles_pb2.TaskCount(entity_type=k, pending=v) for k, v in sorted(counts.items())
            ],
        )
