"""The totals method of ProfilesService."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import grpc

from lokos.profiles.v1 import profiles_pb2
from services.profiles.deps import Deps
from services.profiles.rpcutil import caller
from services.profiles.totals import service

Ctx = grpc.aio.ServicerContext[Any, Any]


class TotalsRpc:
    deps: Deps

    async def CountShgsByBlock(
        self, request: profiles_pb2.CountShgsByBlockRequest, ctx: Ctx
    ) -> profiles_pb2.CountShgsByBlockResponse:
        async with self.deps.db.read_session() as session:
            blocks = await service.count_shgs_by_block(session, caller())
        return profiles_pb2.CountShgsByBlockResponse(
            blocks=[profiles_pb2.ShgBlockCount(**asdict(b)) for b in blocks]
        )
