"""Queries of the transactions database (asyncpg under the caller's session transaction).

Nothing here decides anything: the service says what to write; these functions write it. The
ledger is written with COPY (one round trip for a meeting's entries and postings); the deferred
trigger still checks every entry's balance at commit.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lokos.db import Database
from services.transactions.books.ledger import JournalEntry


async def raw(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under ``session``, inside its (opened) transaction."""
    conn = await session.connection()
    dbapi = await conn.get_raw_connection()
    pg: asyncpg.Connection = dbapi.driver_connection
    if not pg.is_in_transaction():
        await session.execute(text("SELECT 1"))
    return pg


@asynccontextmanager
async def transaction(db: Database) -> AsyncIterator[tuple[asyncpg.Connection, Any]]:
    """``(connection, its transaction)``: asyncpg's own transaction on a connection of the
    service's pool, without an ORM session around it (an upload's statements are all asyncpg's;
    the session's BEGIN + ``SELECT 1`` and its bookkeeping were a round trip and a few percent of
    an upload's CPU). The caller commits; anything else is rolled back. A connection that still
    holds a transaction afterwards (cancelled mid-rollback) is dropped, not pooled."""
    async with db.engine.connect() as c:
        pg: asyncpg.Connection = (await c.get_raw_connection()).driver_connection
        tx = pg.transaction()
        await tx.start()
        try:
            yield pg, tx
        finally:
            try:
                if pg.is_in_transaction():
                    await tx.rollback()
            finally:
                if pg.is_in_transaction():
                    await c.invalidate()


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


dumps = _json  # JSON text as stored (for callers that hand over text for jsonb columns)


# --- copies of profiles' records -------------------------------------------------------------


