"""Consistency of the read models, in two checks.

:func:`verify`: the rollups move by the difference of each batch (``repository.refresh_shgs``,
``repository.move_member_counts``); this recounts them from scratch — every SHG's numbers from
the copied records (``cbo``, ``member``, ``meeting``), every block's and district's sums from
those — and lists each block whose maintained numbers differ from the recount. An empty list
means the dashboard equals a recount of the events applied.

:func:`compare_with_owners`: the same block numbers against the owners' own totals, counted
from their records over gRPC (profiles' ``CountShgsByBlock``, transactions'
``CountBooksByBlock``): a difference there is an event lost, unapplied or applied wrongly. The
read models lag the owners by the events in flight: compare once the consumer has caught up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import grpc

from lokos.profiles.v1 import profiles_pb2, profiles_pb2_grpc
from lokos.transactions.v1 import transactions_pb2, transactions_pb2_grpc
from services.reports.models import ROLLUP_SUMS


@dataclass(frozen=True)
class Difference:
    district: str
    block: str
    # "shg_stats", "block_rollup" or "district_rollup"; against the owners: "profiles" or
    # "transactions", whose total is then the "recounted" one
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


# Which owner counts each rollup column.
_PROFILES = ("shgs", "with_bank", "members", "sc", "st", "obc", "general", "other")
_TRANSACTIONS = ("with_transactions", "compulsory", "voluntary", "loan_outstanding")
OWNER_OF = {**dict.fromkeys(_PROFILES, "profiles"), **dict.fromkeys(_TRANSACTIONS, "transactions")}
Block = tuple[str, str]


async def owners_totals(
    profiles: grpc.aio.Channel,
    transactions: grpc.aio.Channel,
    metadata: Sequence[tuple[str, str | bytes]],
) -> dict[Block, dict[str, int]]:
    """The owners' numbers per (district, block) of the caller's state."""
    out: dict[Block, dict[str, int]] = {}
    shgs: Any = profiles_pb2_grpc.ProfilesServiceStub(profiles)
    books: Any = transactions_pb2_grpc.TransactionsServiceStub(transactions)
    answers = (
        await shgs.CountShgsByBlock(profiles_pb2.CountShgsByBlockRequest(), metadata=metadata),
        await books.CountBooksByBlock(
            transactions_pb2.CountBooksByBlockRequest(), metadata=metadata
        ),
    )
    for answer in answers:
        for b in answer.blocks:
            totals = out.setdefault((b.district_lgd_code, b.block_lgd_code), {})
            for field, value in b.ListFields():
                if field.name in OWNER_OF:
                    totals[field.name] = int(value)
    return out


async def compare_with_owners(
    conn: asyncpg.Connection, state: str, owners: Mapping[Block, Mapping[str, int]]
) -> list[Difference]:
    """Each block's rollup numbers that differ from the owners' totals."""
    sums = ", ".join(f"sum({c})::bigint AS {c}" for c in OWNER_OF)
    kept = {
        (r["district_lgd_code"], r["block_lgd_code"]): r
        for r in await conn.fetch(
            f"SELECT district_lgd_code, block_lgd_code, {sums} FROM block_rollup"
            " WHERE state = $1 GROUP BY 1, 2",
            state,
        )
    }
    out: list[Difference] = []
    for key in sorted(set(kept) | set(owners)):
        held, counted = kept.get(key), owners.get(key, {})
        for c, owner in OWNER_OF.items():
            a = int(held[c] or 0) if held else 0
            b = counted.get(c, 0)
            if a != b:
                out.append(Difference(key[0], key[1], owner, c, a, b))
    return out
