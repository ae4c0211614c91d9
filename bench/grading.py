"""Grading of every SHG of a block from its books (issue 13's bench; goal ≤ 10 s).

1. Loads, with COPY straight into the transactions database, a block of ``--shgs`` SHGs (default
   2,000) of 12 members, each with 2 years of monthly books: an approved cut-off, 24 meetings
   (attendance, compulsory savings, loans and repayments as meeting rows and balanced ledger
   entries), and the loans with their schedules. Some groups miss meetings, members skip
   savings or repayments, and a few approvals are late, so the grades spread.
2. Grades the whole block through the gateway (``POST /v1/blocks/{block}/grades``) as the state
   administrator, ``--runs`` times; prints wall time per run, grades per second, the grade
   distribution and the machine's load average.

    python -m bench.grading [--shgs 2000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import time
import uuid
from typing import Any

import asyncpg
import httpx

from bench.common import console, get_token, shared_platform
from lokos.db import asyncpg_dsn
from services.transactions.books.grading_settings import last_complete_month, shift_month

BLOCK = "999000001"
DISTRICT = "99900"
MEMBERS = 12
MONTHS = 24
SAVING = 100_00  # ₹100 a month
LOAN = 5_000_00
TENURE = 10


def _j(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def synthesize(
    shgs: int, state: str, last_month: dt.date, seed: int = 13
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the block's books, by table."""
    rnd = random.Random(seed)
    first_month = shift_month(last_month, -(MONTHS - 1))
    cutoff = shift_month(first_month, -1)  # opened on the 1st; meetings due from first_month
    rows: dict[str, list[tuple[Any, ...]]] = {
        k: []
        for k in ("cbo", "book", "meeting", "meeting_member", "journal_entry", "posting", "loan")
    }
    entry_id = 0
    for _ in range(shgs):
        cid = uuid.uuid4()
        members = [f"{cid.hex[:8]}-M{k:02d}" for k in range(MEMBERS)]
        rows["cbo"].append(
            (cid, "SHG", state, DISTRICT, BLOCK, "", "", None, "approved", 1, cutoff)
        )
        discipline = rnd.random()  # how well this group keeps the five rules
        rows["book"].append(
            (
                cid,
                "SHG",
                state,
                "MONTHLY",
                SAVING,
                0,
                cutoff,
                "{}",
                "bench",
                "APPROVED",
                cutoff,
                0,
                "{}",
                0,
                "bench",
                "bench-approver",
            )
        )
        loans: dict[str, dict[str, Any]] = {}  # member → her open loan
        cash = 0
        number = 0
        for k in range(MONTHS):
            month = shift_month(first_month, k)
            if rnd.random() > 0.75 + 0.25 * discipline:
                continue  # a missed meeting
            number += 1
            day = month.replace(day=10)
            mid = uuid.uuid4()
            late = rnd.random() > 0.5 + 0.5 * discipline
            decided = dt.datetime.combine(
                day + dt.timedelta(days=25 if late else 5), dt.time(12), dt.UTC
            )
            rows["meeting"].append(
                (
                    mid,
                    cid,
                    f"bench-{number}",
                    number,
                    day,
                    "APPROVED",
                    "{}",
                    "{}",
                    "{}",
                    "bench",
                    "bench-approver",
                    decided,
                )
            )
            savings_postings = []
            repay_postings = []
            for m in members:
                present = rnd.random() < 0.7 + 0.3 * discipline
                paid = SAVING if present or rnd.random() < 0.3 else 0
                row: dict[str, Any] = {
                    "member_id": m,
                    "attendance": "PRESENT" if present else "ABSENT",
                    "compulsory_due": SAVING,
                }
                if paid:
                    row["compulsory_paid"] = paid
                    savings_postings.append(("CS", m, -paid))
                loan = loans.get(m)
                if loan is not None and rnd.random() < 0.8 + 0.2 * discipline:
                    instalment = LOAN // TENURE
                    loan["paid"] += 1
                    row["principal_repaid"] = instalment
                    repay_postings.append((f"LOAN_{loan['source']}", loan["id"], -instalment))
                    if loan["paid"] == TENURE:
                        del loans[m]
                elif loan is None and cash > LOAN and rnd.random() < 0.15:
                    lid = f"{cid.hex[:8]}-L{number}-{m[-3:]}"
                    schedule = [
                        [
                            i + 1,
                            number + i + 1,
                            shift_month(month, i + 1).replace(day=10).isoformat(),
                            LOAN // TENURE,
                            0,
                            LOAN - LOAN // TENURE * (i + 1),
                        ]
                        for i in range(TENURE)
                    ]
                    loans[m] = {"id": lid, "paid": 0, "source": "OWN_FUNDS"}
                    rows["loan"].append(
                        (
                            cid,
                            lid,
                            m,
                            "OWN_FUNDS",
                            "",
                            mid,
                            _j(
                                {
                                    "loan_id": lid,
                                    "member_id": m,
                                    "source": "OWN_FUNDS",
                                    "terms": [
                                        LOAN,
                                        0,
                                        "DECLINING_EMI",
                                        TENURE,
                                        number + 1,
                                        schedule[0][2],
                                        "MONTHLY",
                                    ],
                                    "schedule": schedule,
                                    "paid": [[0, 0]] * TENURE,
                                    "penalty_due": 0,
                                }
                            ),
                            LOAN,
                            False,
                        )
                    )
                    row["disbursed"] = LOAN
                    entry_id += 1
                    rows["journal_entry"].append((entry_id, cid, mid, day, "DISBURSAL", ""))
                    rows["posting"] += [
                        (entry_id, cid, day, "LOAN_OWN_FUNDS", lid, LOAN),
                        (entry_id, cid, day, "CASH", "", -LOAN),
                    ]
                    cash -= LOAN
                rows["meeting_member"].append((mid, m, cid, number, _j(row)))
            for postings, kind in ((savings_postings, "CS"), (repay_postings, "REPAYMENT")):
                if not postings:
                    continue
                entry_id += 1
                total = -sum(p[2] for p in postings)
                rows["journal_entry"].append((entry_id, cid, mid, day, kind, ""))
                rows["posting"].append((entry_id, cid, day, "CASH", "", total))
                rows["posting"] += [(entry_id, cid, day, h, s, a) for h, s, a in postings]
                cash += total
    return rows