async def upsert_cbos(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """``(cbo_id, cbo_type, state, district, block, panchayat, village, parent_id, status,
    version, formed_on)``; an older version never overwrites a newer one."""
    await conn.executemany(
        """
        INSERT INTO cbo (cbo_id, cbo_type, state, district_lgd_code, block_lgd_code,
                         panchayat_lgd_code, village_lgd_code, parent_id, status, version,
                         formed_on)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        ON CONFLICT (cbo_id) DO UPDATE SET
            cbo_type = EXCLUDED.cbo_type, state = EXCLUDED.state,
            district_lgd_code = EXCLUDED.district_lgd_code,
            block_lgd_code = EXCLUDED.block_lgd_code,
            panchayat_lgd_code = EXCLUDED.panchayat_lgd_code,
            village_lgd_code = EXCLUDED.village_lgd_code, parent_id = EXCLUDED.parent_id,
            status = EXCLUDED.status, version = EXCLUDED.version,
            formed_on = EXCLUDED.formed_on
        WHERE cbo.version <= EXCLUDED.version
        """,
        rows,
    )


async def upsert_members(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """``(member_id, shg_id, status, version, inactive_since, left)``, one row per member;
    ``inactive_since`` is the day after her approved leaving date when ``left``, otherwise kept
    from the first event that made her inactive, and cleared when she is active again. One
    statement over arrays: a bulk import's batch is one round trip, not one per member."""
    if not rows:
        return
    await conn.execute(
        """
        INSERT INTO member (member_id, shg_id, status, version, inactive_since, left_shg)
        SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::bigint[],
                             $5::date[], $6::bool[])
        ON CONFLICT (member_id) DO UPDATE SET
            shg_id = EXCLUDED.shg_id, status = EXCLUDED.status, version = EXCLUDED.version,
            left_shg = EXCLUDED.left_shg,
            inactive_since = CASE
                WHEN EXCLUDED.inactive_since IS NULL THEN NULL
                WHEN EXCLUDED.left_shg THEN EXCLUDED.inactive_since
                ELSE coalesce(member.inactive_since, EXCLUDED.inactive_since) END
        WHERE member.version <= EXCLUDED.version
        """,
        *([r[i] for r in rows] for i in range(6)),
    )


async def link_parents(
    conn: asyncpg.Connection, links: Sequence[tuple[uuid.UUID, uuid.UUID | None]]
) -> None:
    await conn.executemany("UPDATE cbo SET parent_id = $2 WHERE cbo_id = $1", links)


async def cbo(conn: asyncpg.Connection, cbo_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM cbo WHERE cbo_id = $1", cbo_id)


async def cbo_with_parents(conn: asyncpg.Connection, cbo_id: uuid.UUID) -> asyncpg.Record | None:
    """The CBO's row and, as ``parents``, its federations upwards (its VO, that VO's CLF): what
    every request's scope check needs, in one round trip."""
    return await conn.fetchrow(
        """
        WITH RECURSIVE up(id, parent, depth) AS (
            SELECT cbo_id, parent_id, 0 FROM cbo WHERE cbo_id = $1
            UNION ALL
            SELECT c.cbo_id, c.parent_id, up.depth + 1 FROM cbo c JOIN up ON c.cbo_id = up.parent
            WHERE up.depth < 3
        )
        SELECT c.*, ARRAY(SELECT id FROM up WHERE depth > 0 ORDER BY depth) AS parents
        FROM cbo c WHERE c.cbo_id = $1
        """,
        cbo_id,
    )


async def member_records(conn: asyncpg.Connection, shg_id: uuid.UUID) -> list[asyncpg.Record]:
    """Every member of the SHG with what decides on which dates she is a member (see
    ``service.active_on``)."""
    return list(
        await conn.fetch(
            "SELECT member_id::text, status, left_shg, active_since, inactive_since"
            " FROM member WHERE shg_id = $1",
            shg_id,
        )
    )


# --- the book ---------------------------------------------------------------------------------


async def book_state(
    conn: asyncpg.Connection,
    cbo_id: uuid.UUID,
    client_ids: Sequence[str] = (),
    loan_ids: Sequence[str] = (),
) -> asyncpg.Record:
    """Everything a meeting opens on besides the ``book`` row, in one round trip (an upload
    reads it once for its up to 4 meetings, after locking the book): pending meeting numbers,
    which of ``client_ids`` are recorded already, which of ``loan_ids`` are taken, the running
    balances, open loans, bank accounts, the members (as :func:`member_records`) and the dated
    settings. Arrays of ``ROW(...)`` arrive as tuples."""
    row = await conn.fetchrow(
        """
        SELECT
          ARRAY(SELECT number FROM meeting WHERE cbo_id = $1 AND status = 'CLOSED'
                ORDER BY number) AS pending,
          ARRAY(SELECT client_id FROM meeting
                WHERE cbo_id = $1 AND client_id = ANY($2::text[])) AS known,
          ARRAY(SELECT loan_id FROM loan
                WHERE cbo_id = $1 AND loan_id = ANY($3::text[])) AS taken,
          ARRAY(SELECT ROW(head, sub, balance) FROM account_balance
                WHERE cbo_id = $1 AND balance <> 0) AS balances,
          ARRAY(SELECT ROW(loan_id, state::text) FROM loan
                WHERE cbo_id = $1 AND NOT closed) AS loans,
          ARRAY(SELECT ROW(account_id, kind, drawing_power) FROM bank_account
                WHERE cbo_id = $1 ORDER BY account_id) AS banks,
          ARRAY(SELECT ROW(member_id::text, status, left_shg, active_since, inactive_since)
                FROM member WHERE shg_id = $1) AS members,  -- as member_records
          ARRAY(SELECT ROW(effective_from, frequency, compulsory_amount) FROM book_setting
                WHERE cbo_id = $1 ORDER BY effective_from) AS settings
        """,
        cbo_id,
        list(client_ids),
        list(loan_ids),
    )
    assert row is not None  # a SELECT without FROM has its one row
    return row


async def book(
    conn: asyncpg.Connection, cbo_id: uuid.UUID, *, lock: bool = False
) -> asyncpg.Record | None:
    sql = "SELECT * FROM book WHERE cbo_id = $1" + (" FOR UPDATE" if lock else "")
    return await conn.fetchrow(sql, cbo_id)


async def insert_book(conn: asyncpg.Connection, values: dict[str, Any]) -> None:
    values = {
        k: _json(v) if k in ("policy", "cs_arrears", "cutoff_payload") else v
        for k, v in values.items()
    }
    cols = list(values)
    await conn.execute(
        f"INSERT INTO book ({', '.join(cols)}) VALUES "
        f"({', '.join(f'${i + 1}' for i in range(len(cols)))})",
        *values.values(),
    )


async def update_book(conn: asyncpg.Connection, cbo_id: uuid.UUID, **values: Any) -> None:
    values = {
        k: _json(v) if k in ("cs_arrears", "cutoff_payload") else v for k, v in values.items()
    }
    sets = ", ".join(f"{k} = ${i + 2}" for i, k in enumerate(values))
    await conn.execute(f"UPDATE book SET {sets} WHERE cbo_id = $1", cbo_id, *values.values())


async def delete_book(conn: asyncpg.Connection, cbo_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM journal_entry WHERE cbo_id = $1", cbo_id)
    await conn.execute("DELETE FROM loan WHERE cbo_id = $1", cbo_id)
    await conn.execute("DELETE FROM bank_account WHERE cbo_id = $1", cbo_id)
    await conn.execute("DELETE FROM meeting WHERE cbo_id = $1", cbo_id)
    await conn.execute("DELETE FROM book WHERE cbo_id = $1", cbo_id)


async def insert_bank_accounts(
    conn: asyncpg.Connection, cbo_id: uuid.UUID, rows: Iterable[tuple[str, str, int]]
) -> None:
    await conn.executemany(
        "INSERT INTO bank_account (cbo_id, account_id, kind, drawing_power) VALUES ($1,$2,$3,$4)",
        [(cbo_id, *r) for r in rows],
    )


async def bank_accounts(conn: asyncpg.Connection, cbo_id: uuid.UUID) -> list[asyncpg.Record]:
    return list(
        await conn.fetch("SELECT * FROM bank_account WHERE cbo_id = $1 ORDER BY account_id", cbo_id)
    )


# --- ledger -----------------------------------------------------------------------------------


async def insert_entries(
    conn: asyncpg.Connection,
    cbo_id: uuid.UUID,
    meeting_id: uuid.UUID | None,
    entries: Sequence[JournalEntry],
) -> list[int]:
    """One CBO's entries (of a meeting, or none); their ids in order."""
    return await insert_journal(conn, [(cbo_id, meeting_id, e) for e in entries])


async def insert_journal(
    conn: asyncpg.Connection,
    entries: Sequence[tuple[uuid.UUID, uuid.UUID | None, JournalEntry]],
) -> list[int]:
    """Entries of one or many CBOs, as (CBO, meeting or None, entry), with two COPYs; their ids
    in order. Each entry is checked to balance at commit (migration 0005)."""
    if not entries:
        return []
    ids = [
        r[0]
        for r in await conn.fetch(
            "SELECT nextval('journal_entry_id_seq') FROM generate_series(1, $1)", len(entries)
        )
    ]
    await conn.copy_records_to_table(
        "journal_entry",
        records=[
            (i, cbo, meeting, e.date, e.kind, e.narration, e.reverses)
            for i, (cbo, meeting, e) in zip(ids, entries, strict=True)
        ],
        columns=["id", "cbo_id", "meeting_id", "entry_date", "kind", "narration", "reverses"],
    )
    await conn.copy_records_to_table(
        "posting",
        records=[
            (i, cbo, e.date, p.account.head, p.account.sub, p.signed)
            for i, (cbo, _, e) in zip(ids, entries, strict=True)
            for p in e.postings
        ],
        columns=["entry_id", "cbo_id", "entry_date", "head", "sub", "amount"],
    )
    return ids


async def balances(
    conn: asyncpg.Connection,
    cbo_id: uuid.UUID,
    as_of: dt.date | None = None,
    approved_only: bool = False,
    book_row: asyncpg.Record | None = None,
) -> list[asyncpg.Record]:
    """Signed balance per (head, sub); ``approved_only`` leaves out pending meetings (J1).
    ``book_row``: the CBO's ``book`` row when the caller holds it already.

    As of the last meeting or later (every read of today's books, the pack, each upload), the
    running balances (``account_balance``) answer, less the postings of pending meetings when
    only approved ones count; an earlier date sums the journal up to it (covering index)."""
    if book_row is None:
        book_row = await conn.fetchrow(
            "SELECT last_date, cutoff_status FROM book WHERE cbo_id = $1", cbo_id
        )
    if book_row is not None and (as_of is None or as_of >= book_row["last_date"]):
        if not approved_only:
            return list(
                await conn.fetch(
                    "SELECT head, sub, balance FROM account_balance WHERE cbo_id = $1", cbo_id
                )
            )
        if book_row["cutoff_status"] != "APPROVED":
            return []  # nothing is approved before the cut-off is
        return list(
            await conn.fetch(
                """
                SELECT a.head, a.sub, (a.balance - coalesce(p.pending, 0))::bigint AS balance
                FROM account_balance a LEFT JOIN (
                    SELECT p.head, p.sub, sum(p.amount) AS pending
                    FROM meeting m JOIN journal_entry j ON j.meeting_id = m.id
                    JOIN posting p ON p.entry_id = j.id
                    WHERE m.cbo_id = $1 AND m.status = 'CLOSED'
                    GROUP BY p.head, p.sub
                ) p ON p.head = a.head AND p.sub = a.sub
                WHERE a.cbo_id = $1
                """,
                cbo_id,
            )
        )
    return await journal_balances(conn, cbo_id, as_of, approved_only)


async def journal_balances(
    conn: asyncpg.Connection,
    cbo_id: uuid.UUID,
    as_of: dt.date | None = None,
    approved_only: bool = False,
) -> list[asyncpg.Record]:
    """Balances summed from the journal itself (any date; the reference for the running ones)."""
    if not approved_only:
        return list(
            await conn.fetch(
                """
                SELECT head, sub, sum(amount)::bigint AS balance FROM posting
                WHERE cbo_id = $1 AND ($2::date IS NULL OR entry_date <= $2)
                GROUP BY head, sub
                """,
                cbo_id,
                as_of,
            )
        )
    return list(
        await conn.fetch(
            """
            SELECT p.head, p.sub, sum(p.amount)::bigint AS balance
            FROM posting p JOIN journal_entry j ON j.id = p.entry_id
            LEFT JOIN meeting m ON m.id = j.meeting_id
            JOIN book b ON b.cbo_id = j.cbo_id
            WHERE p.cbo_id = $1 AND ($2::date IS NULL OR p.entry_date <= $2)
              AND (m.status = 'APPROVED' OR (m.id IS NULL AND b.cutoff_status = 'APPROVED'))
            GROUP BY p.head, p.sub
            """,
            cbo_id,
            as_of,
        )
    )


async def journal(
    conn: asyncpg.Connection, cbo_id: uuid.UUID, meeting_id: uuid.UUID | None
) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            """
            SELECT j.id, j.entry_date, j.kind, j.narration, j.reverses,
                   array_agg(p.head ORDER BY p.id) AS heads, array_agg(p.sub ORDER BY p.id) AS subs,
                   array_agg(p.amount ORDER BY p.id) AS amounts
            FROM journal_entry j JOIN posting p ON p.entry_id = j.id
            WHERE j.cbo_id = $1 AND j.meeting_id IS NOT DISTINCT FROM $2
            GROUP BY j.id ORDER BY j.id
            """,
            cbo_id,
            meeting_id,
        )
    )


async def entries_to_correct(
    conn: asyncpg.Connection, cbo_id: uuid.UUID, ids: Sequence[int]
) -> list[asyncpg.Record]:
    """The CBO's entries among ``ids`` with their postings, their meeting's status (none for
    the cut-off) and whether a later entry reverses them already."""
    return list(
        await conn.fetch(
            """
            SELECT j.id, j.entry_date, j.kind, j.narration, j.reverses, m.status,
                   EXISTS (SELECT 1 FROM journal_entry r WHERE r.reverses = j.id) AS reversed,
                   array_agg(p.head ORDER BY p.id) AS heads, array_agg(p.sub ORDER BY p.id) AS subs,
                   array_agg(p.amount ORDER BY p.id) AS amounts
            FROM journal_entry j JOIN posting p ON p.entry_id = j.id
            LEFT JOIN meeting m ON m.id = j.meeting_id
            WHERE j.cbo_id = $1 AND j.id = ANY($2::bigint[])
            GROUP BY j.id, m.status
            """,
            cbo_id,
            list(ids),
        )
    )


# --- loans ------------------------------------------------------------------------------------


async def open_loans(conn: asyncpg.Connection, cbo_id: uuid.UUID) -> list[asyncpg.Record]:
    return list(await conn.fetch("SELECT * FROM loan WHERE cbo_id = $1 AND NOT closed", cbo_id))


async def loan(conn: asyncpg.Connection, cbo_id: uuid.UUID, loan_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM loan WHERE cbo_id = $1 AND loan_id = $2", cbo_id, loan_id
    )


async def existing_loan_ids(
    conn: asyncpg.Connection, cbo_id: uuid.UUID, ids: Sequence[str]
) -> set[str]:
    if not ids:
        return set()
    rows = await conn.fetch(
        "SELECT loan_id FROM loan WHERE cbo_id = $1 AND loan_id = ANY($2::text[])", cbo_id, ids
    )
    return {r["loan_id"] for r in rows}


async def save_loans(
    conn: asyncpg.Connection,
    cbo_id: uuid.UUID,
    rows: Iterable[tuple[str, str, str, str, uuid.UUID | None, dict[str, Any], int, bool]],
) -> None:
    """``(loan_id, member_id, source, purpose, meeting_id, state, outstanding, closed)``:
    inserted, or the state of an existing loan replaced (purpose and meeting stay)."""
    await conn.executemany(
        """
        INSERT INTO loan (cbo_id, loan_id, member_id, source, purpose, meeting_id, state,
                          outstanding, closed)
        VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)
        ON CONFLICT (cbo_id, loan_id) DO UPDATE SET
            state = EXCLUDED.state, outstanding = EXCLUDED.outstanding, closed = EXCLUDED.closed
        """,
        [(cbo_id, r[0], r[1], r[2], r[3], r[4], _json(r[5]), r[6], r[7]) for r in rows],
    )


async def delete_loans(conn: asyncpg.Connection, cbo_id: uuid.UUID, ids: Sequence[str]) -> None:
    await conn.execute(
        "DELETE FROM loan WHERE cbo_id = $1 AND loan_id = ANY($2::text[])", cbo_id, list(ids)
    )


# --- meetings ---------------------------------------------------------------------------------


async def meeting_by_client(
    conn: asyncpg.Connection, cbo_id: uuid.UUID, client_id: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM meeting WHERE cbo_id = $1 AND client_id = $2", cbo_id, client_id
    )


async def live_meeting(
    conn: asyncpg.Connection, cbo_id: uuid.UUID, number: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM meeting WHERE cbo_id = $1 AND number = $2 AND status <> 'REJECTED'",
        cbo_id,
        number,
    )


async def meetings(conn: asyncpg.Connection, cbo_id: uuid.UUID) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            "SELECT * FROM meeting WHERE cbo_id = $1 ORDER BY number, created_at", cbo_id
        )
    )


