"""SQL of the reports read models: writes of the consumer, and the report queries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Meeting statuses as the transactions service names them.
CLOSED, APPROVED, REJECTED = "CLOSED", "APPROVED", "REJECTED"


async def raw(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under ``session``, inside its (opened) transaction."""
    conn = await session.connection()
    dbapi = await conn.get_raw_connection()
    pg: asyncpg.Connection = dbapi.driver_connection
    if not pg.is_in_transaction():
        await session.execute(text("SELECT 1"))
    return pg


# --- writes of the consumer -------------------------------------------------------------------


# Rows written from snapshot events carry the event's stream sequence last (``seq``); the
# upserts below leave a row alone when it was written by a newer event (a redelivery, a replay,
# an older event redelivered after a newer one), which is what makes these events idempotent
# without an inbox row each. ``<=``: the same event again writes the same values.


async def upsert_cbos(conn: asyncpg.Connection, rows: Sequence[tuple[object, ...]]) -> None:
    await conn.executemany(
        """
        INSERT INTO cbo (cbo_id, cbo_type, state, district_lgd_code, block_lgd_code, code, name,
                         status, migrated, has_bank_account, formed_on, parent_id, seq)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
        ON CONFLICT (cbo_id) DO UPDATE SET
            cbo_type = EXCLUDED.cbo_type, state = EXCLUDED.state,
            district_lgd_code = EXCLUDED.district_lgd_code,
            block_lgd_code = EXCLUDED.block_lgd_code, code = EXCLUDED.code,
            name = EXCLUDED.name, status = EXCLUDED.status, migrated = EXCLUDED.migrated,
            has_bank_account = EXCLUDED.has_bank_account, formed_on = EXCLUDED.formed_on,
            parent_id = EXCLUDED.parent_id, seq = EXCLUDED.seq
        WHERE cbo.seq <= EXCLUDED.seq
        """,
        rows,
    )


async def link_federation(conn: asyncpg.Connection, links: Mapping[str, tuple[str, int]]) -> None:
    """``links``: per child, its parent and the link event's stream sequence."""
    await conn.executemany(
        "UPDATE cbo SET parent_id = $2, seq = $3 WHERE cbo_id = $1 AND seq <= $3",
        [(child, parent, seq) for child, (parent, seq) in links.items()],
    )


async def apply_members(conn: asyncpg.Connection, rows: Sequence[tuple[object, ...]]) -> set[str]:
    """Upsert members (member_id, shg_id, social_category, status, seq) and move the member
    counts of their SHGs' ``shg_stats`` and of those SHGs' block and district rollups by what
    the rows written changed (a joining, leaving or recategorised member is +1/-1 in two
    columns, not a recount of her SHG; a member a newer event wrote is left alone and moves
    nothing). One statement over arrays: a bulk import's batch costs one round trip and no
    row-by-row work here. Returns the SHGs whose counts moved but that have no stats yet
    (their own event still to come), which the caller recounts instead."""
    return {r[0] for r in await conn.fetch(_MEMBERS, *([r[i] for r in rows] for i in range(5)))}


async def upsert_users(
    conn: asyncpg.Connection,
    rows: Sequence[tuple[object, ...]],
    cbos: Mapping[str, list[tuple[str, str]]],
) -> None:
    """Upsert users (their CBO mappings with them): only those no newer event wrote."""
    written: set[str] = set()
    for row in rows:
        got = await conn.fetchval(
            """
            INSERT INTO app_user (user_id, state, category, status, district_lgd_code,
                                  block_lgd_code, roles, districts, blocks, seq)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (user_id) DO UPDATE SET state = EXCLUDED.state,
                category = EXCLUDED.category, status = EXCLUDED.status,
                district_lgd_code = EXCLUDED.district_lgd_code,
                block_lgd_code = EXCLUDED.block_lgd_code, roles = EXCLUDED.roles,
                districts = EXCLUDED.districts, blocks = EXCLUDED.blocks, seq = EXCLUDED.seq
            WHERE app_user.seq <= EXCLUDED.seq
            RETURNING user_id
            """,
            *row,
        )
        if got is not None:
            written.add(str(got))
    mapped = {u: c for u, c in cbos.items() if u in written}
    await conn.execute("DELETE FROM user_cbo WHERE user_id = ANY($1::text[])", list(mapped))
    await conn.executemany(
        "INSERT INTO user_cbo (user_id, cbo_id, cbo_type) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING",
        [(u, c, t) for u, pairs in mapped.items() for c, t in pairs],
    )


async def record_logins(conn: asyncpg.Connection, logins: Mapping[str, datetime]) -> None:
    await conn.executemany(
        "UPDATE app_user SET last_login = greatest(last_login, $2) WHERE user_id = $1",
        list(logins.items()),
    )


async def upsert_meeting(
    conn: asyncpg.Connection, row: tuple[object, ...], *, decided: bool
) -> None:
    """A meeting closed (entered: a new attempt, ``closed_at`` = now) or decided."""
    await conn.execute(
        """
        INSERT INTO meeting (cbo_id, number, cbo_type, district_lgd_code, block_lgd_code,
                             held_on, status, compulsory, voluntary, loans_outstanding, maker,
                             checker, rejections, closed_at, decided_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                CASE WHEN $7::varchar = 'REJECTED' THEN 1 ELSE 0 END, $13,
                CASE WHEN $14::bool THEN $13::timestamptz END)
        ON CONFLICT (cbo_id, number) DO UPDATE SET
            held_on = EXCLUDED.held_on, status = EXCLUDED.status,
            compulsory = EXCLUDED.compulsory, voluntary = EXCLUDED.voluntary,
            loans_outstanding = EXCLUDED.loans_outstanding, maker = EXCLUDED.maker,
            checker = EXCLUDED.checker,
            rejections = meeting.rejections + EXCLUDED.rejections,
            closed_at = CASE WHEN $14::bool THEN meeting.closed_at ELSE EXCLUDED.closed_at END,
            decided_at = EXCLUDED.decided_at
        """,
        *row,
        decided,
    )


