"""Transactions through the gateway (issue 11's bench): offline uploads and book reads.

1. Loads members with the migration import (approved SHGs and members; transactions keeps its copy
   from the events), maps one SHG Bookkeeper to the SHGs of a block that have 15 members, and opens
   their books (an empty cut-off each).
2. Uploads: every SHG sends 4 meetings × 15 members in one request, from ``--clients`` concurrent
   clients, ``--rounds`` times (meetings 1–4, then 5–8 …; the bench approves each round straight
   in the database). Prints ledger lines written per second and the ratio to a raw asyncpg COPY of
   the same number of lines into a scratch table of the transactions database (the floor of any
   writer), the load average when it started (the machine is shared), and the CPU time each
   process of the platform spent per upload, which the other sessions' load moves far less than
   the rate. It starts once the span index (helpdesk) has read the traces of the member import,
   so that catching up is not measured as the uploads' cost.
3. Reads of one SHG with 5 years of weekly meetings (260, uploaded 4 at a time; the bench marks
   each batch approved straight in the database so the 4-pending limit lets the next one in):
   meeting pack, passbook and trial balance, p50/p99 over ``--requests`` sequential requests.

    python -m bench.transactions_gateway [--members 6000] [--clients 8] [--requests 300]
                                         [--rounds 1]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import asyncpg
import httpx

from bench.common import (
    LatencyStats,
    console,
    cpu_seconds,
    fmt_ms,
    get_token,
    shared_platform,
    wait_quiet,
)
from bench.migration_import import (
    _import,
    _principal,
    load_geography,
    synthetic_geography,
    write_csv,
)
from launcher.platform import Platform
from lokos.db import asyncpg_dsn

PW = "Bench@2024"
MEMBERS_PER_SHG = 15
LINES_PER_MEETING = 2 * (MEMBERS_PER_SHG + 1)  # compulsory and voluntary: 15 credits + 1 debit


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _user(http: httpx.Client, token: str, user_id: str, role: str, codes: list[str]) -> None:
    level = "district" if role == "DISTRICT_ADMIN" else "block"
    r = http.post(
        "/v1/users",
        json={
            "user_id": user_id,
            "name": f"Bench {role.title()}",
            "mobile": "9876500001",
            "password": PW,
            "temporary_password": False,
            "roles": [{"role": role, "scope": {"level": level, "codes": codes}}],
        },
        headers=_h(token),
    )
    if r.status_code != 201:
        raise RuntimeError(f"creating {user_id}: {r.status_code} {r.text[:300]}")


def _login(http: httpx.Client, user_id: str) -> str:
    r = http.post("/v1/auth/state/login", json={"user_id": user_id, "password": PW})
    r.raise_for_status()
    return str(r.json()["access_token"])


def _mobile_login(p: Platform, http: httpx.Client, user_id: str, device: str) -> dict[str, str]:
    body = {"user_id": user_id, "password": PW, "client": "mobile", "device_id": device}
    first = http.post("/v1/auth/state/login", json=body).json()
    otp = ""
    for line in reversed((p.data / "sms" / "outbox.jsonl").read_text().splitlines()):
        entry = json.loads(line)
        if entry["user_id"] == user_id:
            otp = str(entry["text"][:6])
            break
    r = http.post(
        "/v1/auth/state/login",
        json={**body, "challenge_id": first["challenge_id"], "otp": otp},
    )
    r.raise_for_status()
    return {**_h(r.json()["access_token"]), "X-Device-Id": device}


async def _shgs(dsn: str, block: str, n: int) -> list[tuple[str, list[str]]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            """
            SELECT m.shg_id, (array_agg(m.id ORDER BY m.id))[1:15] AS members
            FROM member m JOIN cbo c ON c.id = m.shg_id
            WHERE c.block_lgd_code = $1 AND m.status = 'approved'
            GROUP BY m.shg_id HAVING count(*) >= 15 LIMIT $2
            """,
            block,
            n,
        )
        return [(str(r["shg_id"]), [str(x) for x in r["members"]]) for r in rows]
    finally:
        await conn.close()


def _meetings(
    members: Sequence[str], first: int, count: int, weekly: bool
) -> list[dict[str, object]]:
    out = []
    for k in range(first, first + count):
        day = (
            (dt.date(2021, 1, 4) + dt.timedelta(weeks=k - 1)).isoformat()
            if weekly
            else f"{2021 + (k - 1) // 12}-{(k - 1) % 12 + 1:02d}-05"
        )
        out.append(
            {
                "client_id": str(uuid.uuid4()),
                "number": k,
                "date": day,
                "members": [
                    {"member_id": m, "compulsory": 100_00, "voluntary": 10_00} for m in members
                ],
                "cash_counted": 110_00 * len(members) * k,
            }
        )
    return out


def _open(http: httpx.Client, bk: dict[str, str], shg: str, members: list[str], freq: str) -> None:
    body = {
        "client_id": str(uuid.uuid4()),
        "cutoff": {
            "date": "2020-12-01",
            "frequency": freq,
            "compulsory_amount": 100_00,
            "members": [{"member_id": m} for m in members],
        },
    }
    deadline = time.monotonic() + 120
    while True:
        r = http.post(f"/v1/books/{shg}/cutoff", json=body, headers=bk)
        if r.status_code in (200, 201):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"cut-off of {shg}: {r.status_code} {r.text[:300]}")
        time.sleep(0.5)


async def _uploads(
    gateway: str,
    bk: dict[str, str],
    shgs: list[tuple[str, list[str]]],
    clients: int,
    first: int = 1,
) -> float:
    sem = asyncio.Semaphore(clients)
    async with httpx.AsyncClient(base_url=gateway, timeout=120) as http:

        async def one(shg: str, members: list[str]) -> None:
            async with sem:
                r = await http.post(
                    f"/v1/books/{shg}/meetings",
                    json={"meetings": _meetings(members, first, 4, weekly=False)},
                    headers=bk,
                )
                if r.status_code != 200:
                    raise RuntimeError(f"upload {shg}: {r.status_code} {r.text[:300]}")

        t0 = time.perf_counter()
        await asyncio.gather(*(one(s, m) for s, m in shgs))
        return time.perf_counter() - t0


async def _raw_copy(dsn: str, lines: int, clients: int) -> float:
    pool = await asyncpg.create_pool(dsn, min_size=clients, max_size=clients)
    try:
        async with pool.acquire() as conn:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS bench_raw_posting (entry_id bigint, cbo_id uuid,"
                " head text, sub text, amount bigint)"
            )
        per = lines // clients
        cbo = uuid.uuid4()
        records = [(i, cbo, "CS", f"m{i % 15}", 100_00) for i in range(per)]

        async def one() -> None:
            async with pool.acquire() as conn:
                await conn.copy_records_to_table("bench_raw_posting", records=records)

        t0 = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(clients)))
        return time.perf_counter() - t0
    finally:
        await pool.close()


async def _wait_spans_indexed(p: Platform, timeout: float = 900.0) -> float:
    """Until the helpdesk's span index has read every trace file as far as it was a moment
    ago (a bulk import leaves minutes of spans to index); returns seconds."""
    t0 = time.monotonic()
    conn = await asyncpg.connect(asyncpg_dsn(p.database_url("helpdesk")))
    try:
        while time.monotonic() - t0 < timeout:
            sizes = {f.name: f.stat().st_size for f in (p.data / "traces").glob("*.jsonl")}
            await asyncio.sleep(2)
            read = {
                Path(r["path"]).name: r["offset"]
                for r in await conn.fetch('SELECT path, "offset" FROM span_source')
            }
            if all(read.get(name, 0) >= size for name, size in sizes.items()):
                break
    finally:
        await conn.close()
    return time.monotonic() - t0


def _timed(http: httpx.Client, path: str, headers: dict[str, str], n: int) -> LatencyStats:
    for _ in range(20):
        http.get(path, headers=headers)
    samples = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        r = http.get(path, headers=headers)
        samples.append(time.perf_counter_ns() - t0)
        if r.status_code != 200:
            raise RuntimeError(f"GET {path}: {r.status_code} {r.text[:300]}")
    return LatencyStats.from_ns(samples)


def run(p: Platform, members: int, clients: int, requests: int, rounds: int = 1) -> None:
    geo = synthetic_geography(7, blocks=2)  # SHGs of 15 members concentrate in one block
    token = get_token(p)
    load_geography(p, token, geo)
    with tempfile.TemporaryDirectory(prefix="lokos-txn-") as tmp:
        path = Path(tmp) / "members.csv"
        with path.open("w") as f:
            write_csv(f, members, geo, 7, bad_ratio=0.0)
        principal = asyncio.run(_principal(p))
        with console.status(f"loading {members:,} members…"):
            asyncio.run(_import(p, path, principal))
    wait_quiet(p)
    token = get_token(p)
    block = geo.blocks[0]
    shgs = asyncio.run(_shgs(asyncpg_dsn(p.database_url("profiles")), block.lgd_code, 200))
    if len(shgs) < 2:
        raise RuntimeError("too few SHGs with 15 members; raise --members")
    suffix = uuid.uuid4().hex[:6].upper()
    with httpx.Client(base_url=p.gateway_url, timeout=120) as http:
        _user(http, token, f"UP_TDA{suffix}", "DISTRICT_ADMIN", [block.district])
        da = _login(http, f"UP_TDA{suffix}")
        _user(http, da, f"UP_TBA{suffix}", "BLOCK_ADMIN", [block.lgd_code])
        ba = _login(http, f"UP_TBA{suffix}")
        bk_id = f"UP_TBK{suffix}"
        _user(http, ba, bk_id, "SHG_BOOKKEEPER", [block.lgd_code])
        mapped = http.post(
            f"/v1/users/{bk_id}/cbos", json={"cbo_ids": [s for s, _ in shgs]}, headers=_h(ba)
        )
        mapped.raise_for_status()
        bk = _mobile_login(p, http, bk_id, "bench-phone-1")
        reader, writers = shgs[0], shgs[1:]
        with console.status(f"opening the books of {len(shgs)} SHGs…"):
            _open(http, bk, reader[0], reader[1], "WEEKLY")
            for s, m in writers:
                _open(http, bk, s, m, "MONTHLY")
        dsn = asyncpg_dsn(p.database_url("transactions"))
        with console.status("waiting for the span index to read the import's traces…"):
            waited = asyncio.run(_wait_spans_indexed(p))
        console.print(f"span index caught up in {waited:.0f}s")
        pids = {str(i["name"]): int(i["pid"]) for i in p.rpc().supervisor.getAllProcessInfo()}
        lines = len(writers) * 4 * LINES_PER_MEETING
        took = 0.0
        cpu = dict.fromkeys(pids, 0.0)
        for rnd in range(rounds):
            load = os.getloadavg()[0]
            before = cpu_seconds(p, list(pids))
            spent = asyncio.run(_uploads(p.gateway_url, bk, writers, clients, 4 * rnd + 1))
            after = cpu_seconds(p, list(pids))
            took += spent
            for name in pids:
                cpu[name] += after[name] - before[name]
            console.print(
                f"round {rnd + 1}: {lines / spent:,.0f} ledger lines/s (load average {load:.1f})"
            )
            asyncio.run(_approve_writers(dsn, [s for s, _ in writers]))
        raw = asyncio.run(_raw_copy(dsn, lines, clients))
        console.print(
            f"uploads: {len(writers)} SHGs × 4 meetings × 15 members by {clients} clients, "
            f"{rounds} round(s) in {took:.2f}s: {rounds * lines / took:,.0f} ledger lines/s "
            f"(goal ≥ 5,000); raw COPY of the same lines {lines / raw:,.0f}/s; "
            f"ratio {rounds * raw / took:.3f}"
        )
        uploads = rounds * len(writers)
        busiest = sorted(cpu.items(), key=lambda kv: -kv[1])[:7]
        console.print(
            "CPU ms per upload (60 member lines, 128 ledger lines): "
            + ", ".join(f"{name} {sec * 1000 / uploads:.1f}" for name, sec in busiest)
            + f"; all {sum(cpu.values()) * 1000 / uploads:.1f}"
        )

        # one SHG with 5 years of weekly meetings
        with console.status("260 weekly meetings for the read bench…"):
            for first in range(1, 261, 4):
                r = http.post(
                    f"/v1/books/{reader[0]}/meetings",
                    json={"meetings": _meetings(reader[1], first, 4, weekly=True)},
                    headers=bk,
                )
                if r.status_code != 200:
                    raise RuntimeError(f"weekly upload: {r.status_code} {r.text[:300]}")
                asyncio.run(_approve_all(dsn, reader[0]))
        console.print(f"load average before the reads: {os.getloadavg()[0]:.1f}")
        for name, url in (
            ("meeting pack", f"/v1/books/{reader[0]}/pack"),
            ("passbook", f"/v1/books/{reader[0]}/members/{reader[1][0]}/passbook"),
            ("trial balance", f"/v1/books/{reader[0]}/balances"),
        ):
            stats = _timed(http, url, bk, requests)
            console.print(
                f"{name} (260 weekly meetings): p50 {fmt_ms(stats.p50_ms)} "
                f"p99 {fmt_ms(stats.p99_ms)}"
            )


async def _approve_all(dsn: str, shg: str) -> None:
    """Bench shortcut for the 4-pending limit: mark the uploaded meetings approved."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "UPDATE meeting SET status = 'APPROVED' WHERE cbo_id = $1 AND status = 'CLOSED'",
            uuid.UUID(shg),
        )
    finally:
        await conn.close()


async def _approve_writers(dsn: str, shgs: list[str]) -> None:
    """Bench shortcut between rounds: the uploaded meetings approved, so the next 4 fit."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "UPDATE meeting SET status = 'APPROVED' WHERE cbo_id = ANY($1::uuid[])"
            " AND status = 'CLOSED'",
            [uuid.UUID(s) for s in shgs],
        )
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=6000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=1, help="uploads of 4 meetings per SHG")
    args = parser.parse_args()
    with shared_platform() as sp:
        run(sp.platform, args.members, args.clients, args.requests, args.rounds)


if __name__ == "__main__":
    main()
