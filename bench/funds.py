"""Community funds on a real PostgreSQL (pgserver): a state-wide CIF release and the F5 report.

Prints, on this machine:
1. a state-level CIF release to 10,000 SHGs, both books each: every VO lends CIF to each of its
   SHGs (a schedule per loan from the schedule engine), the VO's entry and the SHG's confirmed
   entry, the transfer row and the VO's loan row — written with the funds repository's bulk
   paths (COPY, ids from one ``generate_series``; the deferred trigger checks every entry at
   commit and the statement triggers keep the running balances): time and ledger lines/s, then
   every book's trial balance checked;
2. the reconciliation report (F5) over 10 lakh transfers in 200 blocks (5% of them unconfirmed
   or confirmed with another amount), loaded with COPY: the service's report per block (access
   check, the block's district, the partial index, the ageing in Python), p50 / p99.

    python -m bench.funds [--shgs 10000] [--transfers 1000000 (0: skip the report)] [--blocks 200]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg

from lokos.db import Database, asyncpg_dsn, prepare_database
from lokos.principal import Principal, RoleGrant, Scope
from lokos.transactions.v1 import funds_pb2 as fpb
from services.transactions import funds_repository as repo
from services.transactions.books import accounts as acc
from services.transactions.books.accounts import LoanSource
from services.transactions.books.flows import Movement, giver_entry, receiver_entry
from services.transactions.books.funds import FundType
from services.transactions.books.ledger import JournalEntry, credit, debit
from services.transactions.books.loans import LoanState
from services.transactions.books.money import rupees
from services.transactions.books.schedule import (
    Frequency,
    LoanTerms,
    Method,
    add_months,
    build_schedule,
)
from services.transactions.funds_service import Funds
from services.transactions.mapping import loan_to_json
from services.transactions.service import Transactions

MIGRATIONS = Path(__file__).resolve().parents[1] / "services" / "transactions" / "migrations"
STATE = "UP"
ON = dt.date(2026, 3, 1)
SHGS_PER_VO = 20
FORMED = dt.date(2023, 1, 1)
CIF = rupees(50_000)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def seed_books(
    conn: asyncpg.Connection, cbos: Sequence[tuple[uuid.UUID, str, uuid.UUID | None]]
) -> None:
    """CBO copies and open books (approved empty cut-offs) with an SB account each."""
    await conn.copy_records_to_table(
        "cbo",
        records=[
            (c, t, STATE, "D1", f"B{i % 50:03d}", "", "", parent, "approved", 1, FORMED)
            for i, (c, t, parent) in enumerate(cbos)
        ],
        columns=[
            "cbo_id", "cbo_type", "state", "district_lgd_code", "block_lgd_code",
            "panchayat_lgd_code", "village_lgd_code", "parent_id", "status", "version", "formed_on",
        ],
    )  # fmt: skip
    await conn.copy_records_to_table(
        "book",
        records=[
            (c, t, STATE, "MONTHLY", 0, 0, dt.date(2026, 1, 1), f"cut-{c}", "APPROVED",
             dt.date(2026, 1, 1), 0, "{}", 0, "bench")
            for c, t, _ in cbos
        ],
        columns=[
            "cbo_id", "cbo_type", "state", "frequency", "compulsory_amount", "last_number",
            "last_date", "cutoff_client_id", "cutoff_status", "cutoff_date",
            "cutoff_last_paper_meeting", "cutoff_payload", "cutoff_total", "maker",
        ],
    )  # fmt: skip
    await conn.copy_records_to_table(
        "bank_account",
        records=[(c, "SB1", "SB", 0) for c, _, _ in cbos],
        columns=["cbo_id", "account_id", "kind", "drawing_power"],
    )


async def release(url: str, shgs: int) -> None:
    vos = [uuid.uuid4() for _ in range(max(1, shgs // SHGS_PER_VO))]
    clf = uuid.uuid4()
    shg_ids = [uuid.uuid4() for _ in range(shgs)]
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with conn.transaction():
            await seed_books(
                conn,
                [(clf, "CLF", None)]
                + [(v, "VO", clf) for v in vos]
                + [(s, "SHG", vos[i % len(vos)]) for i, s in enumerate(shg_ids)],
            )
            # Each VO holds the CIF its CLF lent it (its bank and its CIF payable).
            await repo.insert_entries_many(
                conn,
                [
                    (
                        v,
                        JournalEntry(
                            ON, "FUND_LOAN_RECEIVED", "CIF from the CLF",
                            (debit(acc.BANK, CIF * SHGS_PER_VO, "SB1"),
                             credit("CIF_PAYABLE", CIF * SHGS_PER_VO)),
                        ),
                    )
                    for v in vos
                ],
            )  # fmt: skip
        started = time.perf_counter()
        async with conn.transaction():
            entries: list[tuple[uuid.UUID, JournalEntry]] = []
            transfers: list[dict[str, Any]] = []
            loans: list[tuple[Any, ...]] = []
            for i, shg in enumerate(shg_ids):
                vo = vos[i % len(vos)]
                tid = uuid.uuid4()
                loan_id = f"CIF-{i:06d}"
                text = f"LOAN CIF transfer {tid}"
                # Amounts differ from SHG to SHG (its micro-credit plan): a schedule each.
                amount = CIF - rupees(i % 11 * 1_000)
                terms = LoanTerms(
                    amount, 100, Method.DECLINING_EMI, 12, 1, add_months(ON, 1), Frequency.MONTHLY
                )
                given = giver_entry(
                    Movement.LOAN, FundType.CIF, amount, "SB1", ON, text, loan_id=loan_id
                )
                assert given is not None
                got = receiver_entry(
                    Movement.LOAN, FundType.CIF, amount, "SB1", ON, text + " received"
                )
                entries += [(vo, given), (shg, got)]
                state = LoanState.new(
                    loan_id, str(shg), LoanSource.CIF, terms, build_schedule(terms, 100)
                )
                loans.append(
                    (
                        vo,
                        loan_id,
                        str(shg),
                        "CIF",
                        "federation loan",
                        loan_to_json(state),
                        amount,
                        False,
                    )
                )
                transfers.append(
                    {
                        "id": tid, "client_id": f"bulk-{tid}", "state": STATE, "movement": "LOAN",
                        "fund": "CIF", "giver_id": vo, "giver_tier": "VO", "receiver_id": shg,
                        "receiver_tier": "SHG", "amount": amount, "principal": amount,
                        "interest": 0,
                        "mode": "BANK", "giver_account": "SB1", "transfer_date": ON,
                        "reference": "SRLM/CIF/bulk", "loan_id": loan_id, "status": "APPROVED",
                        "confirmed_amount": amount, "confirmed_on": ON, "confirmed_by": "bench",
                        "matched": True, "giver_entry_id": None, "receiver_entry_id": None,
                        "undo": {}, "maker": "bench", "checker": "bench-checker",
                        "block_lgd_code": f"B{i % 50:03d}", "district_lgd_code": "D1",
                    }
                )  # fmt: skip
            computed = time.perf_counter()
            ids = await repo.insert_entries_many(conn, entries)
            for k, row in enumerate(transfers):
                row["giver_entry_id"], row["receiver_entry_id"] = ids[2 * k], ids[2 * k + 1]
            await repo.copy_transfers(conn, transfers)
            await conn.copy_records_to_table(
                "loan",
                records=[(*r[:5], json.dumps(r[5]), *r[6:]) for r in loans],
                columns=["cbo_id", "loan_id", "member_id", "source", "purpose", "state",
                         "outstanding", "closed"],
            )  # fmt: skip
        done = time.perf_counter()
        lines = sum(len(e.postings) for _, e in entries)
        print(
            f"1. CIF release to {shgs:,} SHGs from {len(vos):,} VOs, both books: "
            f"{done - started:.2f} s ({computed - started:.2f} s computing {shgs:,} schedules and "
            f"entries, {done - computed:.2f} s writing); {len(entries):,} entries, "
            f"{lines:,} ledger lines → {lines / (done - started):,.0f} lines/s "
            f"({lines / (done - computed):,.0f} lines/s written)"
        )
        unbalanced = await conn.fetchval(
            "SELECT count(*) FROM (SELECT cbo_id FROM account_balance GROUP BY cbo_id"
            " HAVING sum(balance) <> 0) x"
        )
        summed = await conn.fetchval(
            "SELECT count(*) FROM (SELECT cbo_id, head, sub, sum(amount) s FROM posting"
            " GROUP BY 1, 2, 3) p FULL JOIN account_balance a USING (cbo_id, head, sub)"
            " WHERE coalesce(p.s, 0) <> coalesce(a.balance, 0)"
        )
        print(
            f"   trial balance of every book: {unbalanced} unbalanced; running balances that "
            f"differ from the journal: {summed}"
        )
    finally:
        await conn.close()


async def reconciliation(url: str, total: int, blocks: int) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    rng = random.Random(13)
    codes = [f"R{b:04d}" for b in range(blocks)]
    try:
        await conn.copy_records_to_table(
            "cbo",
            records=[(uuid.uuid4(), "CLF", STATE, f"D{b // 20:02d}", code, "", "", None,
                      "approved", 1, None) for b, code in enumerate(codes)],
            columns=["cbo_id", "cbo_type", "state", "district_lgd_code", "block_lgd_code",
                     "panchayat_lgd_code", "village_lgd_code", "parent_id", "status", "version",
                     "formed_on"],
        )  # fmt: skip
        started = time.perf_counter()
        batch = 100_000
        for first in range(0, total, batch):
            rows = []
            for i in range(first, min(first + batch, total)):
                tid = uuid.uuid4()
                amount = rupees(rng.choice((15_000, 50_000, 1_00_000)))
                odd = rng.random()
                confirmed = None if odd < 0.03 else amount - rupees(500) if odd < 0.05 else amount
                b = i % blocks
                on = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 900))
                rows.append(
                    (tid, f"r-{tid}", STATE, "LOAN", "CIF", uuid.uuid4(), "VO", uuid.uuid4(), "SHG",
                     amount, amount, 0, "BANK", "SB1", on, "", f"L{i}", "APPROVED", confirmed,
                     None if confirmed is None else on + dt.timedelta(days=7),
                     "" if confirmed is None else "bench", confirmed == amount, None, None, "{}",
                     "bench", "bench-checker", codes[b], f"D{b // 20:02d}")
                )  # fmt: skip
            await conn.copy_records_to_table(
                "fund_transfer", records=rows, columns=list(repo.TRANSFER_COLUMNS)
            )
        await conn.execute("ANALYZE fund_transfer")
        print(
            f"2. {total:,} transfers in {blocks} blocks loaded with COPY in "
            f"{time.perf_counter() - started:.1f} s"
        )
    finally:
        await conn.close()
    db = Database(url, pool_size=2)
    books = Transactions(db, STATE)
    funds = Funds(books)
    staff = Principal(
        "BENCH_SPM", STATE, "lokos-up",
        (RoleGrant("STATE_PROGRAM_MANAGER", Scope("state", frozenset({STATE}))),),
    )  # fmt: skip
    timings: list[float] = []
    found = 0
    try:
        for code in codes:
            t0 = time.perf_counter()
            view = await funds.reconciliation(
                staff, fpb.ReconciliationRequest(block_lgd_code=code), dt.date(2026, 11, 30)
            )
            timings.append((time.perf_counter() - t0) * 1000)
            found += len(view.discrepancies)
    finally:
        await db.engine.dispose()
    print(
        f"   reconciliation report per block ({total // blocks:,} transfers each, "
        f"{found / blocks:,.0f} discrepancies listed on average): p50 "
        f"{statistics.median(timings):.1f} ms, p99 {percentile(timings, 99):.1f} ms, max "
        f"{max(timings):.1f} ms over {blocks} blocks (goal p99 ≤ 2,000 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shgs", type=int, default=10_000)
    parser.add_argument("--transfers", type=int, default=1_000_000)
    parser.add_argument("--blocks", type=int, default=200)
    args = parser.parse_args()

    import pgserver

    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores shared with other sessions)")
    with tempfile.TemporaryDirectory(prefix="lokos-funds-bench") as d:
        srv = pgserver.get_server(d)  # type: ignore[attr-defined]
        try:
            host = srv.get_uri().split("host=")[1]
            url = f"postgresql+asyncpg://postgres@/funds_bench?host={host}"
            asyncio.run(prepare_database(MIGRATIONS, url, create=True))
            asyncio.run(release(url, args.shgs))
            if args.transfers:
                asyncio.run(reconciliation(url, args.transfers, args.blocks))
        finally:
            srv.cleanup()
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
