"""IdentityService over gRPC."""

from __future__ import annotations

from typing import Any

import grpc

from lokos.common.v1 import principal_pb2
from lokos.db import Database
from lokos.identity.v1 import identity_pb2, identity_pb2_grpc
from services.identity import service


class IdentityServicer(identity_pb2_grpc.IdentityServiceServicer):
    def __init__(self, db: Database) -> None:
        self.db = db

    async def GetPrincipal(  # noqa: N802 - gRPC method name
        self, request: identity_pb2.GetPrincipalRequest, ctx: grpc.aio.ServicerContext[Any, Any]
    ) -> principal_pb2.Principal:
        async with self.db.session() as session:
            principal = await service.get_principal(session, request.realm, request.user_id)
        return principal.to_proto()
