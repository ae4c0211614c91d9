"""Where a geography unit sits, asked of profiles (which owns the masters) over gRPC."""

from __future__ import annotations

from typing import Protocol

import grpc

from lokos import context
from lokos.errors import FieldError, ValidationFailed
from lokos.principal import GeoPath
from lokos.profiles.v1 import profiles_pb2, profiles_pb2_grpc
from lokos.rpc import error_from_rpc, service_metadata


class Geography(Protocol):
    async def resolve(self, units: list[tuple[str, str]]) -> dict[tuple[str, str], GeoPath]: ...


class ProfilesGeography:
    """Identity asks as itself (its system principal): where a unit sits is not the user's
    question, and identity checks the user's reach over the answer."""

    def __init__(self, channel: grpc.aio.Channel, deadline: float) -> None:
        self.stub = profiles_pb2_grpc.ProfilesServiceStub(channel)
        self.deadline = deadline

    async def resolve(self, units: list[tuple[str, str]]) -> dict[tuple[str, str], GeoPath]:
        if not units:
            return {}
        request = profiles_pb2.ResolveUnitsRequest(
            units=[profiles_pb2.UnitRef(level=level, lgd_code=code) for level, code in units]
        )
        try:
            resp = await self.stub.ResolveUnits(
                request,
                metadata=service_metadata(context.request_id()),
                timeout=self.deadline,
            )
        except grpc.aio.AioRpcError as exc:
            raise error_from_rpc(exc) from exc
        return {
            (p.level, p.lgd_code): GeoPath(
                p.state,
                district=p.district_lgd_code,
                block=p.block_lgd_code,
                panchayat=p.panchayat_lgd_code,
                village=p.village_lgd_code,
            )
            for p in resp.paths
            if p.found
        }


async def resolve_scope(
    geography: Geography, state: str, level: str, codes: tuple[str, ...], field: str
) -> list[GeoPath]:
    """The units of one grant's scope; unknown or other-state units are field errors."""
    if level == "national":
        return [GeoPath("national")]
    if level == "state":
        return [GeoPath(state)]
    found = await geography.resolve([(level, c) for c in codes])
    missing = [c for c in codes if (level, c) not in found or found[(level, c)].state != state]
    if missing:
        raise ValidationFailed(
            [
                FieldError(
                    f"{field}.scope.codes",
                    f"no such {level} in this state: {', '.join(missing)}",
                    "unknown",
                )
            ]
        )
    return [found[(level, c)] for c in codes]
