"""ReportsService over gRPC: proto ↔ the service's dataclasses, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc

from lokos import context
from lokos.reports.v1 import reports_pb2 as pb
from lokos.reports.v1 import reports_pb2_grpc
from lokos.values import timestamp
from services.reports import aggregates, national, service
from services.reports.deps import Deps

Ctx = grpc.aio.ServicerContext[Any, Any]


def _filter(req: pb.GetDashboardRequest) -> service.Filter:
    return service.Filter(
        district=req.district_lgd_code, block=req.block_lgd_code, clf_id=req.clf_id, vo_id=req.vo_id
    )


def _fresh(f: service.Freshness) -> pb.Freshness:
    return pb.Freshness(
        as_of=timestamp(f.as_of), lag_seconds=f.lag_seconds, pending_events=f.pending
    )


def _panels(p: service.Panels) -> pb.Panels:
    return pb.Panels(
        shgs_formed=p.shgs_formed,
        members=p.members,
        sc_members=p.sc,
        st_members=p.st,
        obc_members=p.obc,
        general_members=p.general,
        other_members=p.other,
        with_bank_account=p.with_bank_account,
        without_bank_account=p.without_bank_account,
        without_bank_account_3_months=p.without_bank_account_3_months,
        without_bank_account_6_months=p.without_bank_account_6_months,
        with_transactions=p.with_transactions,
        without_transactions=p.without_transactions,
        compulsory_savings=p.compulsory_savings,
        voluntary_savings=p.voluntary_savings,
        loan_outstanding=p.loan_outstanding,
    )


# gRPC refuses messages above 4 MiB by default; a chunk of long names could pass it.
MAX_MESSAGE_BYTES = 4 * 1024 * 1024 - 64 * 1024


def _within_limit(chunk: pb.ExportChunk, width: int) -> Iterator[pb.ExportChunk]:
    """``chunk`` as it is, or halved (whole rows each) until every part fits in a message."""
    rows = len(chunk.cells) // width if width else 0
    if rows < 2 or chunk.ByteSize() <= MAX_MESSAGE_BYTES:
        yield chunk
        return
    half = rows // 2 * width
    yield from _within_limit(pb.ExportChunk(cells=chunk.cells[:half]), width)
    yield from _within_limit(pb.ExportChunk(cells=chunk.cells[half:]), width)


class ReportsServicer(reports_pb2_grpc.ReportsServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def GetNationalDashboard(
        self, request: pb.NationalDashboardRequest, ctx: Ctx
    ) -> pb.NationalDashboard:
        async with self.deps.db.read_session() as session:
            view = await national.dashboard(
                session,
                context.principal(),
                self.deps.settings.state,
                period=request.period,
                state=request.state,
                district=request.district_lgd_code,
            )
        return pb.NationalDashboard(
            period=view.period,
            level=view.level,
            rows=[
                pb.NationalRow(code=r.code, metrics=r.metrics, as_of=timestamp(r.as_of))
                for r in view.rows
            ],
            total=view.total,
        )

    async def GetDashboard(self, request: pb.GetDashboardRequest, ctx: Ctx) -> pb.Dashboard:
        async with self.deps.db.session() as session:
            d = await service.dashboard(session, context.principal(), _filter(request))
        return pb.Dashboard(
            state=d.state,
            district_lgd_code=d.filter.district,
            block_lgd_code=d.filter.block,
            clf_id=d.filter.clf_id,
            vo_id=d.filter.vo_id,
            shgs_formed=d.panels.shgs_formed,
            panels=_panels(d.panels),
            freshness=_fresh(d.freshness),
        )

    async def DrillDown(self, request: pb.GetDashboardRequest, ctx: Ctx) -> pb.DrillDownResponse:
        async with self.deps.db.session() as session:
            d = await service.drill_down(session, context.principal(), _filter(request))
        return pb.DrillDownResponse(
            level=d.level,
            rows=[
                pb.DrillDownRow(level=r.level, code=r.code, name=r.name, panels=_panels(r.panels))
                for r in d.rows
            ],
            freshness=_fresh(d.freshness),
        )

    async def ListShgs(self, request: pb.ListShgsRequest, ctx: Ctx) -> pb.ListShgsResponse:
        async with self.deps.db.session() as session:
            page = await service.list_shgs(
                session,
                context.principal(),
                _filter(request.filter),
                request.page_size,
                request.page_token,
            )
        return pb.ListShgsResponse(
            shgs=[
                pb.ShgRow(
                    shg_id=s.shg_id,
                    code=s.code,
                    name=s.name,
                    status=s.status,
                    district_lgd_code=s.district,
                    block_lgd_code=s.block,
                    vo_id=s.vo_id,
                    clf_id=s.clf_id,
                    formed_on=timestamp(s.formed_on),
                    has_bank_account=s.has_bank_account,
                    panels=_panels(s.panels),
                )
                for s in page.shgs
            ],
            next_page_token=page.next_page_token,
            freshness=_fresh(page.freshness),
        )

    async def GetCboSummary(self, request: pb.GetDashboardRequest, ctx: Ctx) -> pb.CboSummary:
        async with self.deps.db.session() as session:
            s = await service.cbo_summary(session, context.principal(), _filter(request))
        return pb.CboSummary(
            cbos=[pb.CboSummaryRow(**vars(line)) for line in s.cbos],
            meetings=[pb.MeetingSummaryRow(**vars(line)) for line in s.meetings],
            freshness=_fresh(s.freshness),
        )

    async def GetUserReport(self, request: pb.GetDashboardRequest, ctx: Ctx) -> pb.UserReport:
        async with self.deps.db.session() as session:
            u = await service.user_report(session, context.principal(), _filter(request))
        return pb.UserReport(
            rows=[
                pb.UserReportRow(
                    level=r.level,
                    role=r.role,
                    active=r.active,
                    inactive=r.inactive,
                    mapped=r.mapped,
                    unmapped=r.unmapped,
                    logged_in_last_30_days=r.logged_in_last_30_days,
                    never_logged_in=r.never_logged_in,
                    last_login=timestamp(r.last_login),
                )
                for r in u.rows
            ],
            freshness=_fresh(u.freshness),
        )

    async def GetLoanReport(self, request: pb.LoanReportRequest, ctx: Ctx) -> pb.LoanReport:
        async with self.deps.db.session() as session:
            r = await service.loan_report(
                session,
                context.principal(),
                _filter(request.filter),
                request.from_date,
                request.to_date,
            )
        return pb.LoanReport(
            level=r.level,
            dcb=[pb.DcbRow(**vars(line)) for line in r.dcb],
            ageing=[pb.AgeingBucket(**vars(line)) for line in r.ageing],
            par=[pb.ParRow(**vars(line)) for line in r.par],
            passbook=pb.PassbookSummary(**vars(r.passbook)),
            freshness=_fresh(r.freshness),
        )

    async def GetBookkeeperReport(
        self, request: pb.BookkeeperReportRequest, ctx: Ctx
    ) -> pb.BookkeeperReport:
        async with self.deps.db.session() as session:
            r = await service.bookkeeper_report(
                session, context.principal(), _filter(request.filter), request.month
            )
        return pb.BookkeeperReport(
            month=r.month,
            rows=[pb.BookkeeperRow(**vars(line)) for line in r.rows],
            freshness=_fresh(r.freshness),
        )

    async def ExportReport(
        self, request: pb.ExportRequest, ctx: Ctx
    ) -> AsyncIterator[pb.ExportChunk]:
        async with self.deps.db.session() as session:
            header, chunks = await service.export(
                session,
                context.principal(),
                request.report,
                _filter(request.filter),
                service.ExportOptions(request.from_date, request.to_date, request.month),
            )
            yield pb.ExportChunk(header=header)
            async for cells in chunks:
                for message in _within_limit(pb.ExportChunk(cells=cells), len(header)):
                    yield message

    async def GetAggregates(self, request: pb.GetAggregatesRequest, ctx: Ctx) -> pb.AggregatesPage:
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
        async with self.deps.db.read_session() as session:
            page = await aggregates.aggregates(
                session, principal, query, threshold=self.deps.settings.small_cell_threshold
            )
        measures = aggregates.MEASURES
        return pb.AggregatesPage(
            state=principal.state,
            more=page.more,
            suppression_threshold=self.deps.settings.small_cell_threshold,
            measures=measures,
            rows=[
                pb.AggregateRow(
                    district_lgd_code=r.district,
                    block_lgd_code=r.block,
                    period=r.period,
                    values=[0 if m in r.withheld else r.values[m] for m in measures],
                    suppressed=sum(1 << i for i, m in enumerate(measures) if m in r.withheld),
                )
                for r in page.rows
            ],
        )
