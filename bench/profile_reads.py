"""Profile reads and My Task through the gateway with a state-sized member table loaded.

Loads N members (10 lakh by default) with the migration import, puts a few hundred new members
up for approval in one block, then measures at light load (one client, sequential requests):
``GET /v1/members/{id}`` over random members, ``GET /v1/cbos/{id}`` over random SHGs, and the
checker's ``GET /v1/tasks`` (first page, and filtered by village and by name). Goal: p99 ≤ 10 ms.

    python -m bench.profile_reads [--members 1000000] [--pending 300] [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from rich.table import Table

from bench.common import (
    LatencyStats,
    console,
    fmt_ms,
    get_token,
    shared_platform,
    wait_quiet,
    write_results,
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
from services.profiles.identifiers import verhoeff_check_digit

GOAL_P99_MS = 10.0
PW = "Bench@2024"


@dataclass(frozen=True)
class ProfileReadsResult:
    members_loaded: int
    pending: int
    member_read: LatencyStats
    cbo_read: LatencyStats
    tasks_first_page: LatencyStats
    tasks_by_village: LatencyStats
    tasks_by_name: LatencyStats

    @property
    def goals_met(self) -> bool:
        return all(
            s.p99_ms <= GOAL_P99_MS
            for s in (
                self.member_read,
                self.cbo_read,
                self.tasks_first_page,
                self.tasks_by_village,
                self.tasks_by_name,
            )
        )


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _user(
    http: httpx.Client, token: str, user_id: str, role: str, level: str, codes: list[str]
) -> str:
    r = http.post(
        "/v1/users",
        json={
            "user_id": user_id,
            "name": f"Bench {role.title()}",
            "password": PW,
            "temporary_password": False,
            "roles": [{"role": role, "scope": {"level": level, "codes": codes}}],
        },
        headers=_h(token),
    )
    if r.status_code != 201:
        raise RuntimeError(f"creating {user_id}: {r.status_code} {r.text[:300]}")
    login = http.post("/v1/auth/state/login", json={"user_id": user_id, "password": PW})
    login.raise_for_status()
    return str(login.json()["access_token"])


def _timed(http: httpx.Client, urls: list[tuple[str, dict[str, str]]], token: str) -> LatencyStats:
    for path, params in urls[:100]:  # warm up
        http.get(path, params=params, headers=_h(token))
    samples: list[int] = []
    for path, params in urls:
        t0 = time.perf_counter_ns()
        r = http.get(path, params=params, headers=_h(token))
        samples.append(time.perf_counter_ns() - t0)
        if r.status_code != 200:
            raise RuntimeError(f"GET {path}: {r.status_code} {r.text[:300]}")
    return LatencyStats.from_ns(samples)


async def _sample(dsn: str, n: int) -> tuple[list[str], list[str]]:
    conn = await asyncpg.connect(dsn)
    try:
        members = [
            str(r[0])
            for r in await conn.fetch("SELECT id FROM member TABLESAMPLE SYSTEM (1) LIMIT $1", n)
        ]
        shgs = [
            str(r[0])
            for r in await conn.fetch("SELECT id FROM cbo TABLESAMPLE SYSTEM (5) LIMIT $1", n)
        ]
        return members, shgs
    finally:
        await conn.close()


def measure(
    p: Platform, *, members: int, pending: int, requests: int, seed: int = 11
) -> ProfileReadsResult:
    geo = synthetic_geography(seed)
    token = get_token(p)
    load_geography(p, token, geo)
    with tempfile.TemporaryDirectory(prefix="lokos-reads-") as tmp:
        path = Path(tmp) / "members.csv"
        with path.open("w") as f:
            write_csv(f, members, geo, seed, bad_ratio=0.0)
        principal = asyncio.run(_principal(p))
        with console.status(f"loading {members:,} members (migration import)…"):
            t0 = time.perf_counter()
            report = asyncio.run(_import(p, path, principal))
        console.print(f"loaded {report.imported:,} members in {time.perf_counter() - t0:.1f}s")
    wait_quiet(p)  # light load: not while the import's events are still being published
    token = get_token(p)  # the first may have expired meanwhile

    block = geo.blocks[0]
    with httpx.Client(base_url=p.gateway_url, timeout=30) as http:
        suffix = uuid.uuid4().hex[:6].upper()
        da = _user(http, token, f"UP_BDA{suffix}", "DISTRICT_ADMIN", "district", [block.district])
        ba = _user(http, da, f"UP_BBA{suffix}", "BLOCK_ADMIN", "block", [block.lgd_code])
        bpm = _user(http, ba, f"UP_BPM{suffix}", "BLOCK_PROGRAM_MANAGER", "block", [block.lgd_code])
        shg = http.post(
            "/v1/cbos",
            json={
                "client_id": str(uuid.uuid4()),
                "cbo_type": "SHG",
                "block_lgd_code": block.lgd_code,
                "name": "Bench Pending SHG",
                "village_lgd_code": block.villages[0][0],
                "formed_on": "2024-01-01",
            },
            headers=_h(ba),
        ).json()

        def put_up(i: int) -> None:
            base = f"{3 + i % 6}{i:010d}"[-11:]
            m = http.post(
                "/v1/members",
                json={
                    "client_id": str(uuid.uuid4()),
                    "shg_id": shg["id"],
                    "name": "Kamla Devi",
                    "gender": "F",
                    "date_of_birth": "1985-06-15",
                    "social_category": "OBC",
                    "mobile": f"97{i:08d}",
                    "aadhaar": base + verhoeff_check_digit(base),
                },
                headers=_h(ba),
            ).json()
            s = http.post(
                "/v1/submissions",
                json={"entity_type": "member", "id": m["id"], "version": m["version"]},
                headers=_h(ba),
            )
            s.raise_for_status()

        with (
            console.status(f"putting {pending} members up for approval…"),
            ThreadPoolExecutor(8) as pool,
        ):
            list(pool.map(put_up, range(pending)))

        member_ids, shg_ids = asyncio.run(
            _sample(asyncpg_dsn(p.database_url("profiles")), requests)
        )
        rnd = random.Random(seed)
        st = get_token(p)
        member_read = _timed(
            http, [(f"/v1/members/{rnd.choice(member_ids)}", {}) for _ in range(requests)], st
        )
        cbo_read = _timed(
            http, [(f"/v1/cbos/{rnd.choice(shg_ids)}", {}) for _ in range(requests)], st
        )
        n = max(requests // 4, 200)
        first_page = _timed(http, [("/v1/tasks", {})] * n, bpm)
        by_village = _timed(
            http, [("/v1/tasks", {"village_lgd_code": block.villages[0][0]})] * n, bpm
        )
        by_name = _timed(http, [("/v1/tasks", {"name": "kamla"})] * n, bpm)
    return ProfileReadsResult(
        report.imported, pending, member_read, cbo_read, first_page, by_village, by_name
    )


def render(r: ProfileReadsResult) -> Table:
    t = Table(title=f"Reads via gateway: {r.members_loaded:,} members, {r.pending} pending (ms)")
    for col in ("path", "n", "p50", "p90", "p99", "max", f"p99 ≤ {GOAL_P99_MS:g}?"):
        t.add_column(col)
    for name, s in (
        ("GET /v1/members/{id}", r.member_read),
        ("GET /v1/cbos/{id}", r.cbo_read),
        ("GET /v1/tasks (first page)", r.tasks_first_page),
        ("GET /v1/tasks?village_lgd_code=…", r.tasks_by_village),
        ("GET /v1/tasks?name=kamla", r.tasks_by_name),
    ):
        ok = "yes" if s.p99_ms <= GOAL_P99_MS else "[red]NO[/]"
        t.add_row(
            name,
            str(s.n),
            fmt_ms(s.p50_ms),
            fmt_ms(s.p90_ms),
            fmt_ms(s.p99_ms),
            fmt_ms(s.max_ms),
            ok,
        )
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--members", type=int, default=1_000_000)
    ap.add_argument("--pending", type=int, default=300)
    ap.add_argument("--requests", type=int, default=2000)
    args = ap.parse_args()
    with shared_platform() as shared:
        result = measure(
            shared.platform, members=args.members, pending=args.pending, requests=args.requests
        )
    console.print(render(result))
    write_results("profile_reads", {"profile_reads": result})


if __name__ == "__main__":
    main()
