"""ReportsService over gRPC."""

from __future__ import annotations

from typing import Any

import grpc

from lokos import context
from lokos.db import Database
from lokos.reports.v1 import reports_pb2, reports_pb2_grpc
from services.reports import aggregates, service


class ReportsServicer(reports_pb2_grpc.ReportsServiceServicer):
    def __init__(self, db: Database, small_cell_threshold: int = 5) -> None:
        self.db = db
        self.small_cell_threshold = small_cell_threshold

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

    async def GetAggregates(
        self, request: reports_pb2.GetAggregatesRequest, ctx: grpc.aio.ServicerContext[Any, Any]
    ) -> reports_pb2.AggregatesPage:
        after = (request.after_district, request.after_block, request.after_period)
        query = aggregates.Query(
            group_by=request.group_by,
            district=request.district_lgd_code,
            block=request.block_lgd_code,
            period_from=request.period_from,
            period_to=request.period_to,
            after=after if any(after) else None,
            limit=request.limit or 100,
        )
        principal = context.principal()
        async with self.db.read_session() as session:
            page = await aggregates.aggregates(
                session, principal, query, threshold=self.small_cell_threshold
            )
        measures = aggregates.MEASURES
        return reports_pb2.AggregatesPage(
            state=principal.state,
            more=page.more,
            suppression_threshold=self.small_cell_threshold,
            measures=measures,
            rows=[
                reports_pb2.AggregateRow(
                    district_lgd_code=r.district,
                    block_lgd_code=r.block,
                    period=r.period,
                    values=[0 if m in r.withheld else r.values[m] for m in measures],
                    suppressed=sum(1 << i for i, m in enumerate(measures) if m in r.withheld),
                )
                for r in page.rows
            ],
        )