async def replace_loan_positions(
    conn: asyncpg.Connection, cbo_id: str, number: int, rows: Sequence[tuple[object, ...]]
) -> None:
    """The loans as meeting ``number`` left them (none: the meeting was rejected)."""
    await conn.execute(
        "DELETE FROM loan_position WHERE cbo_id = $1 AND meeting_number = $2", cbo_id, number
    )
    await conn.executemany(
        """
        INSERT INTO loan_position (loan_id, meeting_number, cbo_id, member_id, source, amount,
                                   outstanding_principal, due_principal, due_interest,
                                   collected_principal, collected_interest, overdue_principal,
                                   overdue_interest, days_overdue)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
        """,
        rows,
    )


async def upsert_cutoff(
    conn: asyncpg.Connection, cbo_id: str, on: date, total: int, when: datetime
) -> None:
    await conn.execute(
        """
        INSERT INTO cutoff (cbo_id, cutoff_date, total_assets, approved_at)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (cbo_id) DO UPDATE SET cutoff_date = EXCLUDED.cutoff_date,
            total_assets = EXCLUDED.total_assets, approved_at = EXCLUDED.approved_at
        """,
        cbo_id,
        on,
        total,
        when,
    )


_STATS = f"""
INSERT INTO shg_stats (shg_id, state, district_lgd_code, block_lgd_code, vo_id, clf_id,
                       formed_on, has_bank_account, members, sc, st, obc, general, other,
                       has_transactions, compulsory, voluntary, loan_outstanding)
SELECT s.cbo_id, s.state, s.district_lgd_code, s.block_lgd_code, s.parent_id,
       coalesce(v.parent_id, ''), s.formed_on, s.has_bank_account,
       m.members, m.sc, m.st, m.obc, m.general, m.members - m.sc - m.st - m.obc - m.general,
       t.n > 0, coalesce(t.cs, 0), coalesce(t.vs, 0), coalesce(lo.loans_outstanding, 0)
  FROM unnest($1::text[]) AS touched(id)
  JOIN cbo s ON s.cbo_id = touched.id
  LEFT JOIN LATERAL (SELECT parent_id FROM cbo WHERE cbo_id = s.parent_id AND s.parent_id <> '')
       v ON true
  CROSS JOIN LATERAL (
       SELECT count(*) AS members,
              count(*) FILTER (WHERE social_category = 'SC') AS sc,
              count(*) FILTER (WHERE social_category = 'ST') AS st,
              count(*) FILTER (WHERE social_category = 'OBC') AS obc,
              count(*) FILTER (WHERE social_category IN ('GEN', 'GENERAL')) AS general
         FROM member WHERE shg_id = s.cbo_id AND status <> 'inactive') m
  CROSS JOIN LATERAL (
       SELECT count(*) AS n, sum(compulsory) AS cs, sum(voluntary) AS vs
         FROM meeting WHERE cbo_id = s.cbo_id AND status = '{APPROVED}') t
  LEFT JOIN LATERAL (
       SELECT loans_outstanding FROM meeting
        WHERE cbo_id = s.cbo_id AND status = '{APPROVED}'
        ORDER BY number DESC LIMIT 1) lo ON true
 WHERE s.cbo_type = 'SHG'
ON CONFLICT (shg_id) DO UPDATE SET
    state = EXCLUDED.state, district_lgd_code = EXCLUDED.district_lgd_code,
    block_lgd_code = EXCLUDED.block_lgd_code, vo_id = EXCLUDED.vo_id,
    clf_id = EXCLUDED.clf_id, formed_on = EXCLUDED.formed_on,
    has_bank_account = EXCLUDED.has_bank_account, members = EXCLUDED.members,
    sc = EXCLUDED.sc, st = EXCLUDED.st, obc = EXCLUDED.obc, general = EXCLUDED.general,
    other = EXCLUDED.other, has_transactions = EXCLUDED.has_transactions,
    compulsory = EXCLUDED.compulsory, voluntary = EXCLUDED.voluntary,
    loan_outstanding = EXCLUDED.loan_outstanding
"""

_ROLLUP_SUMS = """
    count(*), sum(members), sum(sc), sum(st), sum(obc), sum(general), sum(other),
    count(*) FILTER (WHERE has_bank_account), count(*) FILTER (WHERE has_transactions),
    sum(compulsory), sum(voluntary), sum(loan_outstanding)
"""

_ROLLUP_COLUMNS = (
    "shgs, members, sc, st, obc, general, other, with_bank, with_transactions,"
    " compulsory, voluntary, loan_outstanding"
)


_ROLLUP_KEY = "state, district_lgd_code, block_lgd_code, date_trunc('month', formed_on)::date"
_ROLLUP_FIELDS = tuple(c.strip() for c in _ROLLUP_COLUMNS.split(","))

