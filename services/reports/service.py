"""Rules of reports: who sees which slice, what a filter means, and each report's numbers.

The read models are kept by :mod:`services.reports.ingest`; here they are only read. Every
report is confined to the caller's reach (her staff roles' districts and blocks; state-wide
roles see the state) in this service, whatever the gateway checked: a filter naming a unit
outside the reach is refused (403), not answered with zeros that would read as "no SHGs".
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from itertools import chain
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from lokos import catalogue
from lokos.errors import FieldError, PermissionDenied, ValidationFailed
from lokos.principal import Principal
from services.reports import labels, repository
from services.reports.repository import Scope

DASHBOARD_VIEWERS = catalogue.STAFF_READERS
# The bookkeeper role of each CBO type (the CBO summary's "No of Bookkeepers").
BOOKKEEPER_ROLES: dict[str, str] = {
    r.cbo_category: r.code
    for r in catalogue.ROLES
    if r.is_community and r.code == f"{r.cbo_category}_BOOKKEEPER"
}
CBO_TYPES = ("SHG", "VO", "CLF")
MAX_PAGE = 500
# Rows per streamed chunk of an export (SHGs read per fetch of the download's cursor).
EXPORT_CHUNK = 2000


@dataclass(frozen=True)
class Filter:
    district: str = ""
    block: str = ""
    clf_id: str = ""
    vo_id: str = ""


@dataclass(frozen=True)
class Freshness:
    as_of: datetime | None
    lag_seconds: int
    pending: int


@dataclass
class Panels:
    shgs_formed: int = 0
    members: int = 0
    sc: int = 0
    st: int = 0
    obc: int = 0
    general: int = 0
    other: int = 0
    with_bank_account: int = 0
    without_bank_account: int = 0
    without_bank_account_3_months: int = 0
    without_bank_account_6_months: int = 0
    with_transactions: int = 0
    without_transactions: int = 0
    compulsory_savings: int = 0
    voluntary_savings: int = 0
    loan_outstanding: int = 0

    @classmethod
    def of(cls, r: Mapping[str, Any]) -> Panels:
        g = r.__getitem__
        shgs = int(g("shgs"))
        return cls(
            shgs_formed=shgs,
            members=int(g("members")),
            sc=int(g("sc")),
            st=int(g("st")),
            obc=int(g("obc")),
            general=int(g("general")),
            other=int(g("other")),
            with_bank_account=int(g("with_bank")),
            without_bank_account=shgs - int(g("with_bank")),
            without_bank_account_3_months=int(g("nobank_3")),
            without_bank_account_6_months=int(g("nobank_6")),
            with_transactions=int(g("with_transactions")),
            without_transactions=shgs - int(g("with_transactions")),
            # The books keep paise; the dashboard shows whole rupees.
            compulsory_savings=int(g("compulsory")) // 100,
            voluntary_savings=int(g("voluntary")) // 100,
            loan_outstanding=int(g("loan_outstanding")) // 100,
        )

    def cells(self) -> list[str]:
        return [str(v) for v in vars(self).values()]


@dataclass(frozen=True)
class Dashboard:
    state: str
    filter: Filter
    panels: Panels
    freshness: Freshness


@dataclass(frozen=True)
class DrillRow:
    level: str
    code: str
    name: str
    panels: Panels


@dataclass(frozen=True)
class DrillDown:
    level: str
    rows: list[DrillRow]
    freshness: Freshness


@dataclass(frozen=True)
class ShgLine:
    shg_id: str
    code: str
    name: str
    status: str
    district: str
    block: str
    vo_id: str
    clf_id: str
    formed_on: date
    has_bank_account: bool
    panels: Panels


@dataclass(frozen=True)
class ShgPage:
    shgs: list[ShgLine]
    next_page_token: str
    freshness: Freshness


@dataclass(frozen=True)
class CboSummaryLine:
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


@dataclass(frozen=True)
class MeetingSummaryLine:
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


@dataclass(frozen=True)
class CboSummary:
    cbos: list[CboSummaryLine]
    meetings: list[MeetingSummaryLine]
    freshness: Freshness


@dataclass(frozen=True)
class UserLine:
    level: str
    role: str
    active: int
    inactive: int
    mapped: int
    unmapped: int
    logged_in_last_30_days: int
    never_logged_in: int
    last_login: datetime | None


@dataclass(frozen=True)
class UserReport:
    rows: list[UserLine]
    freshness: Freshness


@dataclass(frozen=True)
class Table:
    """A report as a header and rows of text, for the downloads."""

    header: list[str]
    rows: AsyncIterator[list[list[str]]] = field(repr=False)


def percent(part: int, whole: int) -> int:
    """Whole percent, rounded down, as the seeds show it (25 of 2,116 mapped: "1 %")."""
    return part * 100 // whole if whole else 0


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (the month's last day when it is shorter)."""
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for d in range(day.day, 27, -1):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    return date(year, month, min(day.day, 28))


