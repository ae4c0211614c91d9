"""Building the identifier index in bulk: the first load of a state (from a profiles export
or a synthetic set), where lakhs or crores of members arrive at once.

Rows stream in with ``COPY``; when the index is empty its secondary indexes are dropped first
and built once at the end (sorting once beats crores of random B-tree inserts), with the
index definitions taken from the models so the two never drift apart. Events keep the index
current afterwards (:mod:`services.dedup.consumers`).
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import AsyncIterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex

from lokos.db import asyncpg_dsn
from services.dedup import matching, names
from services.dedup.config import DedupSettings
from services.dedup.models import MemberIndex, MemberNameKey

INDEX_COLUMNS = (
    "member_id",
    "code",
    "shg_id",
    "state",
    "district_lgd_code",
    "block_lgd_code",
    "panchayat_lgd_code",
    "village_lgd_code",
    "name",
    "relative_name",
    "household_code",
    "name_keys",
    "status",
    "migrated",
    "active",
    "version",
    "aadhaar",
    "bank_account",
    "voter_id",
    "mobile",
    "fingerprint",
    "gender",
)
KEY_COLUMNS = ("panchayat_lgd_code", "key", "member_id")
_INACTIVE = frozenset({"rejected", "inactive"})


@dataclass(frozen=True, slots=True)
class BuildTimes:
    rows: int
    copy_seconds: float
    index_seconds: float

    @property
    def seconds(self) -> float:
        return self.copy_seconds + self.index_seconds


def rows_for(
    rec: matching.Rec, *, status: str, version: int = 1, migrated: bool = False
) -> tuple[tuple[Any, ...], list[tuple[str, str, uuid.UUID]]]:
    """The ``member_index`` row and ``member_name_key`` rows of one member, as the event
    path would store them (same keys, same fingerprint)."""
    keys = names.name_keys(rec.name, rec.relative_name)
    rec.fingerprint = matching.fingerprint(rec)
    row = (
        rec.member_id,
        rec.code,
        rec.shg_id,
        rec.state,
        rec.district,
        rec.block,
        rec.panchayat,
        rec.village,
        rec.name,
        rec.relative_name,
        rec.household,
        keys,
        status,
        migrated,
        status not in _INACTIVE,
        version,
        rec.aadhaar,
        rec.bank_account,
        rec.voter_id,
        rec.mobile,
        rec.fingerprint,
        rec.gender,
    )
    key_rows = [(rec.panchayat, k, rec.member_id) for k in keys] if rec.panchayat else []
    return row, key_rows


_INDEX_TABLE = cast(Table, MemberIndex.__table__)
_KEY_TABLE = cast(Table, MemberNameKey.__table__)


def _create_sql() -> list[str]:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    return [str(CreateIndex(ix).compile(dialect=dialect)) for ix in _INDEX_TABLE.indexes]


async def build(
    conn: asyncpg.Connection,
    batches: AsyncIterable[tuple[Sequence[tuple[Any, ...]], Sequence[tuple[str, str, uuid.UUID]]]],
) -> BuildTimes:
    """Load ``(index rows, key rows)`` batches into an empty index; returns the timings."""
    if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM member_index)"):
        raise RuntimeError("the index is not empty: bulk builds are for a first load")
    t0 = time.perf_counter()
    for ix in _INDEX_TABLE.indexes:
        await conn.execute(f'DROP INDEX IF EXISTS "{ix.name}"')
    key_pk = _KEY_TABLE.primary_key.name
    await conn.execute(f'ALTER TABLE member_name_key DROP CONSTRAINT IF EXISTS "{key_pk}"')
    rows = 0
    for_copy = {"columns": INDEX_COLUMNS}
    async for index_rows, key_rows in batches:
        await conn.copy_records_to_table("member_index", records=index_rows, **for_copy)
        if key_rows:
            await conn.copy_records_to_table(
                "member_name_key", records=key_rows, columns=KEY_COLUMNS
            )
        rows += len(index_rows)
    t1 = time.perf_counter()
    await conn.execute("SET maintenance_work_mem = '1GB'")
    await conn.execute(
        f'ALTER TABLE member_name_key ADD CONSTRAINT "{key_pk}"'
        " PRIMARY KEY (panchayat_lgd_code, key, member_id)"
    )
    for sql in _create_sql():
        await conn.execute(sql)
    await conn.execute("ANALYZE member_index")
    await conn.execute("ANALYZE member_name_key")
    return BuildTimes(rows, t1 - t0, time.perf_counter() - t1)


_REKEY_CHUNK = 5_000


async def rekey(conn: asyncpg.Connection, block: str = "", chunk: int = _REKEY_CHUNK) -> int:
    """Recompute the stored name keys (of one block, or of the whole index) after the name
    rules changed, a chunk per transaction; returns how many members got new keys."""
    changed = 0
    after = uuid.UUID(int=0)
    while True:
        rows = await conn.fetch(
            """
            SELECT member_id, panchayat_lgd_code, name, relative_name, name_keys
            FROM member_index WHERE member_id > $1 AND ($2 = '' OR block_lgd_code = $2)
            ORDER BY member_id LIMIT $3
            """,
            after,
            block,
            chunk,
        )
        if not rows:
            return changed
        after = rows[-1][0]
        stale = [
            (r[0], r[1], keys)
            for r in rows
            if list(keys := names.name_keys(r[2], r[3])) != list(r[4])
        ]
        if not stale:
            continue
        ids = [member_id for member_id, _, _ in stale]
        async with conn.transaction():
            await conn.execute(
                """
                UPDATE member_index mi SET name_keys = string_to_array(s.keys, ' ')
                FROM unnest($1::uuid[], $2::text[]) AS s(member_id, keys)
                WHERE mi.member_id = s.member_id
                """,
                ids,
                [" ".join(keys) for _, _, keys in stale],
            )
            await conn.execute("DELETE FROM member_name_key WHERE member_id = ANY($1)", ids)
            await conn.copy_records_to_table(
                "member_name_key",
                records=[(p, k, m) for m, p, keys in stale if p for k in keys],
                columns=KEY_COLUMNS,
            )
        changed += len(stale)


def main() -> None:
    """``python -m services.dedup.bulk rekey [--block CODE]``: after an upgrade that changed
    the name rules, the stored name keys of the state (or of one block) recomputed; checks
    and refreshes find candidates by them."""
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("command", choices=["rekey"])
    ap.add_argument("--block", default="", help="LGD code of one block (default: all)")
    args = ap.parse_args()

    async def run() -> int:
        conn = await asyncpg.connect(asyncpg_dsn(DedupSettings().database_url))
        try:
            return await rekey(conn, args.block)
        finally:
            await conn.close()

    print(f"{asyncio.run(run())} members got new name keys")


if __name__ == "__main__":
    main()
