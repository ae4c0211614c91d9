"""Queries of fund transfers and their entries (asyncpg under the caller's transaction).

Nothing here decides anything (``funds_service`` does). Bulk paths (a state-wide release) write
with COPY; the deferred trigger still checks every entry's balance at commit.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from services.transactions import repository
from services.transactions.books.ledger import JournalEntry

TRANSFER_COLUMNS = (
    "id",
    "client_id",
    "state",
    "movement",
    "fund",
    "giver_id",
    "giver_tier",
    "receiver_id",
    "receiver_tier",
    "amount",
    "principal",
    "interest",
    "mode",
    "giver_account",
    "transfer_date",
    "reference",
    "loan_id",
    "status",
    "confirmed_amount",
    "confirmed_on",
    "confirmed_by",
    "matched",
    "giver_entry_id",
    "receiver_entry_id",
    "undo",
    "maker",
    "checker",
    "block_lgd_code",
    "district_lgd_code",
)


# --- grades (K1–K3, written by the grading part of the service) -------------------------------


async def latest_grade(
    conn: asyncpg.Connection, cbo_id: uuid.UUID, on: dt.date
) -> asyncpg.Record | None:
    """The CBO's latest grade for periods ending on or before ``on`` (RF/CIF eligibility)."""
    return await conn.fetchrow(
        "SELECT * FROM cbo_grade WHERE cbo_id = $1 AND period_end <= $2"
        " ORDER BY period_end DESC, computed_at DESC LIMIT 1",
        cbo_id,
        on,
    )


async def insert_grade(
    conn: asyncpg.Connection,
    cbo_id: uuid.UUID,
    cbo_type: str,
    state: str,
    period_end: dt.date,
    score: str,
    grade: str,
    passed: bool,
    computed_by: str,
) -> None:
    """A grade row as the grading part stores it (tests and tools; no indicator values)."""
    await conn.execute(
        """
        INSERT INTO cbo_grade (grade_id, cbo_id, cbo_type, state, period_end, score, grade,
                               passed, indicators, policy, computed_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '{}'::jsonb, '{}'::jsonb, $9)
        """,
        uuid.uuid4(),
        cbo_id,
        cbo_type,
        state,
        period_end,
        score,
        grade,
        passed,
        computed_by,
    )


# --- the books the transfers touch --------------------------------------------------------------


async def account_balance(conn: asyncpg.Connection, cbo_id: uuid.UUID, head: str, sub: str) -> int:
    value = await conn.fetchval(
        "SELECT balance FROM account_balance WHERE cbo_id = $1 AND head = $2 AND sub = $3",
        cbo_id,
        head,
        sub,
    )
    return int(value or 0)


async def insert_entry(conn: asyncpg.Connection, cbo_id: uuid.UUID, entry: JournalEntry) -> int:
    """One entry outside any meeting (a fund movement), its id back."""
    entry_id: int = await conn.fetchval(
        "INSERT INTO journal_entry (cbo_id, meeting_id, entry_date, kind, narration)"
        " VALUES ($1, NULL, $2, $3, $4) RETURNING id",
        cbo_id,
        entry.date,
        entry.kind,
        entry.narration,
    )
    await conn.executemany(
        "INSERT INTO posting (entry_id, cbo_id, entry_date, head, sub, amount)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        [
            (entry_id, cbo_id, entry.date, p.account.head, p.account.sub, p.signed)
            for p in entry.postings
        ],
    )
    return entry_id


async def insert_entries_many(
    conn: asyncpg.Connection, entries: Sequence[tuple[uuid.UUID, JournalEntry]]
) -> list[int]:
    """Entries of many CBOs at once, outside any meeting; their ids in order."""
    return await repository.insert_journal(conn, [(cbo, None, e) for cbo, e in entries])


async def delete_entry(conn: asyncpg.Connection, entry_id: int) -> None:
    await conn.execute("DELETE FROM journal_entry WHERE id = $1", entry_id)


async def save_loan(
    conn: asyncpg.Connection,
    cbo_id: uuid.UUID,
    loan_id: str,
    borrower: str,
    source: str,
    state: dict[str, Any],
    outstanding: int,
    closed: bool,
) -> None:
    await conn.execute(
        """
        INSERT INTO loan (cbo_id, loan_id, member_id, source, purpose, state, outstanding, closed)
        VALUES ($1, $2, $3, $4, 'federation loan', $5::jsonb, $6, $7)
        ON CONFLICT (cbo_id, loan_id) DO UPDATE SET
            state = EXCLUDED.state, outstanding = EXCLUDED.outstanding, closed = EXCLUDED.closed
        """,
        cbo_id,
        loan_id,
        borrower,
        source,
        json.dumps(state, separators=(",", ":")),
        outstanding,
        closed,
    )