# --- reach and filters ------------------------------------------------------------------------


def reach(principal: Principal) -> tuple[frozenset[str], frozenset[str]] | None:
    """The districts and blocks the caller's staff roles cover; None for state-wide roles."""
    reach = principal.reach(DASHBOARD_VIEWERS)
    if reach is None:
        return None
    return reach.get("district", frozenset()), reach.get("block", frozenset())


async def scope_of(conn: asyncpg.Connection, principal: Principal, f: Filter) -> Scope:
    """The scope a filter gives for the caller: 422 naming the field for a filter that does not
    hold together, 403 for one outside her reach."""
    if not principal.has_any_role(DASHBOARD_VIEWERS):
        raise PermissionDenied("your roles do not include the reports")
    state = principal.state
    district, block = f.district, f.block
    for name, cbo_id, kind in (("clf_id", f.clf_id, "CLF"), ("vo_id", f.vo_id, "VO")):
        if not cbo_id:
            continue
        place = await repository.cbo_place(conn, cbo_id)
        if place is None or place["cbo_type"] != kind or place["state"] != state:
            raise ValidationFailed.one(name, f"no {kind} with this id", "unknown_cbo")
        if block and place["block_lgd_code"] != block:
            raise ValidationFailed.one(name, f"the {kind} is not in block {block}", "mismatch")
        if district and place["district_lgd_code"] != district:
            raise ValidationFailed.one(
                name, f"the {kind} is not in district {district}", "mismatch"
            )
        district, block = place["district_lgd_code"], place["block_lgd_code"]
    block_district = await repository.district_of_block(conn, state, block) if block else None
    if block and district and block_district is not None and block_district != district:
        raise ValidationFailed.one(
            "block_lgd_code", f"block {block} is not in district {district}", "mismatch"
        )
    reached = reach(principal)
    scope = Scope(state, district, block, f.clf_id, f.vo_id)
    if reached is not None:
        # Outside the reach is refused before anything is said about the unit itself.
        districts, blocks = reached
        if block:
            home = block_district or district
            if block not in blocks and home not in districts:
                raise PermissionDenied(
                    f"block {block} is outside your scope", code="dashboard_out_of_scope"
                )
        elif district and district not in districts:
            raise PermissionDenied(
                f"district {district} is outside your scope", code="dashboard_out_of_scope"
            )
        scope = replace(scope, districts=districts, blocks=blocks)
    if f.district and not block and not await repository.district_known(conn, state, district):
        raise ValidationFailed.one(
            "district_lgd_code", f"no CBO is recorded in district {district}", "unknown_unit"
        )
    return scope


async def freshness(conn: asyncpg.Connection, now: datetime | None = None) -> Freshness:
    """As of the newest event applied; the lag is how old that event is while others wait
    behind it (none waiting: no lag)."""
    rows = await repository.freshness(conn)
    if not rows:
        return Freshness(None, 0, 0)
    as_of = max(r["last_event_at"] for r in rows)
    latest = max(rows, key=lambda r: r["applied_at"])
    pending = int(latest["pending"])
    now = now or datetime.now(UTC)
    lag = max(0, int((now - as_of).total_seconds())) if pending else 0
    return Freshness(as_of, lag, pending)


