"""Queries of the SHG's bank loans (G1–G8): the sanction and the bank's dated lines."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg


async def bank_loan(
    conn: asyncpg.Connection, cbo_id: uuid.UUID, loan_account: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM bank_loan WHERE cbo_id = $1 AND loan_account = $2", cbo_id, loan_account
    )


async def bank_loan_by_client(
    conn: asyncpg.Connection, cbo_id: uuid.UUID, client_id: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM bank_loan WHERE cbo_id = $1 AND client_id = $2", cbo_id, client_id
    )


async def insert_bank_loan(conn: asyncpg.Connection, values: dict[str, Any]) -> None:
    cols = list(values)
    await conn.execute(
        f"INSERT INTO bank_loan ({', '.join(cols)}) VALUES "
        f"({', '.join(f'${i + 1}' for i in range(len(cols)))})",
        *values.values(),
    )


async def line_by_client(
    conn: asyncpg.Connection, cbo_id: uuid.UUID, client_id: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM bank_loan_line WHERE cbo_id = $1 AND client_id = $2", cbo_id, client_id
    )


async def insert_line(conn: asyncpg.Connection, values: dict[str, Any]) -> None:
    cols = list(values)
    quoted = ", ".join(f'"{c}"' for c in cols)  # "on" is a reserved word
    await conn.execute(
        f"INSERT INTO bank_loan_line ({quoted}) VALUES "
        f"({', '.join(f'${i + 1}' for i in range(len(cols)))})",
        *values.values(),
    )


async def lines(
    conn: asyncpg.Connection, cbo_id: uuid.UUID, loan_account: str
) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            "SELECT * FROM bank_loan_line WHERE cbo_id = $1 AND loan_account = $2"
            ' ORDER BY "on", id',
            cbo_id,
            loan_account,
        )
    )


async def sb_balance(conn: asyncpg.Connection, cbo_id: uuid.UUID, account: str) -> int:
    """The SB account's running balance over every live posting (E3: never below zero)."""
    value = await conn.fetchval(
        "SELECT balance FROM account_balance WHERE cbo_id = $1 AND head = 'BANK' AND sub = $2",
        cbo_id,
        account,
    )
    return int(value or 0)


async def loans_for_export(
    conn: asyncpg.Connection, cbo_ids: list[uuid.UUID] | None, state: str, block: str
) -> list[asyncpg.Record]:
    """Loans of the given SHGs, or of every SHG of a block, with the SHG's place."""
    return list(
        await conn.fetch(
            """
            SELECT l.*, c.village_lgd_code, c.block_lgd_code, c.district_lgd_code
            FROM bank_loan l JOIN cbo c ON c.cbo_id = l.cbo_id
            WHERE ($1::uuid[] IS NOT NULL AND l.cbo_id = ANY($1::uuid[]))
               OR ($1::uuid[] IS NULL AND c.state = $2 AND c.block_lgd_code = $3)
            ORDER BY l.cbo_id, l.loan_account
            """,
            cbo_ids,
            state,
            block,
        )
    )


async def lines_for_export(
    conn: asyncpg.Connection,
    keys: list[tuple[uuid.UUID, str]],
    start: dt.date | None,
    end: dt.date | None,
) -> list[asyncpg.Record]:
    if not keys:
        return []
    return list(
        await conn.fetch(
            """
            SELECT b.* FROM bank_loan_line b
            JOIN unnest($1::uuid[], $2::text[]) k(cbo_id, loan_account)
              ON k.cbo_id = b.cbo_id AND k.loan_account = b.loan_account
            WHERE ($3::date IS NULL OR b."on" >= $3) AND ($4::date IS NULL OR b."on" <= $4)
            ORDER BY b.cbo_id, b.loan_account, b."on", b.id
            """,
            [k[0] for k in keys],
            [k[1] for k in keys],
            start,
            end,
        )
    )


async def lines_before(
    conn: asyncpg.Connection, keys: list[tuple[uuid.UUID, str]], start: dt.date
) -> dict[tuple[uuid.UUID, str], int]:
    """What each loan owed the bank before ``start`` (Template-2's opening balance)."""
    if not keys:
        return {}
    rows = await conn.fetch(
        """
        SELECT b.cbo_id, b.loan_account,
               sum(CASE WHEN kind = 'DISBURSAL' THEN principal ELSE -principal END)::bigint AS owed
        FROM bank_loan_line b
        JOIN unnest($1::uuid[], $2::text[]) k(cbo_id, loan_account)
          ON k.cbo_id = b.cbo_id AND k.loan_account = b.loan_account
        WHERE b."on" < $3
        GROUP BY 1, 2
        """,
        [k[0] for k in keys],
        [k[1] for k in keys],
        start,
    )
    return {(r["cbo_id"], r["loan_account"]): r["owed"] for r in rows}


async def latest_grade(
    conn: asyncpg.Connection, cbo_id: uuid.UUID, on: dt.date
) -> asyncpg.Record | None:
    """The latest grade of the periods ending on or before ``on`` (K2: eligibility reads it)."""
    return await conn.fetchrow(
        "SELECT grade, score, passed, period_end FROM cbo_grade"
        " WHERE cbo_id = $1 AND period_end <= $2"
        " ORDER BY period_end DESC, computed_at DESC LIMIT 1",
        cbo_id,
        on,
    )


async def loans_with_lines(
    conn: asyncpg.Connection, cbo_id: uuid.UUID
) -> list[tuple[asyncpg.Record, list[asyncpg.Record]]]:
    loans = await conn.fetch(
        "SELECT * FROM bank_loan WHERE cbo_id = $1 ORDER BY loan_account", cbo_id
    )
    rows = await conn.fetch(
        'SELECT * FROM bank_loan_line WHERE cbo_id = $1 ORDER BY "on", id', cbo_id
    )
    return [
        (loan, [r for r in rows if r["loan_account"] == loan["loan_account"]]) for loan in loans
    ]