COLUMNS = {
    "cbo": [
        "cbo_id",
        "cbo_type",
        "state",
        "district_lgd_code",
        "block_lgd_code",
        "panchayat_lgd_code",
        "village_lgd_code",
        "parent_id",
        "status",
        "version",
        "formed_on",
    ],
    "book": [
        "cbo_id",
        "cbo_type",
        "state",
        "frequency",
        "compulsory_amount",
        "last_number",
        "last_date",
        "cs_arrears",
        "cutoff_client_id",
        "cutoff_status",
        "cutoff_date",
        "cutoff_last_paper_meeting",
        "cutoff_payload",
        "cutoff_total",
        "maker",
        "checker",
    ],
    "meeting": [
        "id",
        "cbo_id",
        "client_id",
        "number",
        "date",
        "status",
        "payload",
        "result",
        "undo",
        "maker",
        "checker",
        "decided_at",
    ],
    "meeting_member": ["meeting_id", "member_id", "cbo_id", "number", "row"],
    "journal_entry": ["id", "cbo_id", "meeting_id", "entry_date", "kind", "narration"],
    "posting": ["entry_id", "cbo_id", "entry_date", "head", "sub", "amount"],
    "loan": [
        "cbo_id",
        "loan_id",
        "member_id",
        "source",
        "purpose",
        "meeting_id",
        "state",
        "outstanding",
        "closed",
    ],
}


async def load(url: str, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        base = await conn.fetchval("SELECT coalesce(max(id), 0) FROM journal_entry")
        rows["journal_entry"] = [(r[0] + base, *r[1:]) for r in rows["journal_entry"]]
        rows["posting"] = [(r[0] + base, *r[1:]) for r in rows["posting"]]
        async with conn.transaction():
            for table in COLUMNS:
                await conn.copy_records_to_table(table, records=rows[table], columns=COLUMNS[table])
            await conn.execute(
                "SELECT setval('journal_entry_id_seq', (SELECT max(id) FROM journal_entry))"
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shgs", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with shared_platform() as sp:
        p = sp.platform
        today = dt.datetime.now(dt.timezone(dt.timedelta(hours=5, minutes=30))).date()
        last = last_complete_month(today)
        as_of = shift_month(last, 1) - dt.timedelta(days=1)
        t0 = time.perf_counter()
        rows = synthesize(args.shgs, p.s.state, last)
        t_synth = time.perf_counter() - t0
        t0 = time.perf_counter()
        asyncio.run(load(p.database_url("transactions"), rows))
        t_load = time.perf_counter() - t0
        console.print(
            f"block {BLOCK}: {args.shgs:,} SHGs × {MEMBERS} members, {MONTHS} months: "
            f"{len(rows['meeting']):,} meetings, {len(rows['meeting_member']):,} member rows, "
            f"{len(rows['posting']):,} postings, {len(rows['loan']):,} loans "
            f"(synthesised {t_synth:.1f}s, COPY {t_load:.1f}s)"
        )
        token = get_token(p)
        with httpx.Client(base_url=p.gateway_url, timeout=120) as http:
            for run in range(1, args.runs + 1):
                load_avg = os.getloadavg()
                t0 = time.perf_counter()
                r = http.post(
                    f"/v1/blocks/{BLOCK}/grades",
                    json={"as_of": as_of.isoformat()},
                    headers={"Authorization": f"Bearer {token}"},
                )
                seconds = time.perf_counter() - t0
                r.raise_for_status()
                body = r.json()
                console.print(
                    f"run {run}: graded {len(body['grades']):,} SHGs (skipped "
                    f"{len(body['skipped'])}) in {seconds:.2f}s = "
                    f"{len(body['grades']) / seconds:,.0f} SHGs/s; grades {body['by_grade']}; "
                    f"load average before {load_avg[0]:.2f} {load_avg[1]:.2f} {load_avg[2]:.2f}"
                    f" (goal ≤ 10 s: {'met' if seconds <= 10 else 'NOT met'})"
                )


if __name__ == "__main__":
    main()