def _boundaries(today: date) -> tuple[date, date]:
    """SHGs formed before these days have been without an account for > 3 and > 6 months."""
    return months_before(today, 3), months_before(today, 6)


# --- R1 dashboard and drill-down --------------------------------------------------------------


async def dashboard(session: AsyncSession, principal: Principal, f: Filter) -> Dashboard:
    conn = await repository.raw(session)
    scope = await scope_of(conn, principal, f)
    rows = await _panels(conn, scope)
    panels = Panels.of(rows[0]) if rows else Panels()
    return Dashboard(principal.state, f, panels, await freshness(conn))


async def _panels(
    conn: asyncpg.Connection, scope: Scope, group: str = ""
) -> list[Mapping[str, Any]]:
    b3, b6 = _boundaries(datetime.now(UTC).date())
    if scope.clf_id or scope.vo_id:
        return list(await repository.panels_from_stats(conn, scope, b3, b6, group))
    if group in ("clf_id", "vo_id", "shg_id"):
        return list(await repository.panels_from_stats(conn, scope, b3, b6, group))
    return list(await repository.panels_from_rollup(conn, scope, b3, b6, group))


def _next_level(scope: Scope) -> tuple[str, str]:
    """(level of the rows, column grouping them) one level below the filter."""
    if scope.vo_id:
        return "shg", "shg_id"
    if scope.clf_id:
        return "vo", "vo_id"
    if scope.block:
        return "clf", "clf_id"
    if scope.district:
        return "block", "block_lgd_code"
    return "district", "district_lgd_code"


async def drill_down(session: AsyncSession, principal: Principal, f: Filter) -> DrillDown:
    conn = await repository.raw(session)
    scope = await scope_of(conn, principal, f)
    level, group = _next_level(scope)
    rows = await _panels(conn, scope, group)
    codes = [str(r["code"]) for r in rows]
    names = await repository.cbo_names(conn, codes) if level in ("clf", "vo", "shg") else {}
    out = [
        DrillRow(level, str(r["code"]), names.get(str(r["code"]), ""), Panels.of(r)) for r in rows
    ]
    return DrillDown(level, out, await freshness(conn))


async def list_shgs(
    session: AsyncSession, principal: Principal, f: Filter, page_size: int, page_token: str
) -> ShgPage:
    if not 1 <= page_size <= MAX_PAGE:
        raise ValidationFailed.one("page_size", f"between 1 and {MAX_PAGE}", "out_of_range")
    if not (f.block or f.clf_id or f.vo_id):
        raise ValidationFailed.one(
            "block_lgd_code", "the SHG list needs a block, a CLF or a VO", "required"
        )
    conn = await repository.raw(session)
    scope = await scope_of(conn, principal, f)
    b3, b6 = _boundaries(datetime.now(UTC).date())
    rows = await repository.shg_page(conn, scope, page_token, page_size, b3, b6)
    shgs = [_shg_line(r, b3, b6) for r in rows]
    token = shgs[-1].shg_id if len(shgs) == page_size else ""
    return ShgPage(shgs, token, await freshness(conn))


def _shg_line(r: asyncpg.Record, b3: date, b6: date) -> ShgLine:
    nobank = not r["has_bank_account"]
    panels = Panels.of(
        {
            "shgs": 1,
            "members": r["members"],
            "sc": r["sc"],
            "st": r["st"],
            "obc": r["obc"],
            "general": r["general"],
            "other": r["other"],
            "with_bank": int(r["has_bank_account"]),
            "nobank_3": int(nobank and r["formed_on"] < b3),
            "nobank_6": int(nobank and r["formed_on"] < b6),
            "with_transactions": int(r["has_transactions"]),
            "compulsory": r["compulsory"],
            "voluntary": r["voluntary"],
            "loan_outstanding": r["loan_outstanding"],
        }
    )
    return ShgLine(
        r["shg_id"],
        r["code"],
        r["name"],
        r["status"],
        r["district_lgd_code"],
        r["block_lgd_code"],
        r["vo_id"],
        r["clf_id"],
        r["formed_on"],
        r["has_bank_account"],
        panels,
    )


