"""Transactions: the books' core and its write/read path on a real PostgreSQL (pgserver).

Prints, on this machine:
1. the pure core: meetings of 15 members recorded per second and ledger lines per second;
2. the write path: 4 meetings × 15 members written with the service's repository (COPY, the
   deferred balance trigger checking every entry at commit) by concurrent writers on separate
   SHGs — ledger lines per second, and the ratio to a raw asyncpg COPY of the same lines into a
   table without the trigger;
3. the read path for an SHG with 5 years of weekly meetings (260 meetings): balances / trial
   balance as of today, p50 and p99.

Not yet: the same through the gateway with bookkeeper tokens (issue 11's bench goal); see the
closing note of docs/transactions.md.

    python -m bench.transactions_books [--shgs 8] [--writers 4]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

from lokos.db import asyncpg_dsn, prepare_database
from services.transactions import repository
from services.transactions.books import accounts as acc
from services.transactions.books.cutoff import (
    CutOffMember,
    CutOffSheet,
    books_from_cutoff,
    check_cutoff,
)
from services.transactions.books.meeting import (
    Attendance,
    BankAccount,
    Books,
    Contra,
    Meeting,
    MemberLine,
    Outcome,
    books_after,
    record_meeting,
)
from services.transactions.books.policy import BookPolicy
from services.transactions.books.schedule import Frequency

MIGRATIONS = Path(__file__).resolve().parents[1] / "services" / "transactions" / "migrations"
TODAY = dt.date(2030, 1, 1)
MEMBERS = [f"M{i:02d}" for i in range(1, 16)]


def opening(frequency: Frequency = Frequency.MONTHLY) -> Books:
    chart = acc.CHARTS[acc.CboType.SHG]
    sheet = CutOffSheet(
        date=dt.date(2024, 1, 1),
        last_paper_meeting=0,
        cash=100_000_00,
        banks={"SB1": 0},
        members=tuple(CutOffMember(m, compulsory=100_00) for m in MEMBERS),
        surplus=100_000_00 - 15 * 100_00,
    )
    result = check_cutoff(sheet, chart, BookPolicy())
    return books_from_cutoff(
        sheet,
        result,
        chart,
        BookPolicy(),
        100_00,
        {"SB1": BankAccount("SB1")},
        frequency,
    )


def next_meeting(books: Books, step: dt.timedelta) -> Meeting:
    cash = books.location_balance("CASH")
    collected = 15 * (100_00 + 20_00)
    return Meeting(
        number=books.last_meeting_number + 1,
        date=books.last_meeting_date + step,
        members=tuple(
            MemberLine(m, Attendance.PRESENT, compulsory=100_00, voluntary=20_00) for m in MEMBERS
        ),
        contras=(Contra("CASH", "SB1", 1_000_00),),
        cash_counted=cash + collected - 1_000_00,
        passbook={"SB1": books.location_balance("SB1") + 1_000_00},
    )


def chain(count: int, step: dt.timedelta) -> list[Outcome]:
    books = opening()
    outs = []
    for _ in range(count):
        out = record_meeting(books, next_meeting(books, step), TODAY)
        outs.append(out)
        books = books_after(books, out)
    return outs


def lines(outs: list[Outcome]) -> int:
    return sum(len(e.postings) for o in outs for e in o.entries)


def bench_core() -> None:
    t = time.perf_counter()
    outs = chain(260, dt.timedelta(days=7))
    took = time.perf_counter() - t
    print(
        f"core: 260 meetings × 15 members in {took * 1000:.0f} ms: "
        f"{260 / took:,.0f} meetings/s, {lines(outs) / took:,.0f} ledger lines/s"
    )


async def write_shg(pool: asyncpg.Pool, outs: list[Outcome]) -> None:
    cbo_id = uuid.uuid4()
    for out in outs:
        async with pool.acquire() as conn, conn.transaction():
            await repository.insert_entries(conn, cbo_id, None, out.entries)


async def bench_db(url: str, shgs: int, writers: int) -> None:
    pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=writers, max_size=writers)
    outs = chain(4, dt.timedelta(days=30))
    per_shg = lines(outs)
    sem = asyncio.Semaphore(writers)

    async def one() -> None:
        async with sem:
            await write_shg(pool, outs)

    t = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(shgs)))
    took = time.perf_counter() - t
    ours = shgs * per_shg / took

    async with pool.acquire() as conn:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS raw_posting (entry_id bigint, cbo_id uuid, entry_date date,"
            " head text, sub text, amount bigint)"
        )
    records = [
        (i, uuid.uuid4(), e.date, p.account.head, p.account.sub, p.signed)
        for o in outs
        for i, e in enumerate(o.entries)
        for p in e.postings
    ]

    async def raw_one() -> None:
        async with sem, pool.acquire() as conn:
            for _ in outs:
                async with conn.transaction():
                    await conn.copy_records_to_table(
                        "raw_posting", records=records[: per_shg // len(outs)]
                    )

    t = time.perf_counter()
    await asyncio.gather(*(raw_one() for _ in range(shgs)))
    raw_took = time.perf_counter() - t
    raw = shgs * per_shg / raw_took
    print(
        f"write: {shgs} SHGs × 4 meetings × 15 members, {writers} writers: {ours:,.0f} lines/s "
        f"(raw COPY {raw:,.0f} lines/s; ratio {ours / raw:.2f})"
    )

    # read: one SHG with 5 years of weekly meetings
    weekly = chain(260, dt.timedelta(days=7))
    cbo_id = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        for out in weekly:
            await repository.insert_entries(conn, cbo_id, None, out.entries)
    async with pool.acquire() as conn:
        await conn.execute("VACUUM ANALYZE posting")  # autovacuum's job on a live database
        # As of today the service reads the running balances (the book's last meeting is
        # earlier); an earlier date sums the journal.
        book_row = {"last_date": TODAY, "cutoff_status": "APPROVED"}
        for label, read in (
            ("summed from the journal", lambda: repository.journal_balances(conn, cbo_id, TODAY)),
            (
                "running balances",
                lambda: repository.balances(conn, cbo_id, TODAY, book_row=book_row),  # type: ignore[arg-type]
            ),
        ):
            timings = []
            for _ in range(200):
                t = time.perf_counter()
                await read()
                timings.append(time.perf_counter() - t)
            timings.sort()
            print(
                f"read: balances/trial balance of an SHG with {lines(weekly):,} lines (260 "
                f"weekly meetings), {label}: p50 {statistics.median(timings) * 1000:.2f} ms, "
                f"p99 {timings[int(len(timings) * 0.99) - 1] * 1000:.2f} ms"
            )
    await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shgs", type=int, default=8)
    parser.add_argument("--writers", type=int, default=4)
    args = parser.parse_args()
    bench_core()
    import pgserver

    with tempfile.TemporaryDirectory(prefix="lokos-txn-bench") as d:
        srv = pgserver.get_server(d)  # type: ignore[attr-defined]
        try:
            host = srv.get_uri().split("host=")[1]
            url = f"postgresql+asyncpg://postgres@/txn_bench?host={host}"
            asyncio.run(prepare_database(MIGRATIONS, url, create=True))
            asyncio.run(bench_db(url, args.shgs, args.writers))
        finally:
            srv.cleanup()


if __name__ == "__main__":
    main()