async def meetings_by_client(
    conn: asyncpg.Connection, cbo_id: uuid.UUID, client_ids: Sequence[str]
) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            "SELECT * FROM meeting WHERE cbo_id = $1 AND client_id = ANY($2::text[])",
            cbo_id,
            list(client_ids),
        )
    )


async def pending_numbers(conn: asyncpg.Connection, cbo_id: uuid.UUID) -> list[int]:
    rows = await conn.fetch(
        "SELECT number FROM meeting WHERE cbo_id = $1 AND status = 'CLOSED' ORDER BY number",
        cbo_id,
    )
    return [r["number"] for r in rows]


async def insert_meeting(conn: asyncpg.Connection, values: dict[str, Any]) -> None:
    values = {k: _json(v) if k in ("payload", "result", "undo") else v for k, v in values.items()}
    cols = list(values)
    await conn.execute(
        f"INSERT INTO meeting ({', '.join(cols)}) VALUES "
        f"({', '.join(f'${i + 1}' for i in range(len(cols)))})",
        *values.values(),
    )


async def insert_recorded_meetings(
    conn: asyncpg.Connection,
    cbo_id: uuid.UUID,
    maker: str,
    meetings: Sequence[tuple[uuid.UUID, str, int, dt.date, str, str, str]],
    member_rows: Sequence[tuple[uuid.UUID, str, int, str]],
    entries: Sequence[tuple[uuid.UUID, JournalEntry]],
) -> None:
    """Closed meetings with their member rows, journal entries and postings in one statement.

    ``meetings``: ``(id, client_id, number, date, payload, result, undo)`` with the JSON as
    text; ``member_rows``: ``(meeting_id, member_id, number, row JSON)``; ``entries``: each
    with its meeting's id. Entry ids come from the sequence in the order given and postings
    keep their order (the journal reads them by id). The posting triggers fire once for the
    statement: running balances, and the entries queued for the balance check at commit."""
    heads, subs, amounts, ords = [], [], [], []
    for n, (_, e) in enumerate(entries, start=1):
        for p in e.postings:
            ords.append(n)
            heads.append(p.account.head)
            subs.append(p.account.sub)
            amounts.append(p.signed)
    await conn.execute(
        """
        WITH m AS (
            INSERT INTO meeting (id, cbo_id, client_id, number, date, status, payload, result,
                                 undo, maker)
            SELECT t.id, $1, t.client_id, t.number, t.date, 'CLOSED', t.payload::jsonb,
                   t.result::jsonb, t.undo::jsonb, $2
            FROM unnest($3::uuid[], $4::text[], $5::int[], $6::date[], $7::text[], $8::text[],
                        $9::text[]) AS t(id, client_id, number, date, payload, result, undo)
        ), mm AS (
            INSERT INTO meeting_member (meeting_id, member_id, cbo_id, number, row)
            SELECT r.meeting_id, r.member_id, $1, r.number, r.row::jsonb
            FROM unnest($10::uuid[], $11::text[], $12::int[], $13::text[])
                 AS r(meeting_id, member_id, number, row)
        ), e AS (
            SELECT nextval('journal_entry_id_seq') AS id, x.*
            FROM unnest($14::uuid[], $15::date[], $16::text[], $17::text[], $18::bigint[])
                 WITH ORDINALITY AS x(meeting_id, entry_date, kind, narration, reverses, ord)
        ), je AS (
            INSERT INTO journal_entry (id, cbo_id, meeting_id, entry_date, kind, narration,
                                       reverses)
            SELECT id, $1, meeting_id, entry_date, kind, narration, reverses FROM e
        ), ids AS (
            SELECT array_agg(id ORDER BY ord) AS id, array_agg(entry_date ORDER BY ord) AS day
            FROM e
        )
        INSERT INTO posting (entry_id, cbo_id, entry_date, head, sub, amount)
        SELECT ids.id[p.ord], $1, ids.day[p.ord], p.head, p.sub, p.amount
        FROM ids, unnest($19::int[], $20::text[], $21::text[], $22::bigint[])
             AS p(ord, head, sub, amount)
        """,
        cbo_id,
        maker,
        *_columns(meetings, 7),
        *_columns(member_rows, 4),
        [mid for mid, _ in entries],
        [e.date for _, e in entries],
        [e.kind for _, e in entries],
        [e.narration for _, e in entries],
        [e.reverses for _, e in entries],
        ords,
        heads,
        subs,
        amounts,
    )


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows as ``width`` column lists (empty lists for no rows), for ``unnest``."""
    return [[r[i] for r in rows] for i in range(width)]


async def set_meeting_status(
    conn: asyncpg.Connection, meeting_id: uuid.UUID, status: str, checker: str, remarks: str
) -> None:
    await conn.execute(
        "UPDATE meeting SET status = $2, checker = $3, remarks = $4, decided_at = now()"
        " WHERE id = $1",
        meeting_id,
        status,
        checker,
        remarks,
    )


async def delete_meeting_entries(conn: asyncpg.Connection, meeting_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM journal_entry WHERE meeting_id = $1", meeting_id)


def loads(value: Any) -> Any:
    """JSONB as read through SQLAlchemy's asyncpg connection arrives as text."""
    return json.loads(value) if isinstance(value, str | bytes) else value