# --- R2 CBO summary, meetings summary, users ---------------------------------------------------


async def cbo_summary(session: AsyncSession, principal: Principal, f: Filter) -> CboSummary:
    conn = await repository.raw(session)
    scope = await scope_of(conn, principal, f)
    # CBO counts are of units, not of one CLF's SHGs: the federation filter does not apply.
    scope = replace(scope, clf_id="", vo_id="")
    by_type = {
        r["cbo_type"]: r for r in await repository.cbo_summary(conn, scope, BOOKKEEPER_ROLES)
    }
    lines = []
    for t in CBO_TYPES:
        r = by_type.get(t)
        n, mapped_bk = await repository.bookkeepers(conn, scope, BOOKKEEPER_ROLES[t], t)
        total = int(r["total"]) if r else 0
        mapped = int(r["mapped"]) if r else 0
        approved = int(r["approved"]) if r else 0

        def v(key: str, r: object = r) -> int:
            return int(r[key]) if r else 0  # type: ignore[index]

        lines.append(
            CboSummaryLine(
                cbo_type=t,
                bookkeepers=n,
                bookkeepers_mapped=mapped_bk,
                total=total,
                mapped=mapped,
                mapped_percent=percent(mapped, total),
                mapped_migrated=v("mapped_migrated"),
                mapped_new=v("mapped_new"),
                approved=approved,
                rejected=v("rejected"),
                pending_with_block_manager=v("pending"),
                incomplete=v("incomplete"),
                pending_with_bookkeeper=v("with_bookkeeper"),
                approved_percent_of_mapped=percent(approved, mapped),
                approved_percent_overall=percent(v("approved_overall"), total),
            )
        )
    today = datetime.now(UTC).date()
    since = [today - timedelta(days=d) for d in (30, 60, 90)]
    met = {r["cbo_type"]: r for r in await repository.meeting_summary(conn, scope, since)}
    meetings = []
    for t in CBO_TYPES:
        r = met.get(t)

        def m(key: str, r: object = r) -> int:
            return int(r[key]) if r else 0  # type: ignore[index]

        meetings.append(
            MeetingSummaryLine(
                t,
                m("submitted"),
                m("approved"),
                m("rejected"),
                m("with_approver"),
                m("with_bookkeeper"),
                m("with_cutoff"),
                m("met_30"),
                m("met_60"),
                m("met_90"),
            )
        )
    return CboSummary(lines, meetings, await freshness(conn))


def role_level(role: str) -> str:
    try:
        r = catalogue.role(role)
    except KeyError:
        return ""
    return "community" if r.is_community else r.level


async def user_report(session: AsyncSession, principal: Principal, f: Filter) -> UserReport:
    conn = await repository.raw(session)
    scope = replace(await scope_of(conn, principal, f), clf_id="", vo_id="")
    since = datetime.now(UTC) - timedelta(days=30)
    rows = await repository.user_report(conn, scope, since)
    order = {lv: i for i, lv in enumerate((*catalogue.LEVELS, "community"))}
    lines = [
        UserLine(
            role_level(r["role"]),
            r["role"],
            int(r["active"]),
            int(r["inactive"]),
            int(r["mapped"]),
            int(r["active"]) + int(r["inactive"]) - int(r["mapped"]),
            int(r["recent"]),
            int(r["never"]),
            r["last_login"],
        )
        for r in rows
    ]
    lines.sort(key=lambda u: (order.get(u.level, 99), u.role))
    return UserReport(lines, await freshness(conn))


# --- downloads --------------------------------------------------------------------------------

REPORTS = (
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
)