async def loan_for_update(
    conn: asyncpg.Connection, cbo_id: uuid.UUID, loan_id: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM loan WHERE cbo_id = $1 AND loan_id = $2 FOR UPDATE", cbo_id, loan_id
    )


async def delete_loan(conn: asyncpg.Connection, cbo_id: uuid.UUID, loan_id: str) -> None:
    await conn.execute("DELETE FROM loan WHERE cbo_id = $1 AND loan_id = $2", cbo_id, loan_id)


async def lock_receiver_fund(conn: asyncpg.Connection, receiver_id: uuid.UUID, fund: str) -> None:
    """Serialise the transfers of one fund to one CBO until commit (its book may not exist): the
    "once per CBO" check and a replayed client id then see the first one's row."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"fund:{receiver_id}:{fund}"
    )


# --- transfers ----------------------------------------------------------------------------------


async def insert_transfer(conn: asyncpg.Connection, values: dict[str, Any]) -> None:
    values = {k: json.dumps(v) if k == "undo" else v for k, v in values.items()}
    cols = list(values)
    await conn.execute(
        f"INSERT INTO fund_transfer ({', '.join(cols)}) VALUES "
        f"({', '.join(f'${i + 1}' for i in range(len(cols)))})",
        *values.values(),
    )


async def copy_transfers(conn: asyncpg.Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Many transfers with one COPY (a state-wide release)."""
    await conn.copy_records_to_table(
        "fund_transfer",
        records=[
            tuple(json.dumps(r["undo"]) if c == "undo" else r[c] for c in TRANSFER_COLUMNS)
            for r in rows
        ],
        columns=list(TRANSFER_COLUMNS),
    )


async def update_transfer(conn: asyncpg.Connection, transfer_id: uuid.UUID, **values: Any) -> None:
    sets = ", ".join(f"{k} = ${i + 2}" for i, k in enumerate(values))
    await conn.execute(
        f"UPDATE fund_transfer SET {sets} WHERE id = $1", transfer_id, *values.values()
    )


async def transfer(
    conn: asyncpg.Connection, transfer_id: uuid.UUID, *, lock: bool = False
) -> asyncpg.Record | None:
    sql = "SELECT * FROM fund_transfer WHERE id = $1" + (" FOR UPDATE" if lock else "")
    return await conn.fetchrow(sql, transfer_id)


async def transfer_by_client(conn: asyncpg.Connection, client_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM fund_transfer WHERE client_id = $1", client_id)


async def received_before(conn: asyncpg.Connection, receiver_id: uuid.UUID, fund: str) -> int:
    """How many transfers of the fund the CBO has been given (rejected ones do not count)."""
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM fund_transfer WHERE receiver_id = $1 AND fund = $2"
            " AND movement IN ('RELEASE', 'GRANT') AND status <> 'REJECTED'",
            receiver_id,
            fund,
        )
    )


async def pending_repayment(conn: asyncpg.Connection, lender_id: uuid.UUID, loan_id: str) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM fund_transfer WHERE receiver_id = $1 AND loan_id = $2"
            " AND movement = 'REPAYMENT' AND status = 'PENDING')",
            lender_id,
            loan_id,
        )
    )


async def transfers_of(
    conn: asyncpg.Connection, cbo_id: uuid.UUID, awaiting_confirmation: bool
) -> list[asyncpg.Record]:
    if awaiting_confirmation:
        sql = (
            "SELECT * FROM fund_transfer WHERE receiver_id = $1 AND status = 'APPROVED'"
            " AND confirmed_amount IS NULL ORDER BY transfer_date, created_at"
        )
    else:
        sql = (
            "SELECT * FROM fund_transfer WHERE giver_id = $1 OR receiver_id = $1"
            " ORDER BY transfer_date, created_at"
        )
    return list(await conn.fetch(sql, cbo_id))


async def district_of_block(conn: asyncpg.Connection, state: str, block: str) -> str | None:
    value = await conn.fetchval(
        "SELECT district_lgd_code FROM cbo WHERE state = $1 AND block_lgd_code = $2 LIMIT 1",
        state,
        block,
    )
    return None if value is None else str(value)


async def open_in_block(
    conn: asyncpg.Connection, state: str, block: str, as_of: dt.date
) -> list[asyncpg.Record]:
    """The block's transfers whose two books do not agree yet (partial index), oldest first."""
    return list(
        await conn.fetch(
            """
            SELECT * FROM fund_transfer
            WHERE state = $1 AND block_lgd_code = $2 AND transfer_date <= $3
              AND NOT matched AND status <> 'REJECTED'
            ORDER BY transfer_date, id
            """,
            state,
            block,
            as_of,
        )
    )
