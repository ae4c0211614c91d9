"""Reports, read from the reports service's read models: the dashboard (R1) and its
drill-down to the SHG list, the CBO summary (R2) with its meetings counterpart, the user
report, and every report as a CSV or XLSX download. The service confines each to the
caller's reach; here requests are translated, nothing decided."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from gateway import exports
from gateway.auth import allow
from gateway.routes.common import PROBLEM_RESPONSES, ServiceClients, Staff, metadata
from lokos import catalogue
from lokos.principal import Principal
from lokos.reports.v1 import reports_pb2 as pb

router = APIRouter(prefix="/reports", tags=["reports"], responses=PROBLEM_RESPONSES)

# Downloads may run for minutes on a state's lakhs of SHGs; the ordinary deadline would cut them.
EXPORT_DEADLINE_SECONDS = 1800.0
_CODE = r"^[0-9]{0,16}$"
_ID = r"^[0-9A-Za-z-]{0,64}$"


class ReportFilter(BaseModel):
    district_lgd_code: str = Field("", pattern=_CODE)
    block_lgd_code: str = Field("", pattern=_CODE)
    clf_id: str = Field("", pattern=_ID, description="SHGs of one CLF (through its VOs)")
    vo_id: str = Field("", pattern=_ID, description="SHGs of one VO")

    def proto(self) -> pb.GetDashboardRequest:
        return pb.GetDashboardRequest(
            district_lgd_code=self.district_lgd_code,
            block_lgd_code=self.block_lgd_code,
            clf_id=self.clf_id,
            vo_id=self.vo_id,
        )


def _filter(
    district_lgd_code: Annotated[str, Query(pattern=_CODE)] = "",
    block_lgd_code: Annotated[str, Query(pattern=_CODE)] = "",
    clf_id: Annotated[str, Query(pattern=_ID)] = "",
    vo_id: Annotated[str, Query(pattern=_ID)] = "",
) -> ReportFilter:
    return ReportFilter(
        district_lgd_code=district_lgd_code,
        block_lgd_code=block_lgd_code,
        clf_id=clf_id,
        vo_id=vo_id,
    )


Filter = Annotated[ReportFilter, Depends(_filter)]


class FreshnessOut(BaseModel):
    as_of: datetime | None = Field(description="When the last event applied happened")
    lag_seconds: int = Field(description="How far behind the events the numbers are")
    pending_events: int


class PanelsOut(BaseModel):
    shgs_formed: int
    members: int
    sc_members: int
    st_members: int
    obc_members: int
    general_members: int
    other_members: int
    with_bank_account: int
    without_bank_account: int
    without_bank_account_3_months: int
    without_bank_account_6_months: int
    with_transactions: int
    without_transactions: int
    compulsory_savings: int
    voluntary_savings: int
    loan_outstanding: int


class DashboardOut(BaseModel):
    state: str
    district_lgd_code: str
    block_lgd_code: str
    clf_id: str
    vo_id: str
    shgs_formed: int
    panels: PanelsOut
    freshness: FreshnessOut


class DrillDownRowOut(BaseModel):
    level: str
    code: str
    name: str
    panels: PanelsOut


class DrillDownOut(BaseModel):
    level: str = Field(description='"district", "block", "clf", "vo" or "shg"')
    rows: list[DrillDownRowOut]
    freshness: FreshnessOut


class ShgRowOut(BaseModel):
    shg_id: str
    code: str
    name: str
    status: str
    district_lgd_code: str
    block_lgd_code: str
    vo_id: str
    clf_id: str
    formed_on: date | None
    has_bank_account: bool
    panels: PanelsOut


class ShgListOut(BaseModel):
    shgs: list[ShgRowOut]
    next_page_token: str
    freshness: FreshnessOut


class CboSummaryRowOut(BaseModel):
    cbo_type: str
    bookkeepers: int
    bookkeepers_mapped: int
    total: int
    mapped: int
    mapped_percent: int
    mapped_migrated: int
    mapped_new: int
    approved: int
    rejected: int
    pending_with_block_manager: int
    incomplete: int
    pending_with_bookkeeper: int
    approved_percent_of_mapped: int
    approved_percent_overall: int


class MeetingSummaryRowOut(BaseModel):
    cbo_type: str
    submitted: int
    approved: int
    rejected: int
    pending_with_approver: int
    pending_with_bookkeeper: int
    cbos_with_cutoff: int
    cbos_met_last_30_days: int
    cbos_met_last_60_days: int
    cbos_met_last_90_days: int


class CboSummaryOut(BaseModel):
    cbos: list[CboSummaryRowOut]
    meetings: list[MeetingSummaryRowOut]
    freshness: FreshnessOut


class UserReportRowOut(BaseModel):
    level: str
    role: str
    active: int
    inactive: int
    mapped: int
    unmapped: int
    logged_in_last_30_days: int
    never_logged_in: int
    last_login: datetime | None


class UserReportOut(BaseModel):
    rows: list[UserReportRowOut]
    freshness: FreshnessOut


def _fresh(f: pb.Freshness) -> FreshnessOut:
    as_of = f.as_of.ToDatetime().astimezone() if f.HasField("as_of") else None
    return FreshnessOut(as_of=as_of, lag_seconds=f.lag_seconds, pending_events=f.pending_events)


def _panels(p: pb.Panels) -> PanelsOut:
    return PanelsOut(
        shgs_formed=p.shgs_formed,
        members=p.members,
        sc_members=p.sc_members,
        st_members=p.st_members,
        obc_members=p.obc_members,
        general_members=p.general_members,
        other_members=p.other_members,
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


@router.get("/dashboard")
async def dashboard(principal: Staff, c: ServiceClients, f: Filter) -> DashboardOut:
    """R1: SHGs information, bank status and transaction status for the filter (State when
    empty; District, Block, or a CLF/VO of the federation)."""
    d = await c.reports.GetDashboard(f.proto(), metadata=metadata(principal), timeout=c.deadline)
    return DashboardOut(
        state=d.state,
        district_lgd_code=d.district_lgd_code,
        block_lgd_code=d.block_lgd_code,
        clf_id=d.clf_id,
        vo_id=d.vo_id,
        shgs_formed=d.shgs_formed,
        panels=_panels(d.panels),
        freshness=_fresh(d.freshness),
    )


@router.get("/dashboard/drill-down")
async def drill_down(principal: Staff, c: ServiceClients, f: Filter) -> DrillDownOut:
    """The dashboard of each unit one level below the filter: districts of the state, blocks
    of a district, CLFs of a block, VOs of a CLF, SHGs of a VO."""
    d = await c.reports.DrillDown(f.proto(), metadata=metadata(principal), timeout=c.deadline)
    return DrillDownOut(
        level=d.level,
        rows=[
            DrillDownRowOut(level=r.level, code=r.code, name=r.name, panels=_panels(r.panels))
            for r in d.rows
        ],
        freshness=_fresh(d.freshness),
    )


@router.get("/shgs")
async def shgs(
    principal: Staff,
    c: ServiceClients,
    f: Filter,
    page_size: Annotated[int, Query(ge=1, le=500)] = 100,
    page_token: Annotated[str, Query(pattern=_ID)] = "",
) -> ShgListOut:
    """The SHGs of a block, CLF or VO with their dashboard numbers, a page at a time."""
    r = await c.reports.ListShgs(
        pb.ListShgsRequest(filter=f.proto(), page_size=page_size, page_token=page_token),
        metadata=metadata(principal),
        timeout=c.deadline,
    )
    return ShgListOut(
        shgs=[
            ShgRowOut(
                shg_id=s.shg_id,
                code=s.code,
                name=s.name,
                status=s.status,
                district_lgd_code=s.district_lgd_code,
                block_lgd_code=s.block_lgd_code,
                vo_id=s.vo_id,
                clf_id=s.clf_id,
                formed_on=s.formed_on.ToDatetime().date() if s.HasField("formed_on") else None,
                has_bank_account=s.has_bank_account,
                panels=_panels(s.panels),
            )
            for s in r.shgs
        ],
        next_page_token=r.next_page_token,
        freshness=_fresh(r.freshness),
    )


@router.get("/cbo-summary")
async def cbo_summary(principal: Staff, c: ServiceClients, f: Filter) -> CboSummaryOut:
    """R2 per CBO type (SHG, VO, CLF), and the same for meetings and cut-offs."""
    s = await c.reports.GetCboSummary(f.proto(), metadata=metadata(principal), timeout=c.deadline)
    return CboSummaryOut(
        cbos=[
            CboSummaryRowOut(
                cbo_type=r.cbo_type,
                bookkeepers=r.bookkeepers,
                bookkeepers_mapped=r.bookkeepers_mapped,
                total=r.total,
                mapped=r.mapped,
                mapped_percent=r.mapped_percent,
                mapped_migrated=r.mapped_migrated,
                mapped_new=r.mapped_new,
                approved=r.approved,
                rejected=r.rejected,
                pending_with_block_manager=r.pending_with_block_manager,
                incomplete=r.incomplete,
                pending_with_bookkeeper=r.pending_with_bookkeeper,
                approved_percent_of_mapped=r.approved_percent_of_mapped,
                approved_percent_overall=r.approved_percent_overall,
            )
            for r in s.cbos
        ],
        meetings=[
            MeetingSummaryRowOut(
                cbo_type=m.cbo_type,
                submitted=m.submitted,
                approved=m.approved,
                rejected=m.rejected,
                pending_with_approver=m.pending_with_approver,
                pending_with_bookkeeper=m.pending_with_bookkeeper,
                cbos_with_cutoff=m.cbos_with_cutoff,
                cbos_met_last_30_days=m.cbos_met_last_30_days,
                cbos_met_last_60_days=m.cbos_met_last_60_days,
                cbos_met_last_90_days=m.cbos_met_last_90_days,
            )
            for m in s.meetings
        ],
        freshness=_fresh(s.freshness),
    )


@router.get("/users")
async def user_report(principal: Staff, c: ServiceClients, f: Filter) -> UserReportOut:
    """Users by level and role: active/inactive, mapped to CBOs or not, logins."""
    u = await c.reports.GetUserReport(f.proto(), metadata=metadata(principal), timeout=c.deadline)
    return UserReportOut(
        rows=[
            UserReportRowOut(
                level=r.level,
                role=r.role,
                active=r.active,
                inactive=r.inactive,
                mapped=r.mapped,
                unmapped=r.unmapped,
                logged_in_last_30_days=r.logged_in_last_30_days,
                never_logged_in=r.never_logged_in,
                last_login=r.last_login.ToDatetime().astimezone()
                if r.HasField("last_login")
                else None,
            )
            for r in u.rows
        ],
        freshness=_fresh(u.freshness),
    )


class DcbRowOut(BaseModel):
    level: str
    code: str
    name: str
    opening_overdue_principal: int
    opening_overdue_interest: int
    demand_principal: int
    demand_interest: int
    collected_principal: int
    collected_interest: int
    closing_overdue_principal: int
    closing_overdue_interest: int
    closing_outstanding: int
    repayment_rate_percent: int


class AgeingBucketOut(BaseModel):
    bucket: str
    loans: int
    outstanding_principal: int
    overdue_principal: int
    overdue_interest: int


class ParRowOut(BaseModel):
    source: str
    loans: int
    outstanding_principal: int
    overdue_principal: int
    overdue_interest: int
    par_percent: int
    par_30_percent: int
    par_90_percent: int


class PassbookSummaryOut(BaseModel):
    members_with_loans: int
    open_loans: int
    members_overdue: int
    loans_disbursed: int
    amount_disbursed: int


class LoanReportOut(BaseModel):
    level: str
    dcb: list[DcbRowOut]
    ageing: list[AgeingBucketOut]
    par: list[ParRowOut]
    passbook: PassbookSummaryOut
    freshness: FreshnessOut


class BookkeeperRowOut(BaseModel):
    user_id: str
    role: str
    shgs_mapped: int
    vos_mapped: int
    clfs_mapped: int
    meetings_entered: int
    meetings_approved: int
    meetings_rejected: int
    cutoffs_done: int
    eligible_honorarium: int


class BookkeeperReportOut(BaseModel):
    month: str
    rows: list[BookkeeperRowOut]
    freshness: FreshnessOut


_DATE = r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"
_MONTH = r"^([0-9]{4}-[0-9]{2})?$"
FromDate = Annotated[str, Query(pattern=_DATE, description="ISO date; empty: from the first")]
ToDate = Annotated[str, Query(pattern=_DATE, description="ISO date; empty: today")]
Month = Annotated[str, Query(pattern=_MONTH, description="YYYY-MM; empty: this month")]


def _fields(message: Any) -> dict[str, Any]:
    return {f.name: getattr(message, f.name) for f in message.DESCRIPTOR.fields}


@router.get("/loans")
async def loan_report(
    principal: Staff, c: ServiceClients, f: Filter, from_date: FromDate = "", to_date: ToDate = ""
) -> LoanReportOut:
    """R6 demand–collection–balance (one row per unit one level below the filter), R7
    portfolio at risk per loan source with ageing buckets, and passbook counts; rupees, from
    approved meetings."""
    r = await c.reports.GetLoanReport(
        pb.LoanReportRequest(filter=f.proto(), from_date=from_date, to_date=to_date),
        metadata=metadata(principal),
        timeout=c.deadline,
    )
    return LoanReportOut(
        level=r.level,
        dcb=[DcbRowOut(**_fields(x)) for x in r.dcb],
        ageing=[AgeingBucketOut(**_fields(x)) for x in r.ageing],
        par=[ParRowOut(**_fields(x)) for x in r.par],
        passbook=PassbookSummaryOut(**_fields(r.passbook)),
        freshness=_fresh(r.freshness),
    )


@router.get("/bookkeepers")
async def bookkeeper_report(
    principal: Staff, c: ServiceClients, f: Filter, month: Month = ""
) -> BookkeeperReportOut:
    """R10: per bookkeeper, the month's meetings entered, approved and rejected, cut-offs, the
    CBOs mapped and the eligible honorarium (₹100 an SHG, ₹500 a VO, ₹1,000 a CLF with a
    meeting entered in the month)."""
    r = await c.reports.GetBookkeeperReport(
        pb.BookkeeperReportRequest(filter=f.proto(), month=month),
        metadata=metadata(principal),
        timeout=c.deadline,
    )
    return BookkeeperReportOut(
        month=r.month,
        rows=[BookkeeperRowOut(**_fields(x)) for x in r.rows],
        freshness=_fresh(r.freshness),
    )


Report = Literal[
    "dashboard",
    "drilldown",
    "shgs",
    "cbo-summary",
    "meeting-summary",
    "users",
    "dcb",
    "par",
    "ageing",
    "bookkeepers",
]


@router.get(
    "/{report}/download",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}, exports.MEDIA_TYPES["xlsx"]: {}}}},
)
async def download(
    principal: Staff,
    c: ServiceClients,
    report: Report,
    f: Filter,
    format: Annotated[exports.Format, Query()] = "csv",
    from_date: FromDate = "",
    to_date: ToDate = "",
    month: Month = "",
) -> StreamingResponse:
    """Any report as CSV or XLSX, streamed; headers in English or Hindi by Accept-Language."""
    call = c.reports.ExportReport(
        pb.ExportRequest(
            report=report, filter=f.proto(), from_date=from_date, to_date=to_date, month=month
        ),
        metadata=metadata(principal),
        timeout=EXPORT_DEADLINE_SECONDS,
    )
    stream = call.__aiter__()
    # The first message is awaited here: a refused filter is a problem+json, not a broken file.
    first = await stream.__anext__()

    width = len(first.header)

    async def rows() -> AsyncIterator[Sequence[Sequence[str]]]:
        # A chunk's cells come flat, ``width`` a row (the contract's ExportChunk.cells).
        async for chunk in stream:
            cells = chunk.cells
            yield [cells[i : i + width] for i in range(0, len(cells), width)]

    return StreamingResponse(
        exports.stream(format, list(first.header), rows()),
        media_type=exports.MEDIA_TYPES[format],
        headers={
            "Content-Disposition": f'attachment; filename="{exports.filename(report, format)}"'
        },
    )


# --- the national dashboard (the national instance; services/reports/national.py) ---------

NationalStaff = Annotated[Principal, Depends(allow(catalogue.NATIONAL_DASHBOARD_READERS))]


class NationalRowOut(BaseModel):
    code: str = Field(description="A state code, or a district's or block's LGD code")
    metrics: dict[str, int] = Field(description="The numbers by name, as the states publish them")
    as_of: datetime | None = Field(description="When its oldest block's numbers were computed")


class NationalDashboardOut(BaseModel):
    period: str = Field(description="The month, YYYY-MM")
    level: str = Field(description='What the rows are: "state", "district" or "block"')
    rows: list[NationalRowOut]
    total: dict[str, int]


@router.get("/national")
async def national_dashboard(
    principal: NationalStaff,
    c: ServiceClients,
    period: Annotated[str, Query(pattern=r"^([0-9]{4}-[0-9]{2})?$")] = "",
    state: Annotated[str, Query(pattern=r"^([a-z]{2,3})?$")] = "",
    district_lgd_code: Annotated[str, Query(pattern=_CODE)] = "",
) -> NationalDashboardOut:
    """The national instance's dashboard: every state's totals for a month (the latest when
    empty), one state's districts (``state``), or one district's blocks (``state`` and
    ``district_lgd_code``) — the aggregates the states publish, never a person's record."""
    d = await c.reports.GetNationalDashboard(
        pb.NationalDashboardRequest(
            period=period, state=state, district_lgd_code=district_lgd_code
        ),
        metadata=metadata(principal),
        timeout=c.deadline,
    )
    return NationalDashboardOut(
        period=d.period,
        level=d.level,
        rows=[
            NationalRowOut(
                code=r.code,
                metrics=dict(r.metrics),
                as_of=r.as_of.ToDatetime(tzinfo=UTC) if r.HasField("as_of") else None,
            )
            for r in d.rows
        ],
        total=dict(d.total),
    )