@dataclass(frozen=True)
class ExportOptions:
    from_date: str = ""
    to_date: str = ""
    month: str = ""


def _cells(line: object) -> list[str]:
    return [str(v) for v in vars(line).values()]


# A chunk of a download: its rows' cells one row after the other, as many a row as the
# header has columns (the contract's ExportChunk.cells).
Cells = list[str]


async def export(
    session: AsyncSession,
    principal: Principal,
    report: str,
    f: Filter,
    options: ExportOptions | None = None,
) -> tuple[list[str], AsyncIterator[Cells]]:
    """The header (in the caller's language) and the rows of ``report``, in chunks of whole
    rows, flat (:data:`Cells`).

    Checks run before the first row: a bad filter fails the call, not the download midway."""
    if report not in REPORTS:
        raise ValidationFailed.one("report", f"one of {', '.join(REPORTS)}", "unknown_report")
    if report == "shgs":
        # Unlike the paged list, a download may span a district or the whole state: it is
        # read from a cursor a chunk at a time, so memory holds two chunks whatever the reach.
        conn = await repository.raw(session)
        scope = await scope_of(conn, principal, f)
        return labels.header(labels.SHG_COLUMNS), _shg_rows(conn, scope)
    if report == "dashboard":
        d = await dashboard(session, principal, f)
        rows = [
            [label, str(value)]
            for label, value in zip(
                labels.header(labels.PANEL_COLUMNS), d.panels.cells(), strict=True
            )
        ]
        return _table(labels.DASHBOARD_COLUMNS, rows)
    if report == "drilldown":
        dd = await drill_down(session, principal, f)
        rows = [[r.level, r.code, r.name, *r.panels.cells()] for r in dd.rows]
        return _table(labels.DRILL_COLUMNS + labels.PANEL_COLUMNS, rows)
    options = options or ExportOptions()
    if report in ("dcb", "par", "ageing"):
        loans = await loan_report(session, principal, f, options.from_date, options.to_date)
        if report == "dcb":
            return _table(labels.DCB_COLUMNS, [_cells(line) for line in loans.dcb])
        if report == "par":
            return _table(labels.PAR_COLUMNS, [_cells(line) for line in loans.par])
        return _table(labels.AGEING_COLUMNS, [_cells(line) for line in loans.ageing])
    if report == "bookkeepers":
        bk = await bookkeeper_report(session, principal, f, options.month)
        return _table(labels.BOOKKEEPER_COLUMNS, [_cells(x) for x in bk.rows])
    if report in ("cbo-summary", "meeting-summary"):
        s = await cbo_summary(session, principal, f)
        if report == "cbo-summary":
            return _table(labels.CBO_SUMMARY_COLUMNS, [_cells(line) for line in s.cbos])
        return _table(labels.MEETING_SUMMARY_COLUMNS, [_cells(line) for line in s.meetings])
    u = await user_report(session, principal, f)
    rows = [
        [
            *(str(v) for v in vars(line).values() if not isinstance(v, datetime | None)),
            line.last_login.isoformat() if line.last_login else "",
        ]
        for line in u.rows
    ]
    return _table(labels.USER_COLUMNS, rows)


def _table(
    columns: tuple[labels.Column, ...], rows: list[list[str]]
) -> tuple[list[str], AsyncIterator[Cells]]:
    """A report of a few rows, in one chunk; a row of another width than the header would
    shift every cell after it in the flat chunk, so it fails here."""
    for row in rows:
        if len(row) != len(columns):
            raise ValueError(f"a row of {len(row)} cells under {len(columns)} columns")
    return labels.header(columns), _once([cell for row in rows for cell in row])


async def _once(cells: Cells) -> AsyncIterator[Cells]:
    yield cells


