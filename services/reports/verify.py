"""Consistency of the read models: recount what the consumer maintains by difference.

The rollups move by the difference of each batch (``repository.refresh_shgs``); this recounts
them from scratch — every SHG's numbers from the copied records (``cbo``, ``member``,
``meeting``), every block's and district's sums from those — and lists each block whose
maintained numbers differ from the recount. An empty list means the dashboard equals a
recount of the events applied.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from services.reports.models import ROLLUP_SUMS


@dataclass(frozen=True)
class Difference:
    district: str
    block: str
    # "shg_stats", "block_rollup" or "district_rollup"
    table: str
    column: str
    kept: int
    recounted: int


_COLUMNS = ROLLUP_SUMS


async def verify(conn: asyncpg.Connection, state: str) -> list[Difference]:
    """Differences per block between what the consumer kept and a recount."""
    shgs = [
        r["cbo_id"]
        for r in await conn.fetch(
            "SELECT cbo_id FROM cbo WHERE state = $1 AND cbo_type = 'SHG'", state
        )
    ]
    sums = ", ".join(f"sum({c})::bigint AS {c}" for c in _COLUMNS)
    recounted = {
        (r["district_lgd_code"], r["block_lgd_code"]): r
        for r in await conn.fetch(
            """
            WITH fresh AS (
                SELECT s.cbo_id, s.district_lgd_code, s.block_lgd_code, m.members, m.sc, m.st,
                       m.obc, m.general, m.members - m.sc - m.st - m.obc - m.general AS other,
                       s.has_bank_account, t.n > 0 AS has_transactions,
                       coalesce(t.cs, 0) AS compulsory, coalesce(t.vs, 0) AS voluntary,
                       coalesce(lo.loans_outstanding, 0) AS loan_outstanding
                  FROM cbo s
                  CROSS JOIN LATERAL (
                       SELECT count(*) AS members,
                              count(*) FILTER (WHERE social_category = 'SC') AS sc,
                              count(*) FILTER (WHERE social_category = 'ST') AS st,
                              count(*) FILTER (WHERE social_category = 'OBC') AS obc,
                              count(*) FILTER (WHERE social_category IN ('GEN', 'GENERAL'))
                                AS general
                         FROM member WHERE shg_id = s.cbo_id AND status <> 'inactive') m
                  CROSS JOIN LATERAL (
                       SELECT count(*) AS n, sum(compulsory) AS cs, sum(voluntary) AS vs
                         FROM meeting WHERE cbo_id = s.cbo_id AND status = 'APPROVED') t
                  LEFT JOIN LATERAL (
                       SELECT loans_outstanding FROM meeting
                        WHERE cbo_id = s.cbo_id AND status = 'APPROVED'
                        ORDER BY number DESC LIMIT 1) lo ON true
                 WHERE s.cbo_id = ANY($1::text[]))
            SELECT district_lgd_code, block_lgd_code, count(*)::bigint AS shgs,
                   sum(members)::bigint AS members, sum(sc)::bigint AS sc, sum(st)::bigint AS st,
                   sum(obc)::bigint AS obc, sum(general)::bigint AS general,
                   sum(other)::bigint AS other,
                   count(*) FILTER (WHERE has_bank_account)::bigint AS with_bank,
                   count(*) FILTER (WHERE has_transactions)::bigint AS with_transactions,
                   sum(compulsory)::bigint AS compulsory, sum(voluntary)::bigint AS voluntary,
                   sum(loan_outstanding)::bigint AS loan_outstanding
              FROM fresh GROUP BY 1, 2
            """,
            shgs,
        )
    }
    kept = {
        (r["district_lgd_code"], r["block_lgd_code"]): r
        for r in await conn.fetch(
            f"SELECT district_lgd_code, block_lgd_code, {sums} FROM block_rollup"
            " WHERE state = $1 GROUP BY 1, 2",
            state,
        )
    }
    by_district = {
        r["district_lgd_code"]: r
        for r in await conn.fetch(
            f"SELECT district_lgd_code, {sums} FROM district_rollup WHERE state = $1 GROUP BY 1",
            state,
        )
    }
    out: list[Difference] = []
    for key in sorted(set(recounted) | set(kept)):
        fresh, held = recounted.get(key), kept.get(key)
        for c in _COLUMNS:
            a = int(held[c]) if held else 0
            b = int(fresh[c] or 0) if fresh else 0
            if a != b:
                out.append(Difference(key[0], key[1], "block_rollup", c, a, b))
    districts = {d for d, _ in recounted} | set(by_district)
    for d in sorted(districts):
        held = by_district.get(d)
        for c in _COLUMNS:
            a = int(held[c]) if held else 0
            b = sum(int(r[c] or 0) for (dd, _), r in recounted.items() if dd == d)
            if a != b:
                out.append(Difference(d, "", "district_rollup", c, a, b))
    return out