async def insert_member_rows(
    conn: asyncpg.Connection,
    meeting_id: uuid.UUID,
    cbo_id: uuid.UUID,
    number: int,
    rows: Iterable[tuple[str, dict[str, Any]]],
) -> None:
    await conn.executemany(
        "INSERT INTO meeting_member (meeting_id, member_id, cbo_id, number, row)"
        " VALUES ($1, $2, $3, $4, $5::jsonb)",
        [(meeting_id, member, cbo_id, number, _json(row)) for member, row in rows],
    )


async def passbook_rows(
    conn: asyncpg.Connection, cbo_id: uuid.UUID, member_id: str
) -> list[asyncpg.Record]:
    """The member's row of every live meeting, in order."""
    return list(
        await conn.fetch(
            """
            SELECT m.number, m.date, m.status, mm.row
            FROM meeting_member mm JOIN meeting m ON m.id = mm.meeting_id
            WHERE mm.cbo_id = $1 AND mm.member_id = $2 AND m.status <> 'REJECTED'
            ORDER BY mm.number
            """,
            cbo_id,
            member_id,
        )
    )


async def member_loans(
    conn: asyncpg.Connection, cbo_id: uuid.UUID, member_id: str
) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            "SELECT * FROM loan WHERE cbo_id = $1 AND member_id = $2 ORDER BY loan_id",
            cbo_id,
            member_id,
        )
    )