async def _shg_rows(conn: asyncpg.Connection, scope: Scope) -> AsyncIterator[Cells]:
    """The SHGs within ``scope`` from a cursor formatted by PostgreSQL
    (:func:`repository.shg_export`), a chunk at a time. The next chunk is read while the
    current one is being sent, one ahead and no more: memory holds two chunks whatever the
    size."""
    b3, b6 = _boundaries(datetime.now(UTC).date())
    cursor = await repository.shg_export(conn, scope, b3, b6)
    ahead: asyncio.Future[list[asyncpg.Record]] | None = asyncio.ensure_future(
        cursor.fetch(EXPORT_CHUNK)
    )
    try:
        while ahead is not None:
            rows = await ahead
            # A short chunk is the last; after a full one the next is read while this one
            # goes out.
            full = len(rows) == EXPORT_CHUNK
            ahead = asyncio.ensure_future(cursor.fetch(EXPORT_CHUNK)) if full else None
            if rows:
                yield list(chain.from_iterable(rows))
    finally:
        # The download was cut short (the caller went away): no fetch is left running, and
        # the chunk read ahead is dropped whatever became of it.
        if ahead is not None:
            ahead.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await ahead


# --- R6, R7 and passbook counts -------------------------------------------------------------

# The honorarium ceilings of the advisory (seeds/004 §3), rupees per CBO a month.
HONORARIUM_RUPEES = {"SHG": 100, "VO": 500, "CLF": 1000}
BUCKETS = ("on schedule", "1-30", "31-60", "61-90", "91-180", "181-360", "over 360")


@dataclass(frozen=True)
class DcbLine:
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


@dataclass(frozen=True)
class AgeingLine:
    bucket: str
    loans: int
    outstanding_principal: int
    overdue_principal: int
    overdue_interest: int


@dataclass(frozen=True)
class ParLine:
    source: str
    loans: int
    outstanding_principal: int
    overdue_principal: int
    overdue_interest: int
    par_percent: int
    par_30_percent: int
    par_90_percent: int


@dataclass(frozen=True)
class Passbook:
    members_with_loans: int = 0
    open_loans: int = 0
    members_overdue: int = 0
    loans_disbursed: int = 0
    amount_disbursed: int = 0


@dataclass(frozen=True)
class LoanReport:
    level: str
    dcb: list[DcbLine]
    ageing: list[AgeingLine]
    par: list[ParLine]
    passbook: Passbook
    freshness: Freshness


def rupees(paise: Any) -> int:
    """Whole rupees of a sum of paise (``None`` for an empty sum)."""
    return int(paise or 0) // 100


def period(from_date: str, to_date: str, today: date | None = None) -> tuple[date, date]:
    """The period of a loan report: ISO dates, from the first meeting up to today by default."""
    today = today or datetime.now(UTC).date()
    errors = []
    bounds = []
    for name, value, default in (
        ("from_date", from_date, date(1900, 1, 1)),
        ("to_date", to_date, today),
    ):
        try:
            bounds.append(date.fromisoformat(value) if value else default)
        except ValueError:
            errors.append(FieldError(name, "an ISO date, YYYY-MM-DD", "invalid"))
            bounds.append(default)
    if errors:
        raise ValidationFailed(errors)
    start, end = bounds
    if start > end:
        raise ValidationFailed.one("from_date", "after to_date", "invalid")
    return start, end


def _loan_group(scope: Scope) -> tuple[str, str]:
    if scope.block or scope.clf_id or scope.vo_id:
        return "shg", "shg_id"
    if scope.district:
        return "block", "block_lgd_code"
    return "district", "district_lgd_code"


