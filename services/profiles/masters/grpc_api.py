"""ListMasters over gRPC: the masters as proto messages. Masters are public reference data."""

from __future__ import annotations

from typing import Any

import grpc

from lokos.errors import NotFound
from lokos.profiles.v1 import profiles_pb2
from services.profiles.masters import data


def master_to_proto(name: str) -> profiles_pb2.Master:
    return profiles_pb2.Master(
        name=name,
        items=[
            profiles_pb2.MasterItem(code=i.code, label_en=i.label_en, label_local=i.label_hi)
            for i in data.items(name)
        ],
    )


class MastersRpc:
    """The masters part of the profiles servicer (a mixin)."""

    async def ListMasters(
        self, request: profiles_pb2.ListMastersRequest, ctx: grpc.aio.ServicerContext[Any, Any]
    ) -> profiles_pb2.ListMastersResponse:
        if request.name and request.name not in data.MASTERS:
            raise NotFound(f"no master named {request.name[:40]!r}", code="master_not_found")
        wanted = [request.name] if request.name else list(data.names())
        return profiles_pb2.ListMastersResponse(masters=[master_to_proto(n) for n in wanted])