# The member columns of ``shg_stats`` a member counts in: all, then her social category's
# (``other`` is what the others leave); an inactive member counts in none.
_COUNTED = ("members", "sc", "st", "obc", "general")
_MEMBER_ROLLUP = ", ".join(
    f"sum({c})"
    if c in _COUNTED
    else "sum(members - sc - st - obc - general)"
    if c == "other"
    else "0"
    for c in _ROLLUP_FIELDS
)
_MEMBER_ROLLUP_ADD = ", ".join(f"{c} = t.{c} + EXCLUDED.{c}" for c in (*_COUNTED, "other"))
# The rows as they were (``was``: the statement's snapshot, before ``up`` wrote) beside the
# rows written; the difference per SHG; added to shg_stats, then per block and district month.
_MEMBERS = f"""
WITH d AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
        AS d(member_id, shg_id, social_category, status, seq)),
was AS (
    SELECT member_id, shg_id, social_category, status
      FROM member WHERE member_id = ANY($1::text[])),
up AS (
    INSERT INTO member (member_id, shg_id, social_category, status, seq)
    SELECT * FROM d
    ON CONFLICT (member_id) DO UPDATE SET shg_id = EXCLUDED.shg_id,
        social_category = EXCLUDED.social_category, status = EXCLUDED.status,
        seq = EXCLUDED.seq
    WHERE member.seq <= EXCLUDED.seq
    RETURNING member_id, shg_id, social_category, status),
moved AS (
    SELECT shg_id, social_category AS category, 1 AS sign FROM up WHERE status <> 'inactive'
    UNION ALL
    SELECT was.shg_id, was.social_category, -1
      FROM up JOIN was USING (member_id) WHERE was.status <> 'inactive'),
delta AS (
    SELECT shg_id, sum(sign) AS members,
           coalesce(sum(sign) FILTER (WHERE category = 'SC'), 0) AS sc,
           coalesce(sum(sign) FILTER (WHERE category = 'ST'), 0) AS st,
           coalesce(sum(sign) FILTER (WHERE category = 'OBC'), 0) AS obc,
           coalesce(sum(sign) FILTER (WHERE category IN ('GEN', 'GENERAL')), 0) AS general
      FROM moved GROUP BY shg_id),
nonzero AS (
    SELECT * FROM delta WHERE (members, sc, st, obc, general) <> (0, 0, 0, 0, 0)),
stats AS (
    UPDATE shg_stats s SET members = s.members + d.members, sc = s.sc + d.sc,
           st = s.st + d.st, obc = s.obc + d.obc, general = s.general + d.general,
           other = s.other + (d.members - d.sc - d.st - d.obc - d.general)
      FROM nonzero d
     WHERE s.shg_id = d.shg_id
    RETURNING s.shg_id, {_ROLLUP_KEY.replace("formed_on", "s.formed_on")} AS formed_month,
              d.members, d.sc, d.st, d.obc, d.general),
block AS (
    INSERT INTO block_rollup AS t (state, district_lgd_code, block_lgd_code, formed_month,
                                   {_ROLLUP_COLUMNS})
    SELECT state, district_lgd_code, block_lgd_code, formed_month, {_MEMBER_ROLLUP}
      FROM stats GROUP BY 1, 2, 3, 4
    ON CONFLICT (state, district_lgd_code, block_lgd_code, formed_month)
    DO UPDATE SET {_MEMBER_ROLLUP_ADD}),
district AS (
    INSERT INTO district_rollup AS t (state, district_lgd_code, formed_month, {_ROLLUP_COLUMNS})
    SELECT state, district_lgd_code, formed_month, {_MEMBER_ROLLUP}
      FROM stats GROUP BY 1, 2, 3
    ON CONFLICT (state, district_lgd_code, formed_month) DO UPDATE SET {_MEMBER_ROLLUP_ADD})
SELECT shg_id FROM nonzero WHERE shg_id NOT IN (SELECT shg_id FROM stats)
"""


async def refresh_shgs(conn: asyncpg.Connection, touched: Iterable[str]) -> None:
    """Recompute the stats of the touched SHGs (and of the SHGs of touched VOs: their CLF may
    have changed), and move the rollups by the difference: the work is the batch's SHGs, not
    the blocks they lie in."""
    ids = sorted(touched)
    shgs = [
        r["cbo_id"]
        for r in await conn.fetch(
            "SELECT cbo_id FROM cbo WHERE cbo_type = 'SHG'"
            " AND (cbo_id = ANY($1::text[]) OR parent_id = ANY($1::text[]))",
            ids,
        )
    ]
    if not shgs:
        return
    delta: dict[tuple[Any, ...], list[int]] = {}

    def add(rows: Sequence[asyncpg.Record], sign: int) -> None:
        for r in rows:
            key = (r[0], r[1], r[2], r[3])
            sums = delta.setdefault(key, [0] * len(_ROLLUP_FIELDS))
            for i in range(len(_ROLLUP_FIELDS)):
                sums[i] += sign * int(r[4 + i] or 0)

    add(
        await conn.fetch(
            f"SELECT {_ROLLUP_KEY}, {_ROLLUP_SUMS} FROM shg_stats"
            " WHERE shg_id = ANY($1::text[]) GROUP BY 1, 2, 3, 4",
            shgs,
        ),
        -1,
    )
    add(
        await conn.fetch(
            f"WITH up AS ({_STATS} RETURNING *)"
            f" SELECT {_ROLLUP_KEY}, {_ROLLUP_SUMS} FROM up GROUP BY 1, 2, 3, 4",
            shgs,
        ),
        1,
    )
    await move_rollups(conn, {k: v for k, v in delta.items() if any(v)})


