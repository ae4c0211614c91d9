"""Member methods of ProfilesService."""

from __future__ import annotations

from typing import Any

import grpc

from lokos.profiles.v1 import profiles_pb2
from services.profiles.deps import Deps
from services.profiles.mapping import member_to_proto
from services.profiles.member import service
from services.profiles.rpcutil import caller, present, today

Ctx = grpc.aio.ServicerContext[Any, Any]


class MemberRpc:
    deps: Deps

    async def CreateMember(
        self, request: profiles_pb2.CreateMemberRequest, ctx: Ctx
    ) -> profiles_pb2.MemberView:
        async with self.deps.db.session() as session:
            member, created = await service.create_member(
                session,
                self.deps,
                caller(),
                client_id=request.client_id,
                shg_id=request.shg_id,
                fields=present(request.fields),
                today=today(),
            )
        if not created:
            await ctx.send_initial_metadata((("x-lokos-replayed", "true"),))
        return member_to_proto(member)

    async def UpdateMember(
        self, request: profiles_pb2.UpdateMemberRequest, ctx: Ctx
    ) -> profiles_pb2.MemberView:
        async with self.deps.db.session() as session:
            member = await service.update_member(
                session,
                self.deps,
                caller(),
                member_id=request.id,
                version=request.version,
                fields=present(request.fields),
                today=today(),
            )
        return member_to_proto(member)

    async def GetMember(
        self, request: profiles_pb2.GetRequest, ctx: Ctx
    ) -> profiles_pb2.MemberView:
        async with self.deps.db.read_session() as session:
            member, remarks = await service.get_member(session, caller(), request.id)
        return member_to_proto(member, remarks)

    async def ListMembers(
        self, request: profiles_pb2.ListMembersRequest, ctx: Ctx
    ) -> profiles_pb2.ListMembersResponse:
        async with self.deps.db.read_session() as session:
            members, total = await service.list_members(
                session, caller(), request.shg_id, request.limit or 50, request.offset
            )
        return profiles_pb2.ListMembersResponse(
            members=[member_to_proto(m) for m in members], total=total
        )
