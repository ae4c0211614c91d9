"""Federation methods of ProfilesService."""

from __future__ import annotations

from typing import Any

import grpc

from lokos.profiles.v1 import profiles_pb2
from services.profiles.deps import Deps
from services.profiles.federation import service
from services.profiles.rpcutil import caller

Ctx = grpc.aio.ServicerContext[Any, Any]


class FederationRpc:
    deps: Deps

    async def LinkFederation(
        self, request: profiles_pb2.LinkFederationRequest, ctx: Ctx
    ) -> profiles_pb2.FederationView:
        async with self.deps.db.session() as session:
            return await service.link(session, caller(), request.child_id, request.parent_id)

    async def FederationHistory(
        self, request: profiles_pb2.GetRequest, ctx: Ctx
    ) -> profiles_pb2.FederationHistoryResponse:
        async with self.deps.db.read_session() as session:
            links = await service.history(session, caller(), request.id)
        return profiles_pb2.FederationHistoryResponse(links=links)
