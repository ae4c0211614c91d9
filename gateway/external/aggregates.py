"""Aggregates by geography and month (R1, R3, R5 columns the read model has), paged and
exported, small cells withheld by the reports service."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from gateway.external.auth import ApiCaller, api_caller
from gateway.routes.common import ServiceClients, metadata
from lokos.errors import ValidationFailed
from lokos.reports.v1 import reports_pb2

router = APIRouter(tags=["aggregates"])

Caller = Annotated[ApiCaller, Depends(api_caller)]
PAGE_MAX = 1000
# Rows a bulk export may hold: past it, narrow the filter (a district, fewer months).
EXPORT_MAX_ROWS = 100_000
Code = Annotated[str, Query(max_length=16, pattern=r"^[0-9A-Za-z]*$")]
Month = Annotated[str, Query(pattern=r"^(\d{4}-(0[1-9]|1[0-2]))?$", examples=["2026-04"])]

MEASURE_DOCS = {
    "shgs_formed": "SHGs formed in the month",
    "members_sc": "members approved in the month, Scheduled Caste",
    "members_st": "… Scheduled Tribe",
    "members_obc": "… Other Backward Class",
    "members_general": "… General",
    "members_other": "… other or not stated",
    "members_total": "members approved in the month, all categories",
    "meetings_approved": "SHG meetings approved (dated in the month)",
    "savings": "savings collected in those meetings, paise",
    "loans_disbursed": "internal loans disbursed in those meetings, paise",
    "principal_repaid": "loan principal repaid in those meetings, paise",
    "interest_repaid": "loan interest repaid in those meetings, paise",
}


class AggregateRowOut(BaseModel):
    district_lgd_code: str
    block_lgd_code: str = Field(description="Empty when grouped by district")
    period: str = Field(description="Month, YYYY-MM")
    measures: dict[str, int | None] = Field(
        description="Measure → value; null when withheld (see suppressed). "
        + "; ".join(f"{k}: {v}" for k, v in MEASURE_DOCS.items())
    )
    suppressed: list[str] = Field(description="Measures withheld: small cells or complements")


class AggregatesOut(BaseModel):
    state: str
    group_by: Literal["district", "block"]
    suppression_threshold: int = Field(description="People counts below this are withheld")
    rows: list[AggregateRowOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null: last")


def _encode_cursor(row: reports_pb2.AggregateRow) -> str:
    raw = json.dumps([row.district_lgd_code, row.block_lgd_code, row.period]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except ValueError:
        value = None
    if (
        not isinstance(value, list)
        or len(value) != 3
        or not all(isinstance(v, str) and len(v) <= 16 for v in value)
    ):
        raise ValidationFailed.one("cursor", "not a cursor this API gave", "format")
    return value[0], value[1], value[2]


def _request(
    group_by: str,
    district: str,
    block: str,
    period_from: str,
    period_to: str,
    after: tuple[str, str, str] | None,
    limit: int,
) -> reports_pb2.GetAggregatesRequest:
    d, b, p = after or ("", "", "")
    return reports_pb2.GetAggregatesRequest(
        group_by=group_by,
        district_lgd_code=district,
        block_lgd_code=block,
        period_from=period_from,
        period_to=period_to,
        after_district=d,
        after_block=b,
        after_period=p,
        limit=limit,
    )


def _row_dict(row: reports_pb2.AggregateRow, measures: list[str]) -> dict[str, Any]:
    """A row as :class:`AggregateRowOut` describes it (built as plain data: pages run to
    1,000 rows, and the service's answer needs no second validation)."""
    hidden = row.suppressed
    values: dict[str, int | None] = dict(zip(measures, row.values, strict=True))
    withheld = [m for i, m in enumerate(measures) if hidden >> i & 1] if hidden else []
    for m in withheld:
        values[m] = None
    return {
        "district_lgd_code": row.district_lgd_code,
        "block_lgd_code": row.block_lgd_code,
        "period": row.period,
        "measures": values,
        "suppressed": withheld,
    }


def _cells(row: reports_pb2.AggregateRow, measures: list[str]) -> dict[str, str]:
    """A row's cells for the export file: withheld ones empty."""
    hidden = row.suppressed
    return {
        m: "" if hidden >> i & 1 else str(v)
        for i, (m, v) in enumerate(zip(measures, row.values, strict=True))
    }


@router.get(
    "/aggregates",
    response_model=AggregatesOut,
    responses={304: {"description": "Not modified (If-None-Match matched the ETag)"}},
)
async def get_aggregates(
    request: Request,
    caller: Caller,
    c: ServiceClients,
    group_by: Literal["district", "block"] = "block",
    district_lgd_code: Code = "",
    block_lgd_code: Code = "",
    period_from: Month = "",
    period_to: Month = "",
    cursor: Annotated[str, Query(max_length=128)] = "",
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 100,
) -> AggregatesOut | Response:
    """One page of aggregates, in (district, block, month) order; follow ``next_cursor`` to the
    end. The ``ETag`` changes when the page's data does: send it back in ``If-None-Match``."""
    caller.require("aggregates")
    after = _decode_cursor(cursor) if cursor else None
    page = await c.reports.GetAggregates(
        _request(group_by, district_lgd_code, block_lgd_code, period_from, period_to, after, limit),
        metadata=metadata(caller.principal),
        timeout=c.deadline,
    )
    measures = list(page.measures)
    out = {
        "state": page.state,
        "group_by": group_by,
        "suppression_threshold": page.suppression_threshold,
        "rows": [_row_dict(r, measures) for r in page.rows],
        "next_cursor": _encode_cursor(page.rows[-1]) if page.more and page.rows else None,
    }
    body = json.dumps(out, separators=(",", ":")).encode()
    etag = 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers={"ETag": etag})
    # The body serialised once: for the ETag and for the answer.
    return Response(
        body,
        media_type="application/json",
        headers={"ETag": etag, "Cache-Control": "private, no-cache"},
    )


@router.get(
    "/aggregates/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "Pipe-delimited file"}},
)
async def export_aggregates(
    caller: Caller,
    c: ServiceClients,
    group_by: Literal["district", "block"] = "block",
    district_lgd_code: Code = "",
    period_from: Month = "",
    period_to: Month = "",
) -> StreamingResponse:
    """Every row of the filter as one pipe-delimited file (the bank exchange format in use:
    ``|`` separated, ISO months, a header line); withheld cells are empty. At most
    100,000 rows."""
    caller.require("aggregates")
    principal = caller.principal

    async def fetch(after: tuple[str, str, str] | None) -> reports_pb2.AggregatesPage:
        return await c.reports.GetAggregates(
            _request(group_by, district_lgd_code, "", period_from, period_to, after, PAGE_MAX),
            metadata=metadata(principal),
            timeout=c.deadline,
        )

    # The first page before the answer starts, so a refusal is still a problem+json answer.
    first = await fetch(None)

    async def lines() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="|", lineterminator="\n")
        measures = list(MEASURE_DOCS)
        writer.writerow(["district_lgd_code", "block_lgd_code", "period", *measures])
        page = first
        sent = 0
        while True:
            for row in page.rows:
                cells = _cells(row, list(page.measures))
                writer.writerow(
                    [
                        row.district_lgd_code,
                        row.block_lgd_code,
                        row.period,
                        *(cells.get(m, "") for m in measures),
                    ]
                )
            sent += len(page.rows)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if not page.more or not page.rows or sent >= EXPORT_MAX_ROWS:
                return
            last = page.rows[-1]
            page = await fetch((last.district_lgd_code, last.block_lgd_code, last.period))

    name = f"lokos-{principal.state}-aggregates-{group_by}.csv"
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
