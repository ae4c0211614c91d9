"""Aggregates for registered API clients: the ``area_month`` read model and its one query.

Kept apart from the dashboard's read models on purpose (its own table, durable and RPC), so
it can be folded into the full report read models later without touching them: per block and
month, SHGs formed, members approved by social category, and from approved meetings the
savings, loans disbursed, principal and interest repaid (paise).

Every page is checked for small cells against the state's threshold
(``LOKOS_SMALL_CELL_THRESHOLD``, default 5) with its siblings — the other areas under the same
parent in the same month, fetched whether or not they are on the page — so a client cannot
recover a withheld cell by subtracting published ones (:mod:`services.reports.suppression`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row as Row_
from sqlalchemy import Select, literal, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lokos import catalogue
from lokos.errors import FieldError, PermissionDenied, ValidationFailed
from lokos.events import Event
from lokos.principal import Principal
from lokos.profiles.v1 import profiles_pb2
from lokos.transactions.v1 import transactions_pb2
from services.reports.models import AreaMonth, CountedMember
from services.reports.suppression import suppress_counts, suppress_groups

CATEGORY_COLUMNS = {
    "SC": "members_sc",
    "ST": "members_st",
    "OBC": "members_obc",
    "GEN": "members_general",
}
OTHER_CATEGORY = "members_other"
MEMBER_CATEGORIES = ("members_sc", "members_st", "members_obc", "members_general", "members_other")
MEMBER_TOTAL = "members_total"
MONEY = ("savings", "loans_disbursed", "principal_repaid", "interest_repaid")
CONTRIBUTORS = "meetings_approved"
MEASURES = ("shgs_formed", *MEMBER_CATEGORIES, MEMBER_TOTAL, CONTRIBUTORS, *MONEY)
# Columns of area_month (the member total is their sum, computed on read).
STORED = tuple(m for m in MEASURES if m != MEMBER_TOTAL)
PAGE_MAX = 1000
# block_lgd_code of a district's roll-up row in area_month.
DISTRICT_ROW = ""
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_CODE = re.compile(r"^[0-9A-Za-z]{1,16}$")


# ------------------------------------------------------------------ the read model


async def _add(
    session: AsyncSession, state: str, district: str, block: str, period: str, **counts: int
) -> None:
    """Add to the block's row and to its district's roll-up row (block ``''``): a state-wide
    query by district then reads a few hundred rows instead of summing every block's."""
    values = {name: 0 for name in STORED}
    values.update(counts)
    stmt = insert(AreaMonth).values(
        [
            {
                "state": state,
                "district_lgd_code": district,
                "block_lgd_code": b,
                "period": period,
                **values,
            }
            for b in dict.fromkeys((block, DISTRICT_ROW))
        ]
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[
                AreaMonth.state,
                AreaMonth.district_lgd_code,
                AreaMonth.block_lgd_code,
                AreaMonth.period,
            ],
            set_={name: getattr(AreaMonth, name) + stmt.excluded[name] for name in counts},
        )
    )


def _month(event: Event) -> str:
    return event.envelope.occurred_at.ToDatetime().strftime("%Y-%m")


async def on_shg_created(session: AsyncSession, event: Event) -> None:
    shg = event.payload(profiles_pb2.CboEvent).cbo
    if shg.cbo_type.upper() not in ("", "SHG"):
        return
    await _add(
        session,
        shg.state,
        shg.district_lgd_code,
        shg.block_lgd_code,
        _month(event),
        shgs_formed=1,
    )


async def on_member_approved(session: AsyncSession, event: Event) -> None:
    """A member counts once, in the month of her first approval."""
    m = event.payload(profiles_pb2.MemberEvent).member
    first = await session.execute(
        insert(CountedMember)
        .values(member_id=m.id)
        .on_conflict_do_nothing()
        .returning(CountedMember.member_id)
    )
    if first.scalar_one_or_none() is None:
        return
    column = CATEGORY_COLUMNS.get(m.social_category.upper(), OTHER_CATEGORY)
    await _add(
        session, m.state, m.district_lgd_code, m.block_lgd_code, _month(event), **{column: 1}
    )


async def on_meeting_approved(session: AsyncSession, event: Event) -> None:
    meeting = event.payload(transactions_pb2.MeetingEvent)
    if meeting.cbo_type.upper() not in ("", "SHG"):
        return
    t = meeting.totals
    period = meeting.date[:7] if _PERIOD.fullmatch(meeting.date[:7]) else _month(event)
    await _add(
        session,
        event.envelope.state,
        meeting.district_lgd_code,
        meeting.block_lgd_code,
        period,
        meetings_approved=1,
        savings=t.compulsory + t.voluntary,
        loans_disbursed=t.disbursed,
        principal_repaid=t.principal_repaid,
        interest_repaid=t.interest_repaid,
    )


HANDLERS = {
    "profiles.shg.created": on_shg_created,
    "profiles.member.approved": on_member_approved,
    "transactions.meeting.approved": on_meeting_approved,
}


def subjects(state: str) -> list[str]:
    return [f"lokos.{state}.{event_type}" for event_type in HANDLERS]


async def dispatch(session: AsyncSession, events: list[Event]) -> None:
    """A fetched batch in stream order, in one transaction (a bulk import's lakhs of approved
    members would otherwise cost a commit each)."""
    for event in events:
        handler = HANDLERS.get(event.event_type)
        if handler is not None:
            await handler(session, event)


# ------------------------------------------------------------------ the query