async def loan_report(
    session: AsyncSession, principal: Principal, f: Filter, from_date: str, to_date: str
) -> LoanReport:
    start, end = period(from_date, to_date)
    conn = await repository.raw(session)
    scope = await scope_of(conn, principal, f)
    level, group = _loan_group(scope)
    rows = await repository.dcb(conn, scope, group, start, end)
    names = await repository.cbo_names(conn, [r["code"] for r in rows]) if level == "shg" else {}
    dcb = []
    for r in rows:
        demand = sum(int(r[k]) for k in ("op", "oi", "dp", "di"))
        collected = int(r["cp"]) + int(r["ci"])
        o_p, o_i, d_p, d_i, c_p, c_i, x_p, x_i = (
            rupees(r[k]) for k in ("op", "oi", "dp", "di", "cp", "ci", "xp", "xi")
        )
        dcb.append(
            DcbLine(
                level=level,
                code=r["code"],
                name=names.get(r["code"], ""),
                opening_overdue_principal=o_p,
                opening_overdue_interest=o_i,
                demand_principal=d_p,
                demand_interest=d_i,
                collected_principal=c_p,
                collected_interest=c_i,
                closing_overdue_principal=x_p,
                closing_overdue_interest=x_i,
                closing_outstanding=rupees(r["outstanding"]),
                repayment_rate_percent=percent(min(collected, demand), demand) if demand else 100,
            )
        )
    by_bucket = {r["bucket"]: r for r in await repository.ageing(conn, scope, end)}
    ageing = [
        AgeingLine(
            b,
            int(by_bucket[b]["loans"]) if b in by_bucket else 0,
            *(
                rupees(by_bucket[b][k]) if b in by_bucket else 0
                for k in ("outstanding", "overdue_principal", "overdue_interest")
            ),
        )
        for b in BUCKETS
    ]
    par = [
        ParLine(
            r["source"],
            int(r["loans"]),
            rupees(r["outstanding"]),
            rupees(r["overdue_principal"]),
            rupees(r["overdue_interest"]),
            percent(int(r["at_risk"]), int(r["outstanding"] or 0)),
            percent(int(r["at_risk_30"]), int(r["outstanding"] or 0)),
            percent(int(r["at_risk_90"]), int(r["outstanding"] or 0)),
        )
        for r in await repository.par(conn, scope, end)
    ]
    pb_row = await repository.passbook(conn, scope, start, end)
    passbook = (
        Passbook(
            int(pb_row["members_with_loans"]),
            int(pb_row["open_loans"]),
            int(pb_row["members_overdue"]),
            int(pb_row["loans_disbursed"]),
            rupees(pb_row["amount_disbursed"]),
        )
        if pb_row
        else Passbook()
    )
    return LoanReport(level, dcb, ageing, par, passbook, await freshness(conn))


# --- R10 bookkeeper data entry --------------------------------------------------------------


@dataclass(frozen=True)
class BookkeeperLine:
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


@dataclass(frozen=True)
class BookkeeperReport:
    month: str
    rows: list[BookkeeperLine]
    freshness: Freshness


def month_bounds(month: str, today: date | None = None) -> tuple[str, datetime, datetime]:
    today = today or datetime.now(UTC).date()
    if not month:
        month = f"{today.year:04d}-{today.month:02d}"
    try:
        year, mon = (int(x) for x in month.split("-"))
        start = datetime(year, mon, 1, tzinfo=UTC)
    except ValueError:
        raise ValidationFailed.one("month", "a month, YYYY-MM", "invalid") from None
    if not 1900 <= year <= 9998:
        raise ValidationFailed.one("month", "a month, YYYY-MM", "invalid")
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=UTC)
    return month, start, end


async def bookkeeper_report(
    session: AsyncSession, principal: Principal, f: Filter, month: str
) -> BookkeeperReport:
    label, start, end = month_bounds(month)
    conn = await repository.raw(session)
    scope = replace(await scope_of(conn, principal, f), clf_id="", vo_id="")
    rates = {t: r * 100 for t, r in HONORARIUM_RUPEES.items()}
    rows = await repository.bookkeepers_month(
        conn, scope, sorted(BOOKKEEPER_ROLES.values()), start, end, rates
    )
    lines = [
        BookkeeperLine(
            r["user_id"],
            r["role"] or "",
            int(r["shgs"]),
            int(r["vos"]),
            int(r["clfs"]),
            int(r["entered"]),
            int(r["approved"]),
            int(r["rejected"]),
            int(r["cutoffs"]),
            rupees(r["honorarium"]),
        )
        for r in rows
    ]
    return BookkeeperReport(label, lines, await freshness(conn))
