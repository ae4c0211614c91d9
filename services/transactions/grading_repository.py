"""Queries behind grading (K3): the books' figures per SHG per month, for many SHGs at once.

Each query is set-based over every SHG asked for (a block's 2,000 at a time), so a block-wide
run is a handful of round trips whatever its size. Rejected meetings do not count (their rows and
entries are gone or marked); pending ones do, as held but not yet approved.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

# Of meeting_member.row (MemberRowView as stored; zero values are left out of the JSON).
_ROW_INT = "coalesce((mm.row->>'{0}')::bigint, 0)"


async def shgs_to_grade(
    conn: asyncpg.Connection,
    *,
    cbo_id: uuid.UUID | None = None,
    state: str = "",
    block: str = "",
) -> list[asyncpg.Record]:
    """SHGs with open books (an approved or pending cut-off): one, or every one of a block."""
    return list(
        await conn.fetch(
            """
            SELECT c.cbo_id, c.cbo_type, c.state, c.district_lgd_code, c.block_lgd_code,
                   b.cutoff_date, b.cutoff_status,
                   coalesce(s.frequency, b.frequency) AS frequency
            FROM cbo c JOIN book b ON b.cbo_id = c.cbo_id
            LEFT JOIN LATERAL (
                SELECT frequency FROM book_setting bs WHERE bs.cbo_id = c.cbo_id
                ORDER BY effective_from DESC LIMIT 1
            ) s ON true
            WHERE c.cbo_type = 'SHG' AND b.cutoff_status <> 'REJECTED'
              AND (($1::uuid IS NOT NULL AND c.cbo_id = $1)
                   OR ($1::uuid IS NULL AND c.state = $2 AND c.block_lgd_code = $3))
            ORDER BY c.cbo_id
            """,
            cbo_id,
            state,
            block,
        )
    )


async def member_months(
    conn: asyncpg.Connection, ids: Sequence[uuid.UUID], start: dt.date, end: dt.date
) -> list[asyncpg.Record]:
    """Per SHG and month: attendance, savings regularity, lending and the R6 demand and
    collection (each member's repayments of the month up to her demand of the month)."""
    return list(
        await conn.fetch(
            f"""
            WITH per_member AS (
                SELECT m.cbo_id, date_trunc('month', m.date)::date AS month, mm.member_id,
                       count(*) AS rows,
                       count(*) FILTER (WHERE mm.row->>'attendance' IN ('PRESENT', 'LATE'))
                           AS present,
                       sum({_ROW_INT.format("compulsory_due")}) AS cs_due,
                       sum({_ROW_INT.format("compulsory_paid")}) AS cs_paid,
                       sum({_ROW_INT.format("disbursed")}) AS lent,
                       sum({_ROW_INT.format("principal_repaid")}
                           + {_ROW_INT.format("interest_repaid")}) AS repaid
                FROM meeting m JOIN meeting_member mm ON mm.meeting_id = m.id
                WHERE m.cbo_id = ANY($1::uuid[]) AND m.status <> 'REJECTED'
                  AND m.date BETWEEN $2 AND $3
                GROUP BY 1, 2, 3
            ), demand AS (
                SELECT l.cbo_id, date_trunc('month', (i->>2)::date)::date AS month, l.member_id,
                       sum((i->>3)::bigint + (i->>4)::bigint) AS due
                FROM loan l CROSS JOIN LATERAL jsonb_array_elements(l.state->'schedule') i
                WHERE l.cbo_id = ANY($1::uuid[]) AND (i->>2)::date BETWEEN $2 AND $3
                GROUP BY 1, 2, 3
            )
            SELECT coalesce(p.cbo_id, d.cbo_id) AS cbo_id, coalesce(p.month, d.month) AS month,
                   coalesce(sum(p.rows), 0)::bigint AS expected,
                   coalesce(sum(p.present), 0)::bigint AS present,
                   count(p.member_id) AS members,
                   count(p.member_id) FILTER (WHERE p.cs_paid >= p.cs_due) AS members_full,
                   coalesce(sum(p.lent), 0)::bigint AS lent,
                   coalesce(sum(d.due), 0)::bigint AS demand,
                   coalesce(sum(least(coalesce(p.repaid, 0), d.due)), 0)::bigint AS collected
            FROM per_member p FULL JOIN demand d
              ON d.cbo_id = p.cbo_id AND d.month = p.month AND d.member_id = p.member_id
            GROUP BY 1, 2
            """,
            list(ids),
            start,
            end,
        )
    )


async def meeting_months(
    conn: asyncpg.Connection, ids: Sequence[uuid.UUID], start: dt.date, end: dt.date
) -> list[asyncpg.Record]:
    """Per SHG and month: the meetings held, with each one's date and approval date (India's
    calendar; none while it waits for approval)."""
    return list(
        await conn.fetch(
            """
            SELECT cbo_id, date_trunc('month', date)::date AS month, count(*) AS held,
                   array_agg(date ORDER BY number) AS dates,
                   array_agg(CASE WHEN status = 'APPROVED'
                                  THEN (decided_at AT TIME ZONE 'Asia/Kolkata')::date END
                             ORDER BY number) AS approved
            FROM meeting
            WHERE cbo_id = ANY($1::uuid[]) AND status <> 'REJECTED' AND date BETWEEN $2 AND $3
            GROUP BY 1, 2
            """,
            list(ids),
            start,
            end,
        )
    )


async def corpus_months(
    conn: asyncpg.Connection,
    ids: Sequence[uuid.UUID],
    start: dt.date,
    end: dt.date,
    heads: Sequence[str],
) -> list[asyncpg.Record]:
    """Per SHG and month from ``start``: the own corpus at the month's end (the credit balance
    of ``heads``: savings, funds, surplus and the year's income less expenses)."""
    return list(
        await conn.fetch(
            """
            SELECT cbo_id, month,
                   (-sum(sum(amount)) OVER (PARTITION BY cbo_id ORDER BY month))::bigint AS corpus
            FROM (
                SELECT cbo_id, greatest(date_trunc('month', entry_date)::date, $2) AS month,
                       amount
                FROM posting
                WHERE cbo_id = ANY($1::uuid[]) AND entry_date <= $3 AND head = ANY($4::text[])
            ) p
            GROUP BY cbo_id, month
            ORDER BY cbo_id, month
            """,
            list(ids),
            start,
            end,
            list(heads),
        )
    )


async def insert_grades(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """``(grade_id, cbo_id, cbo_type, state, period_end, score, grade, passed, indicators,
    policy, computed_by)`` with one COPY."""
    await conn.copy_records_to_table(
        "cbo_grade",
        records=[(*r[:8], json.dumps(r[8]), json.dumps(r[9]), r[10]) for r in rows],
        columns=[
            "grade_id",
            "cbo_id",
            "cbo_type",
            "state",
            "period_end",
            "score",
            "grade",
            "passed",
            "indicators",
            "policy",
            "computed_by",
        ],
    )


async def grades(conn: asyncpg.Connection, cbo_id: uuid.UUID) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            "SELECT * FROM cbo_grade WHERE cbo_id = $1 ORDER BY period_end DESC, computed_at DESC",
            cbo_id,
        )
    )