async def receipts_payments(
    conn: asyncpg.Connection, cbo_id: uuid.UUID, start: dt.date, end: dt.date
) -> list[asyncpg.Record]:
    """Per head, what came in (credits) and went out (debits) against cash or bank in the
    period; contra entries move money between locations and are neither."""
    return list(
        await conn.fetch(
            """
            SELECT p.head,
                   coalesce(sum(-p.amount) FILTER (WHERE p.amount < 0), 0)::bigint AS receipts,
                   coalesce(sum(p.amount) FILTER (WHERE p.amount > 0), 0)::bigint AS payments
            FROM posting p JOIN journal_entry j ON j.id = p.entry_id
            WHERE p.cbo_id = $1 AND p.entry_date BETWEEN $2 AND $3
              AND j.kind NOT IN ('CONTRA', 'CUTOFF') AND p.head NOT IN ('CASH', 'BANK')
            GROUP BY p.head ORDER BY p.head
            """,
            cbo_id,
            start,
            end,
        )
    )


async def money_balances(
    conn: asyncpg.Connection, cbo_id: uuid.UUID, before: dt.date
) -> dict[str, int]:
    """Cash and each bank account at the end of the day before ``before``."""
    rows = await conn.fetch(
        """
        SELECT CASE WHEN head = 'CASH' THEN 'CASH' ELSE sub END AS location,
               sum(amount)::bigint AS balance
        FROM posting WHERE cbo_id = $1 AND entry_date < $2 AND head IN ('CASH', 'BANK')
        GROUP BY 1
        """,
        cbo_id,
        before,
    )
    return {r["location"]: r["balance"] for r in rows}


async def upsert_setting(
    conn: asyncpg.Connection,
    cbo_id: uuid.UUID,
    effective_from: dt.date,
    frequency: str,
    compulsory_amount: int,
    set_by: str,
) -> None:
    await conn.execute(
        """
        INSERT INTO book_setting (cbo_id, effective_from, frequency, compulsory_amount, set_by)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (cbo_id, effective_from) DO UPDATE SET
            frequency = EXCLUDED.frequency, compulsory_amount = EXCLUDED.compulsory_amount,
            set_by = EXCLUDED.set_by
        """,
        cbo_id,
        effective_from,
        frequency,
        compulsory_amount,
        set_by,
    )


async def setting_on(
    conn: asyncpg.Connection, cbo_id: uuid.UUID, on: dt.date
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM book_setting WHERE cbo_id = $1 AND effective_from <= $2"
        " ORDER BY effective_from DESC LIMIT 1",
        cbo_id,
        on,
    )


async def settings(conn: asyncpg.Connection, cbo_id: uuid.UUID) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            "SELECT * FROM book_setting WHERE cbo_id = $1 ORDER BY effective_from", cbo_id
        )
    )