async def move_rollups(
    conn: asyncpg.Connection, delta: Mapping[tuple[Any, ...], Sequence[int]]
) -> None:
    """Add ``delta`` (per state, district, block, month) to the block and district rollups."""
    if not delta:
        return
    keys = list(delta)
    columns = [[k[i] for k in keys] for i in range(4)]
    sums = [[delta[k][i] for k in keys] for i in range(len(_ROLLUP_FIELDS))]
    fields = ", ".join(_ROLLUP_FIELDS)
    arrays = ", ".join(f"${5 + i}::bigint[]" for i in range(len(_ROLLUP_FIELDS)))
    add = ", ".join(f"{f} = t.{f} + EXCLUDED.{f}" for f in _ROLLUP_FIELDS)
    for table, key, group in (
        ("block_rollup", "state, district_lgd_code, block_lgd_code, formed_month", False),
        ("district_rollup", "state, district_lgd_code, formed_month", True),
    ):
        picked = "s, d, m" if group else "s, d, b, m"
        summed = ", ".join(f"sum({f})" for f in _ROLLUP_FIELDS) if group else fields
        await conn.execute(
            f"""
            INSERT INTO {table} AS t ({key}, {fields})
            SELECT {picked}, {summed}
              FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], {arrays})
                   AS x(s, d, b, m, {fields})
             {"GROUP BY s, d, m" if group else ""}
            ON CONFLICT ({key}) DO UPDATE SET {add}
            """,
            *columns,
            *sums,
        )
    # Months left without an SHG (a move between months of formation) drop out; only a
    # month some SHG left can be one.
    if not any(delta[k][0] < 0 for k in keys):
        return
    await conn.execute(
        """
        DELETE FROM block_rollup r USING unnest($1::text[], $2::text[], $3::text[], $4::date[])
            AS x(s, d, b, m)
         WHERE r.shgs = 0 AND r.state = x.s AND r.district_lgd_code = x.d
           AND r.block_lgd_code = x.b AND r.formed_month = x.m
        """,
        *columns,
    )
    await conn.execute(
        """
        DELETE FROM district_rollup r USING unnest($1::text[], $2::text[], $3::date[])
            AS x(s, d, m)
         WHERE r.shgs = 0 AND r.state = x.s AND r.district_lgd_code = x.d AND r.formed_month = x.m
        """,
        columns[0],
        columns[1],
        columns[3],
    )


async def record_applied(
    conn: asyncpg.Connection, source: str, event_id: str, when: datetime, pending: int
) -> None:
    await conn.execute(
        """
        INSERT INTO applied (source, last_event_id, last_event_at, applied_at, pending)
        VALUES ($1, $2, $3, now(), $4)
        ON CONFLICT (source) DO UPDATE SET last_event_id = EXCLUDED.last_event_id,
            last_event_at = greatest(applied.last_event_at, EXCLUDED.last_event_at),
            applied_at = now(), pending = EXCLUDED.pending
        """,
        source,
        event_id,
        when,
        pending,
    )


# --- queries of the reports -------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which SHGs a report covers: the filter, within the caller's reach.

    ``districts``/``blocks`` None means the whole state; otherwise rows must lie in one of
    those districts or blocks."""

    state: str
    district: str = ""
    block: str = ""
    clf_id: str = ""
    vo_id: str = ""
    districts: frozenset[str] | None = None
    blocks: frozenset[str] | None = None


def _where(scope: Scope, args: list[object], prefix: str = "") -> str:
    """SQL conditions on a table with state/district_lgd_code/block_lgd_code columns."""

    def arg(value: object) -> str:
        args.append(value)
        return f"${len(args)}"

    p = prefix
    conds = [f"{p}state = {arg(scope.state)}"]
    if scope.district:
        conds.append(f"{p}district_lgd_code = {arg(scope.district)}")
    if scope.block:
        conds.append(f"{p}block_lgd_code = {arg(scope.block)}")
    if scope.blocks:
        conds.append(
            f"({p}district_lgd_code = ANY({arg(sorted(scope.districts or ()))}::text[])"
            f" OR {p}block_lgd_code = ANY({arg(sorted(scope.blocks))}::text[]))"
        )
    elif scope.districts is not None:
        # Reached by districts only (tables without a block column read the same).
        conds.append(f"{p}district_lgd_code = ANY({arg(sorted(scope.districts))}::text[])")
    return " AND ".join(conds)


_PANEL_FROM_STATS = """
    count(*) AS shgs, coalesce(sum(members), 0) AS members, coalesce(sum(sc), 0) AS sc,
    coalesce(sum(st), 0) AS st, coalesce(sum(obc), 0) AS obc,
    coalesce(sum(general), 0) AS general, coalesce(sum(other), 0) AS other,
    count(*) FILTER (WHERE has_bank_account) AS with_bank,
    count(*) FILTER (WHERE NOT has_bank_account AND formed_on < $B3) AS nobank_3,
    count(*) FILTER (WHERE NOT has_bank_account AND formed_on < $B6) AS nobank_6,
    count(*) FILTER (WHERE has_transactions) AS with_transactions,
    coalesce(sum(compulsory), 0) AS compulsory, coalesce(sum(voluntary), 0) AS voluntary,
    coalesce(sum(loan_outstanding), 0) AS loan_outstanding