@dataclass(frozen=True)
class Query:
    group_by: str  # "district" or "block"
    district: str = ""
    block: str = ""
    period_from: str = ""
    period_to: str = ""
    after: tuple[str, str, str] | None = None
    limit: int = 100


@dataclass
class Row:
    district: str
    block: str
    period: str
    values: dict[str, int]
    withheld: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    more: bool


def _check(query: Query) -> None:
    errors = []
    if query.group_by not in ("district", "block"):
        errors.append(FieldError("group_by", "must be district or block", "enum"))
    for name, value in (("district_lgd_code", query.district), ("block_lgd_code", query.block)):
        if value and not _CODE.fullmatch(value):
            errors.append(FieldError(name, "must be an LGD code (letters, digits)", "format"))
    for name, value in (("period_from", query.period_from), ("period_to", query.period_to)):
        if value and not _PERIOD.fullmatch(value):
            errors.append(FieldError(name, "must be a month YYYY-MM", "format"))
    if query.block and query.group_by != "block":
        errors.append(FieldError("block_lgd_code", "only with group_by=block", "conflict"))
    if not 1 <= query.limit <= PAGE_MAX:
        errors.append(FieldError("limit", f"must be 1-{PAGE_MAX}", "range"))
    if errors:
        raise ValidationFailed(errors)


def _grouped(state: str, query: Query) -> Select[Any]:
    """Rows per (district, block or '', period) of the state, within the months asked: block
    rows, or the districts' roll-up rows."""
    block = AreaMonth.block_lgd_code
    q = select(
        AreaMonth.district_lgd_code.label("district"),
        block.label("block"),
        AreaMonth.period.label("period"),
        *(getattr(AreaMonth, m) for m in STORED),
    ).where(
        AreaMonth.state == state,
        block != DISTRICT_ROW if query.group_by == "block" else block == DISTRICT_ROW,
    )
    if query.period_from:
        q = q.where(AreaMonth.period >= query.period_from)
    if query.period_to:
        q = q.where(AreaMonth.period <= query.period_to)
    return q


def _row(r: Row_[Any]) -> Row:
    mapping = r._mapping
    values = {m: int(mapping[m] or 0) for m in STORED}
    values[MEMBER_TOTAL] = sum(values[c] for c in MEMBER_CATEGORIES)
    return Row(str(mapping["district"]), str(mapping["block"]), str(mapping["period"]), values)


async def aggregates(
    session: AsyncSession, principal: Principal, query: Query, *, threshold: int
) -> Page:
    """One page of rows, ordered by (district, block, period), small cells withheld."""
    if not principal.has_any_role({catalogue.API_SCOPES["aggregates"]}):
        raise PermissionDenied("this client has no 'aggregates' scope", code="api_scope_missing")
    _check(query)
    state = principal.state
    page_q = _grouped(state, query)
    if query.district:
        page_q = page_q.where(AreaMonth.district_lgd_code == query.district)
    if query.block:
        page_q = page_q.where(AreaMonth.block_lgd_code == query.block)
    if query.after is not None:
        d, b, p = query.after
        page_q = page_q.where(
            tuple_(AreaMonth.district_lgd_code, AreaMonth.block_lgd_code, AreaMonth.period)
            > tuple_(literal(d), literal(b), literal(p))
        )
    page_q = page_q.order_by(
        AreaMonth.district_lgd_code, AreaMonth.block_lgd_code, AreaMonth.period
    ).limit(query.limit + 1)
    found = [_row(r) for r in await session.execute(page_q)]
    more = len(found) > query.limit
    rows = found[: query.limit]
    # A whole answer that no filter narrowed below the parents holds every sibling already.
    complete = (
        not more
        and query.after is None
        and not query.block
        and (query.group_by == "block" or not query.district)
    )
    if rows:
        await _withhold(session, state, query, rows, threshold, rows if complete else None)
    return Page(rows, more)


async def _siblings(session: AsyncSession, state: str, query: Query, rows: list[Row]) -> list[Row]:
    """Every area under the parents of ``rows``, in the months of ``rows``."""
    periods = sorted({r.period for r in rows})
    sib_q = _grouped(state, Query(query.group_by)).where(AreaMonth.period.in_(periods))
    if query.group_by == "block":
        sib_q = sib_q.where(AreaMonth.district_lgd_code.in_(sorted({r.district for r in rows})))
    sib_q = sib_q.order_by(AreaMonth.district_lgd_code, AreaMonth.block_lgd_code, AreaMonth.period)
    return [_row(r) for r in await session.execute(sib_q)]


async def _withhold(
    session: AsyncSession,
    state: str,
    query: Query,
    rows: list[Row],
    threshold: int,
    siblings: list[Row] | None,
) -> None:
    """Suppress within each table of siblings (same parent, same month) the page touches."""
    if siblings is None:
        siblings = await _siblings(session, state, query, rows)
    tables: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for sibling in siblings:
        parent = sibling.district if query.group_by == "block" else ""
        tables[(parent, sibling.period)].append(sibling)
    wanted = {(r.district, r.block, r.period): r for r in rows}
    for table in tables.values():
        values = [s.values for s in table]
        withheld = suppress_counts(values, MEMBER_CATEGORIES, MEMBER_TOTAL, threshold)
        withheld |= suppress_groups(values, CONTRIBUTORS, MONEY, threshold)
        for index, measure in withheld:
            s = table[index]
            target = wanted.get((s.district, s.block, s.period))
            if target is not None:
                target.withheld.add(measure)
