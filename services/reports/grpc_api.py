"""ReportsService over gRPC."""

from __future__ import annotations

from typing import Any

import grpc

from lokos import context
from lokos.db import Database
from lokos.reports.v1 import reports_pb2, reports_pb2_grpc
from services.reports import service


class ReportsServicer(reports_pb2_grpc.ReportsServiceServicer):
    def __init__(self, db: Database) -> None:
        self.db = db

    async def GetDashboard(
        self, request: reports_pb2.GetDashboardRequest, ctx: grpc.aio.ServicerContext[Any, Any]
    ) -> reports_pb2.Dashboard:
        async with self.db.session() as session:
            d = await service.dashboard(
                session,
                context.principal(),
                district=request.district_lgd_code,
                block=request.block_lgd_code,
            )
        return reports_pb2.Dashboard(
            state=d.state,
            district_lgd_code=d.district_lgd_code,
            block_lgd_code=d.block_lgd_code,
            shgs_formed=d.shgs_formed,
        )