"""


def _panel_sql(args: list[object], before_3: date, before_6: date) -> str:
    args.extend([before_3, before_6])
    return _PANEL_FROM_STATS.replace("$B3", f"${len(args) - 1}").replace("$B6", f"${len(args)}")


async def panels_from_stats(
    conn: asyncpg.Connection,
    scope: Scope,
    before_3: date,
    before_6: date,
    group: str = "",
) -> list[asyncpg.Record]:
    """Panels over ``shg_stats`` (a block, a CLF or a VO), optionally per ``group`` column."""
    args: list[object] = []
    where = _shg_where(scope, args, "")
    select = _panel_sql(args, before_3, before_6)
    if group:
        return list(
            await conn.fetch(
                f"SELECT {group} AS code, {select} FROM shg_stats WHERE {where}"
                f" GROUP BY {group} ORDER BY {group}",
                *args,
            )
        )
    return list(
        await conn.fetch(f"SELECT '' AS code, {select} FROM shg_stats WHERE {where}", *args)
    )


async def panels_from_rollup(
    conn: asyncpg.Connection,
    scope: Scope,
    before_3: date,
    before_6: date,
    group: str = "",
) -> list[dict[str, Any]]:
    """Panels of a state, district or block from ``block_rollup``; SHGs without a bank account
    for more than 3 (6) months: whole months before the boundary's month from the rollup, the
    boundary month itself from ``shg_stats`` (exact to the day)."""
    args: list[object] = []
    # A whole state or district, unless confined to some blocks: the district rollup.
    by_district = not scope.block and not scope.blocks and group != "block_lgd_code"
    table = "district_rollup" if by_district else "block_rollup"
    where = _where(scope, args)
    args.extend([before_3.replace(day=1), before_6.replace(day=1)])
    m3, m6 = f"${len(args) - 1}", f"${len(args)}"
    key = group or "''"
    rollup = await conn.fetch(
        f"""
        SELECT {key} AS code, coalesce(sum(shgs), 0) AS shgs,
               coalesce(sum(members), 0) AS members, coalesce(sum(sc), 0) AS sc,
               coalesce(sum(st), 0) AS st, coalesce(sum(obc), 0) AS obc,
               coalesce(sum(general), 0) AS general, coalesce(sum(other), 0) AS other,
               coalesce(sum(with_bank), 0) AS with_bank,
               coalesce(sum(shgs - with_bank) FILTER (WHERE formed_month < {m3}), 0) AS nobank_3,
               coalesce(sum(shgs - with_bank) FILTER (WHERE formed_month < {m6}), 0) AS nobank_6,
               coalesce(sum(with_transactions), 0) AS with_transactions,
               coalesce(sum(compulsory), 0) AS compulsory,
               coalesce(sum(voluntary), 0) AS voluntary,
               coalesce(sum(loan_outstanding), 0) AS loan_outstanding
          FROM {table} WHERE {where}
          {f"GROUP BY {group} ORDER BY {group}" if group else ""}
        """,
        *args,
    )
    # The boundary months: SHGs without an account formed in the month of the boundary but
    # before the boundary day.
    bargs: list[object] = []
    bwhere = _where(scope, bargs)
    bargs.extend([before_3.replace(day=1), before_3, before_6.replace(day=1), before_6])
    a3, z3, a6, z6 = (f"${len(bargs) - 3 + i}" for i in range(4))
    in3 = f"formed_on >= {a3} AND formed_on < {z3}"
    in6 = f"formed_on >= {a6} AND formed_on < {z6}"
    edge = await conn.fetch(
        f"""
        SELECT {key} AS code, count(*) FILTER (WHERE {in3}) AS nobank_3,
               count(*) FILTER (WHERE {in6}) AS nobank_6
          FROM shg_stats
         WHERE {bwhere} AND NOT has_bank_account AND (({in3}) OR ({in6}))
         {f"GROUP BY {group}" if group else ""}
        """,
        *bargs,
    )
    extra = {r["code"]: (r["nobank_3"], r["nobank_6"]) for r in edge}
    out = []
    for r in rollup:
        d = dict(r)
        e3, e6 = extra.get(r["code"], (0, 0))
        d["nobank_3"] += e3
        d["nobank_6"] += e6
        out.append(d)
    return out


async def cbo_names(conn: asyncpg.Connection, ids: Sequence[str]) -> dict[str, str]:
    rows = await conn.fetch("SELECT cbo_id, name FROM cbo WHERE cbo_id = ANY($1::text[])", ids)
    return {r["cbo_id"]: r["name"] for r in rows}


async def cbo_place(conn: asyncpg.Connection, cbo_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT cbo_id, cbo_type, state, district_lgd_code, block_lgd_code FROM cbo"
        " WHERE cbo_id = $1",
        cbo_id,
    )


async def district_of_block(conn: asyncpg.Connection, state: str, block: str) -> str | None:
    """The district a block's CBOs were recorded under; None when it has none yet."""
    value = await conn.fetchval(
        "SELECT district_lgd_code FROM cbo WHERE state = $1 AND block_lgd_code = $2 LIMIT 1",
        state,
        block,
    )
    return None if value is None else str(value)


async def district_known(conn: asyncpg.Connection, state: str, district: str) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM district_rollup"
            " WHERE state = $1 AND district_lgd_code = $2)",
            state,
            district,
        )
    )


def _shg_where(scope: Scope, args: list[object], alias: str = "s.") -> str:
    """The SHGs (``shg_stats``, as ``alias``) within ``scope``, federation filters included."""
    where = _where(scope, args, alias)
    if scope.clf_id:
        args.append(scope.clf_id)
        where += f" AND {alias}clf_id = ${len(args)}"
    if scope.vo_id:
        args.append(scope.vo_id)
        where += f" AND {alias}vo_id = ${len(args)}"
    return where


async def shg_page(
    conn: asyncpg.Connection,
    scope: Scope,
    after: str,
    limit: int,
    before_3: date,
    before_6: date,
) -> list[asyncpg.Record]:
    args: list[object] = []
    where = _shg_where(scope, args)
    args.append(after)
    where += f" AND s.shg_id > ${len(args)}"
    args.append(limit)
    return list(
        await conn.fetch(
            f"""
            SELECT s.*, c.code, c.name, c.status FROM shg_stats s JOIN cbo c ON c.cbo_id = s.shg_id
             WHERE {where} ORDER BY s.shg_id LIMIT ${len(args)}
            """,
            *args,
        )
    )


