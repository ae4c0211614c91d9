"""SHG, VO and CLF methods of ProfilesService."""

from __future__ import annotations

from typing import Any

import grpc

from lokos.profiles.v1 import profiles_pb2
from services.profiles.cbo import service
from services.profiles.deps import Deps
from services.profiles.mapping import cbo_to_proto
from services.profiles.rpcutil import caller, present, today

Ctx = grpc.aio.ServicerContext[Any, Any]


class CboRpc:
    deps: Deps

    async def CreateCbo(
        self, request: profiles_pb2.CreateCboRequest, ctx: Ctx
    ) -> profiles_pb2.CboView:
        async with self.deps.db.session() as session:
            cbo, created = await service.create_cbo(
                session,
                self.deps,
                caller(),
                client_id=request.client_id,
                cbo_type=request.cbo_type,
                block=request.block_lgd_code,
                fields=present(request.fields),
                today=today(),
            )
        if not created:
            await ctx.send_initial_metadata((("x-lokos-replayed", "true"),))
        return cbo_to_proto(cbo)

    async def UpdateCbo(
        self, request: profiles_pb2.UpdateCboRequest, ctx: Ctx
    ) -> profiles_pb2.CboView:
        async with self.deps.db.session() as session:
            cbo = await service.update_cbo(
                session,
                self.deps,
                caller(),
                cbo_id=request.id,
                version=request.version,
                fields=present(request.fields),
                today=today(),
            )
        return cbo_to_proto(cbo)

    async def GetCbo(self, request: profiles_pb2.GetRequest, ctx: Ctx) -> profiles_pb2.CboView:
        cbo, parent, members, remarks = await service.read_cbo(self.deps.db, caller(), request.id)
        return cbo_to_proto(cbo, parent_id=parent, approved_members=members, remarks=remarks)
