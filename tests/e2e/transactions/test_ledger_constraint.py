"""E4 in the database itself: whatever writes the ledger, an entry whose postings do not sum to
zero never commits (migration 0005: each entry touched is checked once, at commit)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from lokos.db import asyncpg_dsn
from tests.conftest import Api

Write = Callable[[asyncpg.Connection, uuid.UUID, int], Awaitable[None]]


async def _entry(conn: asyncpg.Connection, cbo: uuid.UUID) -> int:
    entry_id: int = await conn.fetchval(
        "INSERT INTO journal_entry (cbo_id, entry_date, kind) VALUES ($1, '2026-01-05', 'TEST')"
        " RETURNING id",
        cbo,
    )
    return entry_id


async def _postings(
    conn: asyncpg.Connection, cbo: uuid.UUID, entry: int, amounts: list[int], one_statement: bool
) -> None:
    rows = [(entry, cbo, f"M{i}", a) for i, a in enumerate(amounts)]
    sql = (
        "INSERT INTO posting (entry_id, cbo_id, entry_date, head, sub, amount)"
        " VALUES ($1, $2, '2026-01-05', 'CASH', $3, $4)"
    )
    if one_statement:
        await conn.execute(
            "INSERT INTO posting (entry_id, cbo_id, entry_date, head, sub, amount)"
            " SELECT $1, $2, '2026-01-05', 'CASH', 'M' || n, a"
            " FROM unnest($3::bigint[]) WITH ORDINALITY AS t(a, n)",
            entry,
            cbo,
            amounts,
        )
    else:
        for row in rows:  # posting by posting, one statement each
            await conn.execute(sql, *row)


def _commit(api: Api, amounts: list[int], one_statement: bool) -> tuple[bool, int]:
    """Writes one entry with ``amounts`` and commits; (committed?, its postings left)."""

    async def go() -> tuple[bool, int]:
        conn = await asyncpg.connect(asyncpg_dsn(api.platform.database_url("transactions")))
        cbo = uuid.uuid4()
        try:
            committed = True
            try:
                async with conn.transaction():
                    entry = await _entry(conn, cbo)
                    await _postings(conn, cbo, entry, amounts, one_statement)
            except asyncpg.CheckViolationError as e:
                assert "does not balance" in str(e)
                committed = False
            left = await conn.fetchval("SELECT count(*) FROM posting WHERE cbo_id = $1", cbo)
            queued = await conn.fetchval("SELECT count(*) FROM entry_check")
            assert queued == 0  # the check's queue is empty outside transactions
            await conn.execute("DELETE FROM journal_entry WHERE cbo_id = $1", cbo)
            return committed, int(left)
        finally:
            await conn.close()

    return asyncio.run(go())


@pytest.mark.parametrize("one_statement", [True, False], ids=["one-statement", "row-by-row"])
def test_the_database_refuses_an_unbalanced_entry(api: Api, one_statement: bool) -> None:
    assert _commit(api, [100, -60, -40], one_statement) == (True, 3)
    assert _commit(api, [100, -60, -39], one_statement) == (False, 0)
    assert _commit(api, [100], one_statement) == (False, 0)  # a single line is no entry


def test_an_entry_changed_later_must_still_balance(api: Api) -> None:
    async def go() -> None:
        conn = await asyncpg.connect(asyncpg_dsn(api.platform.database_url("transactions")))
        cbo = uuid.uuid4()
        try:
            async with conn.transaction():
                entry = await _entry(conn, cbo)
                await _postings(conn, cbo, entry, [100, -100], one_statement=True)
            with pytest.raises(asyncpg.CheckViolationError):
                async with conn.transaction():
                    await conn.execute(
                        "UPDATE posting SET amount = 99 WHERE entry_id = $1 AND amount = 100", entry
                    )
            with pytest.raises(asyncpg.CheckViolationError):
                async with conn.transaction():
                    await conn.execute(
                        "DELETE FROM posting WHERE entry_id = $1 AND amount = 100", entry
                    )
            # Both sides changed together, or the whole entry deleted: fine.
            async with conn.transaction():
                await conn.execute(
                    "UPDATE posting SET amount = amount * 2 WHERE entry_id = $1", entry
                )
            assert (
                await conn.fetchval(
                    "SELECT sum(abs(amount)) FROM posting WHERE entry_id = $1", entry
                )
                == 400
            )
            async with conn.transaction():
                await conn.execute("DELETE FROM journal_entry WHERE id = $1", entry)
            assert await conn.fetchval("SELECT count(*) FROM entry_check") == 0
        finally:
            await conn.close()

    asyncio.run(go())