# The cells of one SHG in a download, in the order of labels.SHG_COLUMNS, formatted by
# PostgreSQL as the dashboard shows them (whole rupees, 0/1 flags, ISO dates): the rows arrive
# as text ready to send, with no Python object per row or cell in between (a state's list is
# 8 lakh rows). Rupees are floored as Python's // floors (integer division truncates towards
# zero: one less when a negative amount leaves a remainder).
_SHG_EXPORT_CELLS = """
    s.shg_id, c.code, c.name, c.status, s.district_lgd_code, s.block_lgd_code, s.vo_id,
    s.clf_id, to_char(s.formed_on, 'YYYY-MM-DD'),
    s.members::text, s.sc::text, s.st::text, s.obc::text, s.general::text, s.other::text,
    s.has_bank_account::int::text, (NOT s.has_bank_account)::int::text,
    (NOT s.has_bank_account AND s.formed_on < $B3)::int::text,
    (NOT s.has_bank_account AND s.formed_on < $B6)::int::text,
    s.has_transactions::int::text, (NOT s.has_transactions)::int::text,
    (s.compulsory / 100 - (s.compulsory % 100 < 0)::int)::text,
    (s.voluntary / 100 - (s.voluntary % 100 < 0)::int)::text,
    (s.loan_outstanding / 100 - (s.loan_outstanding % 100 < 0)::int)::text
"""


async def shg_export(
    conn: asyncpg.Connection, scope: Scope, before_3: date, before_6: date
) -> asyncpg.cursor.Cursor:
    """The SHG download as a server-side cursor (``conn`` must be in a transaction): records of
    text cells in the order of labels.SHG_COLUMNS, by SHG id. One query read as it goes, from
    one snapshot; keyset pages cost a query each and walked the CBOs from the first at every
    page (the merge join has no bound on that side)."""
    args: list[object] = []
    where = _shg_where(scope, args)
    args.extend([before_3, before_6])
    cells = _SHG_EXPORT_CELLS.replace("$B3", f"${len(args) - 1}").replace("$B6", f"${len(args)}")
    cursor: asyncpg.cursor.Cursor = await conn.cursor(
        f"""
        SELECT {cells} FROM shg_stats s JOIN cbo c ON c.cbo_id = s.shg_id
         WHERE {where} ORDER BY s.shg_id
        """,
        *args,
    )
    return cursor


async def cbo_summary(
    conn: asyncpg.Connection, scope: Scope, bookkeeper_roles: Mapping[str, str]
) -> list[asyncpg.Record]:
    """Per CBO type: totals by status, of the CBOs mapped to an active user holding the
    bookkeeper role of that type (``bookkeeper_roles``: CBO type → role)."""
    args: list[object] = []
    where = _where(scope, args, "c.")
    args.extend([list(bookkeeper_roles), list(bookkeeper_roles.values())])
    types, roles = f"${len(args) - 1}", f"${len(args)}"
    return list(
        await conn.fetch(
            f"""
            WITH mapped AS (
                SELECT DISTINCT uc.cbo_id FROM user_cbo uc JOIN app_user u USING (user_id)
                  JOIN unnest({types}::text[], {roles}::text[]) AS bk(cbo_type, role)
                    ON bk.cbo_type = uc.cbo_type AND bk.role = ANY(u.roles)
                 WHERE u.status = 'active')
            SELECT c.cbo_type,
                   count(*) AS total,
                   count(m.cbo_id) AS mapped,
                   count(m.cbo_id) FILTER (WHERE c.migrated) AS mapped_migrated,
                   count(m.cbo_id) FILTER (WHERE NOT c.migrated) AS mapped_new,
                   count(m.cbo_id) FILTER (WHERE c.status = 'approved') AS approved,
                   count(m.cbo_id) FILTER (WHERE c.status = 'rejected') AS rejected,
                   count(m.cbo_id) FILTER (WHERE c.status = 'pending') AS pending,
                   count(m.cbo_id) FILTER (WHERE c.status = 'incomplete') AS incomplete,
                   count(m.cbo_id) FILTER (WHERE c.status IN ('new', 'modified'))
                     AS with_bookkeeper,
                   count(*) FILTER (WHERE c.status = 'approved') AS approved_overall
              FROM cbo c LEFT JOIN mapped m ON m.cbo_id = c.cbo_id
             WHERE {where}
             GROUP BY c.cbo_type
            """,
            *args,
        )
    )


async def bookkeepers(
    conn: asyncpg.Connection, scope: Scope, role: str, cbo_type: str
) -> tuple[int, int]:
    """Active users holding ``role`` within the scope, and those mapped to a CBO of the type."""
    args: list[object] = []
    where = _where(scope, args, "u.")
    args.extend([role, cbo_type])
    row = await conn.fetchrow(
        f"""
        SELECT count(*) AS n,
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM user_cbo uc
                                   WHERE uc.user_id = u.user_id
                                     AND uc.cbo_type = ${len(args)})) AS mapped
          FROM app_user u
         WHERE {where} AND u.status = 'active' AND ${len(args) - 1} = ANY(u.roles)
        """,
        *args,
    )
    assert row is not None
    return int(row["n"]), int(row["mapped"])


