"""Geography over gRPC: translate proto ↔ domain and call the rules. No rules here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc

from lokos import context
from lokos.errors import LokosError
from lokos.profiles.v1 import profiles_pb2
from services.profiles.deps import Deps
from services.profiles.geography import importer, service
from services.profiles.mapping import block_to_proto, district_to_proto
from services.profiles.models import GeoUnit
from services.profiles.uploads import Upload


def unit_to_proto(u: GeoUnit) -> profiles_pb2.GeoUnit:
    return profiles_pb2.GeoUnit(
        level=u.level,
        lgd_code=u.lgd_code,
        parent_code=u.parent_code,
        name_en=u.name_en,
        name_local=u.name_local,
        state=u.state,
        district_lgd_code=u.district_lgd_code,
        block_lgd_code=u.block_lgd_code,
        panchayat_lgd_code=u.panchayat_lgd_code,
    )


class GeographyRpc:
    """The geography part of the profiles servicer (a mixin; the servicer sets ``deps``)."""

    deps: Deps

    async def CreateDistrict(
        self, request: profiles_pb2.CreateDistrictRequest, ctx: grpc.aio.ServicerContext[Any, Any]
    ) -> profiles_pb2.District:
        async with self.deps.db.session() as session:
            district = await service.create_district(
                session,
                context.principal(),
                self.deps.settings.state,
                lgd_code=request.lgd_code,
                name=request.name,
                name_local=request.name_local,
            )
        return district_to_proto(district)

    async def CreateBlock(
        self, request: profiles_pb2.CreateBlockRequest, ctx: grpc.aio.ServicerContext[Any, Any]
    ) -> profiles_pb2.Block:
        async with self.deps.db.session() as session:
            block = await service.create_block(
                session,
                context.principal(),
                self.deps.settings.state,
                lgd_code=request.lgd_code,
                name=request.name,
                district_lgd_code=request.district_lgd_code,
                name_local=request.name_local,
            )
        return block_to_proto(block)

    async def ImportGeography(
        self,
        request_iterator: AsyncIterator[profiles_pb2.CsvChunk],
        ctx: grpc.aio.ServicerContext[Any, Any],
    ) -> profiles_pb2.ImportReport:
        # Answer only after the client has sent everything (see services/profiles/uploads.py).
        upload = Upload(request_iterator)
        limit = self.deps.settings.max_import_bytes
        try:
            report = await importer.import_geography(
                self.deps, context.principal(), upload.chunks()
            )
        except LokosError:
            await upload.drain(limit)
            raise
        await upload.drain(limit)
        return report

    async def ListUnits(
        self, request: profiles_pb2.ListUnitsRequest, ctx: grpc.aio.ServicerContext[Any, Any]
    ) -> profiles_pb2.ListUnitsResponse:
        context.principal()  # any authenticated caller
        async with self.deps.db.read_session() as session:
            units = await service.list_units(
                session,
                self.deps.settings.state,
                level=request.level,
                parent_code=request.parent_code,
            )
        return profiles_pb2.ListUnitsResponse(units=[unit_to_proto(u) for u in units])

    async def ResolveUnits(
        self, request: profiles_pb2.ResolveUnitsRequest, ctx: grpc.aio.ServicerContext[Any, Any]
    ) -> profiles_pb2.ResolveUnitsResponse:
        refs = [(u.level, u.lgd_code) for u in request.units]
        async with self.deps.db.read_session() as session:
            found = await service.resolve_units(session, refs)
        resp = profiles_pb2.ResolveUnitsResponse()
        for level, code in refs:
            path = found.get((level, code))
            unit = resp.paths.add(level=level, lgd_code=code, found=path is not None)
            if path is not None:
                unit.state = path.state
                unit.district_lgd_code = path.district
                unit.block_lgd_code = path.block
                unit.panchayat_lgd_code = path.panchayat
                unit.village_lgd_code = path.village
        return resp
