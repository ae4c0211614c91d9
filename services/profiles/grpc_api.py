"""ProfilesService over gRPC: translate proto ↔ domain and call the service. No rules here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import grpc

from lokos import context
from lokos.db import Database
from lokos.profiles.v1 import profiles_pb2, profiles_pb2_grpc
from services.profiles import service
from services.profiles.mapping import block_to_proto, district_to_proto, shg_to_proto


class ProfilesServicer(profiles_pb2_grpc.ProfilesServiceServicer):
    def __init__(self, db: Database) -> None:
        self.db = db

    async def CreateDistrict(
        self, request: profiles_pb2.CreateDistrictRequest, ctx: grpc.aio.ServicerContext[Any, Any]
    ) -> profiles_pb2.District:
        async with self.db.session() as session:
            d = await service.create_district(
                session, context.principal(), request.lgd_code, request.name
            )
        return district_to_proto(d)

    async def CreateBlock(
        self, request: profiles_pb2.CreateBlockRequest, ctx: grpc.aio.ServicerContext[Any, Any]
    ) -> profiles_pb2.Block:
        principal = context.principal()
        async with self.db.session() as session:
            b = await service.create_block(
                session, principal, request.lgd_code, request.name, request.district_lgd_code
            )
        return block_to_proto(b, principal.state)

    async def CreateShg(
        self, request: profiles_pb2.CreateShgRequest, ctx: grpc.aio.ServicerContext[Any, Any]
    ) -> profiles_pb2.Shg:
        formed_on = request.formed_on.ToDatetime().date() if request.HasField("formed_on") else None
        async with self.db.session() as session:
            shg, created = await service.create_shg(
                session,
                context.principal(),
                client_id=request.client_id,
                name=request.name,
                block_lgd_code=request.block_lgd_code,
                formed_on=formed_on,
                today=datetime.now(UTC).date(),
            )
        if not created:
            await ctx.send_initial_metadata((("x-lokos-replayed", "true"),))
        return shg_to_proto(shg)

    async def GetShg(
        self, request: profiles_pb2.GetShgRequest, ctx: grpc.aio.ServicerContext[Any, Any]
    ) -> profiles_pb2.Shg:
        shg = await service.get_shg(self.db, context.principal(), request.id)
        return shg_to_proto(shg)

    async def ResolveUnits(
        self, request: profiles_pb2.ResolveUnitsRequest, ctx: grpc.aio.ServicerContext[Any, Any]
    ) -> profiles_pb2.ResolveUnitsResponse:
        refs = [(u.level, u.lgd_code) for u in request.units]
        async with self.db.session() as session:
            found = await service.resolve_units(session, refs)
        resp = profiles_pb2.ResolveUnitsResponse()
        for level, code in refs:
            path = found.get((level, code))
            unit = resp.paths.add(level=level, lgd_code=code, found=path is not None)
            if path is not None:
                unit.state = path.state
                unit.district_lgd_code = path.district
                unit.block_lgd_code = path.block
        return resp