async def meeting_summary(
    conn: asyncpg.Connection, scope: Scope, since: Sequence[date]
) -> list[asyncpg.Record]:
    args: list[object] = []
    where = _where(scope, args, "c.")
    args.extend(since)
    d30, d60, d90 = (f"${len(args) - 2 + i}" for i in range(3))
    return list(
        await conn.fetch(
            f"""
            SELECT c.cbo_type,
                   count(mt.cbo_id) AS submitted,
                   count(mt.cbo_id) FILTER (WHERE mt.status = '{APPROVED}') AS approved,
                   coalesce(sum(mt.rejections), 0) AS rejected,
                   count(mt.cbo_id) FILTER (WHERE mt.status = '{CLOSED}') AS with_approver,
                   count(mt.cbo_id) FILTER (WHERE mt.status = '{REJECTED}') AS with_bookkeeper,
                   count(DISTINCT co.cbo_id) AS with_cutoff,
                   count(DISTINCT mt.cbo_id) FILTER (WHERE mt.held_on >= {d30}) AS met_30,
                   count(DISTINCT mt.cbo_id) FILTER (WHERE mt.held_on >= {d60}) AS met_60,
                   count(DISTINCT mt.cbo_id) FILTER (WHERE mt.held_on >= {d90}) AS met_90
              FROM cbo c
              LEFT JOIN meeting mt ON mt.cbo_id = c.cbo_id
              LEFT JOIN cutoff co ON co.cbo_id = c.cbo_id
             WHERE {where}
             GROUP BY c.cbo_type
            """,
            *args,
        )
    )


async def user_report(
    conn: asyncpg.Connection, scope: Scope, since: datetime
) -> list[asyncpg.Record]:
    args: list[object] = []
    where = _where(scope, args, "u.")
    args.append(since)
    return list(
        await conn.fetch(
            f"""
            SELECT r.role,
                   count(*) FILTER (WHERE u.status = 'active') AS active,
                   count(*) FILTER (WHERE u.status <> 'active') AS inactive,
                   count(*) FILTER (WHERE EXISTS (SELECT 1 FROM user_cbo uc
                                                   WHERE uc.user_id = u.user_id)) AS mapped,
                   count(*) FILTER (WHERE u.last_login >= ${len(args)}) AS recent,
                   count(*) FILTER (WHERE u.last_login IS NULL) AS never,
                   max(u.last_login) AS last_login
              FROM app_user u CROSS JOIN LATERAL unnest(u.roles) AS r(role)
             WHERE {where}
             GROUP BY r.role ORDER BY r.role
            """,
            *args,
        )
    )


async def freshness(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return list(await conn.fetch("SELECT * FROM applied"))


# --- loan reports ------------------------------------------------------------------------------


def _positions(scope: Scope, args: list[object]) -> str:
    """The loan positions of approved meetings of the scope's SHGs, with meeting date and place."""
    where = _shg_where(scope, args)
    return f"""
        SELECT lp.*, mt.held_on, s.district_lgd_code, s.block_lgd_code, s.shg_id,
               s.clf_id, s.vo_id
          FROM loan_position lp
          JOIN meeting mt ON mt.cbo_id = lp.cbo_id AND mt.number = lp.meeting_number
                         AND mt.status = '{APPROVED}'
          JOIN shg_stats s ON s.shg_id = lp.cbo_id
         WHERE {where}
    """


async def dcb(
    conn: asyncpg.Connection, scope: Scope, group: str, start: date, end: date
) -> list[asyncpg.Record]:
    """R6 per ``group``: overdue at the start, instalments due and collections in the period,
    overdue and outstanding at the end (paise)."""
    args: list[object] = []
    pos = _positions(scope, args)
    args.extend([start, end])
    a, z = f"${len(args) - 1}", f"${len(args)}"
    return list(
        await conn.fetch(
            f"""
            WITH pos AS ({pos}),
            opening AS (SELECT DISTINCT ON (loan_id) * FROM pos WHERE held_on < {a}
                         ORDER BY loan_id, meeting_number DESC),
            closing AS (SELECT DISTINCT ON (loan_id) * FROM pos WHERE held_on <= {z}
                         ORDER BY loan_id, meeting_number DESC)
            SELECT code, sum(op) AS op, sum(oi) AS oi, sum(dp) AS dp, sum(di) AS di,
                   sum(cp) AS cp, sum(ci) AS ci, sum(xp) AS xp, sum(xi) AS xi,
                   sum(outstanding) AS outstanding
              FROM (
                SELECT {group} AS code, overdue_principal AS op, overdue_interest AS oi,
                       0 AS dp, 0 AS di, 0 AS cp, 0 AS ci, 0 AS xp, 0 AS xi, 0 AS outstanding
                  FROM opening
                UNION ALL
                SELECT {group}, 0, 0, due_principal, due_interest, collected_principal,
                       collected_interest, 0, 0, 0
                  FROM pos WHERE held_on >= {a} AND held_on <= {z}
                UNION ALL
                SELECT {group}, 0, 0, 0, 0, 0, 0, overdue_principal, overdue_interest,
                       outstanding_principal
                  FROM closing
              ) x
             GROUP BY code ORDER BY code
            """,
            *args,
        )
    )


_BUCKETS = """
    CASE WHEN days <= 0 THEN 'on schedule' WHEN days <= 30 THEN '1-30'
         WHEN days <= 60 THEN '31-60' WHEN days <= 90 THEN '61-90'
         WHEN days <= 180 THEN '91-180' WHEN days <= 360 THEN '181-360' ELSE 'over 360' END
"""


def _closing(scope: Scope, args: list[object], end: date) -> tuple[str, str]:
    """Each loan's last approved position up to ``end``, with its days overdue on ``end``
    (nothing paid since that meeting); and the placeholder of ``end``."""
    pos = _positions(scope, args)
    args.append(end)
    z = f"${len(args)}"
    sql = f"""
        SELECT *, CASE WHEN overdue_principal + overdue_interest > 0
                       THEN days_overdue + ({z}::date - held_on) ELSE 0 END AS days
          FROM (SELECT DISTINCT ON (loan_id) * FROM ({pos}) p WHERE held_on <= {z}
                 ORDER BY loan_id, meeting_number DESC) c
         WHERE outstanding_principal > 0 OR overdue_interest > 0
    """
    return sql, z


async def ageing(conn: asyncpg.Connection, scope: Scope, end: date) -> list[asyncpg.Record]:
    args: list[object] = []
    closing, _ = _closing(scope, args, end)
    return list(
        await conn.fetch(
            f"""
            SELECT {_BUCKETS} AS bucket, count(*) AS loans,
                   sum(outstanding_principal) AS outstanding,
                   sum(overdue_principal) AS overdue_principal,
                   sum(overdue_interest) AS overdue_interest
              FROM ({closing}) c GROUP BY 1
            """,
            *args,
        )
    )


async def par(conn: asyncpg.Connection, scope: Scope, end: date) -> list[asyncpg.Record]:
    args: list[object] = []
    closing, _ = _closing(scope, args, end)
    return list(
        await conn.fetch(
            f"""
            SELECT source, count(*) AS loans, sum(outstanding_principal) AS outstanding,
                   sum(overdue_principal) AS overdue_principal,
                   sum(overdue_interest) AS overdue_interest,
                   coalesce(sum(outstanding_principal) FILTER (WHERE days > 0), 0) AS at_risk,
                   coalesce(sum(outstanding_principal) FILTER (WHERE days > 30), 0) AS at_risk_30,
                   coalesce(sum(outstanding_principal) FILTER (WHERE days > 90), 0) AS at_risk_90
              FROM ({closing}) c GROUP BY source ORDER BY source
            """,
            *args,
        )
    )


async def passbook(
    conn: asyncpg.Connection, scope: Scope, start: date, end: date
) -> asyncpg.Record | None:
    """Members with open and overdue loans at ``end``; loans first disbursed in the period."""
    args: list[object] = []
    closing, z = _closing(scope, args, end)
    pos = _positions(scope, args)
    args.append(start)
    a = f"${len(args)}"
    return await conn.fetchrow(
        f"""
        WITH closing AS ({closing}),
        first AS (SELECT DISTINCT ON (loan_id) loan_id, amount, held_on FROM ({pos}) p
                   ORDER BY loan_id, meeting_number)
        SELECT (SELECT count(DISTINCT member_id) FROM closing
                 WHERE outstanding_principal > 0) AS members_with_loans,
               (SELECT count(*) FROM closing WHERE outstanding_principal > 0) AS open_loans,
               (SELECT count(DISTINCT member_id) FROM closing WHERE days > 0) AS members_overdue,
               (SELECT count(*) FROM first WHERE held_on >= {a} AND held_on <= {z})
                 AS loans_disbursed,
               (SELECT coalesce(sum(amount), 0) FROM first
                 WHERE held_on >= {a} AND held_on <= {z}) AS amount_disbursed
        """,
        *args,
    )


async def bookkeepers_month(
    conn: asyncpg.Connection,
    scope: Scope,
    roles: Sequence[str],
    start: datetime,
    end: datetime,
    rates: Mapping[str, int],
) -> list[asyncpg.Record]:
    """R10: per active user holding one of ``roles`` in the scope, the month ``[start, end)``."""
    args: list[object] = []
    where = _where(scope, args, "u.")
    args.extend([list(roles), start, end, list(rates), list(rates.values())])
    r, a, z, types, amounts = (f"${len(args) - 4 + i}" for i in range(5))
    return list(
        await conn.fetch(
            f"""
            SELECT u.user_id,
                   (SELECT role FROM unnest(u.roles) AS x(role)
                     WHERE role = ANY({r}::text[]) LIMIT 1) AS role,
                   (SELECT count(*) FROM user_cbo uc WHERE uc.user_id = u.user_id
                       AND uc.cbo_type = 'SHG') AS shgs,
                   (SELECT count(*) FROM user_cbo uc WHERE uc.user_id = u.user_id
                       AND uc.cbo_type = 'VO') AS vos,
                   (SELECT count(*) FROM user_cbo uc WHERE uc.user_id = u.user_id
                       AND uc.cbo_type = 'CLF') AS clfs,
                   (SELECT count(*) FROM meeting mt WHERE mt.maker = u.user_id
                       AND mt.closed_at >= {a} AND mt.closed_at < {z}) AS entered,
                   (SELECT count(*) FROM meeting mt WHERE mt.maker = u.user_id
                       AND mt.status = '{APPROVED}'
                       AND mt.decided_at >= {a} AND mt.decided_at < {z}) AS approved,
                   (SELECT count(*) FROM meeting mt WHERE mt.maker = u.user_id
                       AND mt.status = '{REJECTED}'
                       AND mt.decided_at >= {a} AND mt.decided_at < {z}) AS rejected,
                   (SELECT count(*) FROM cutoff co JOIN user_cbo uc ON uc.cbo_id = co.cbo_id
                     WHERE uc.user_id = u.user_id
                       AND co.approved_at >= {a} AND co.approved_at < {z}) AS cutoffs,
                   (SELECT coalesce(sum(rate.amount), 0) FROM user_cbo uc
                      JOIN unnest({types}::text[], {amounts}::int[]) AS rate(cbo_type, amount)
                        ON rate.cbo_type = uc.cbo_type
                     WHERE uc.user_id = u.user_id
                       AND EXISTS (SELECT 1 FROM meeting mt WHERE mt.cbo_id = uc.cbo_id
                                      AND mt.maker = u.user_id
                                      AND mt.closed_at >= {a} AND mt.closed_at < {z}))
                     AS honorarium
              FROM app_user u
             WHERE {where} AND u.status = 'active' AND u.roles && {r}::varchar[]
             ORDER BY u.user_id
            """,
            *args,
        )
    )
