"""De-duplication at state scale: an index of 1 crore synthetic members, checks over gRPC.

1. Builds the index of N members (1 crore by default; realistic Indian names by region,
   households sharing a mobile, 0.2 % planted duplicates) with the bulk builder
   (``services.dedup.bulk``): identifiers hashed and name keys computed in worker processes,
   rows streamed with COPY, indexes built once. Reports the build rate.
2. Measures over gRPC against the running dedup service, one client, sequential calls:
   the identifier check of one member (goal p99 ≤ 5 ms) and the full check with name
   similarity (goal p99 ≤ 50 ms), for random members and for planted duplicates (whose
   originals must be found: recall is printed).
3. "Refresh Duplicate" of one block (~19,000 members at 1 crore, all set pending): the job's
   wall time and members/s.
4. Batch scoring rate of name pairs on one core (goal ≥ 100,000 comparisons/s).
5. The event path: member events published to JetStream and indexed by the consumer, rate.

    python -m bench.dedup [--members 10000000] [--requests 2000] [--events 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import multiprocessing
import random
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import grpc
import nats
from rich.table import Table

from bench import dedup_synth
from bench.common import LatencyStats, console, fmt_ms, shared_platform, write_results
from launcher.platform import Platform
from lokos.db import asyncpg_dsn
from lokos.dedup.v1 import dedup_pb2, dedup_pb2_grpc
from lokos.events import build_envelope, subject
from lokos.principal import Principal, RoleGrant, Scope
from lokos.profiles.v1 import profiles_pb2
from lokos.rpc import call_metadata
from services.dedup import bulk, matching, names
from services.profiles.identifiers import (
    KeyedHash,
    bank_value,
    normalise_digits,
    normalise_mobile,
    normalise_voter_id,
)

STATE = "up"
KEY = b"bench-identifier-key-of-the-state"
CHUNK = 50_000
GOAL_IDENTIFIER_P99_MS = 5.0
GOAL_FULL_P99_MS = 50.0
GOAL_SCORES_PER_S = 100_000


@dataclass(frozen=True)
class DedupResult:
    members: int
    build_seconds: float
    build_copy_seconds: float
    build_index_seconds: float
    build_rows_per_s: float
    identifier_check: LatencyStats
    full_check: LatencyStats
    full_check_planted: LatencyStats
    planted_sampled: int
    planted_found: int
    refresh_block_members: int
    refresh_seconds: float
    refresh_confirmed: int
    refresh_potential: int
    scoring_pairs: int
    scoring_per_s: float
    event_members: int
    event_seconds: float


# --- records -----------------------------------------------------------------------------------


def _hashes(h: KeyedHash, m: dedup_synth.SynthMember) -> tuple[str, str, str, str]:
    return (
        h("aadhaar", normalise_digits(m.aadhaar)) if m.aadhaar else "",
        h("bank", bank_value(m.bank_account, m.ifsc)) if m.bank_account else "",
        h("voter", normalise_voter_id(m.voter_id)) if m.voter_id else "",
        h("mobile", normalise_mobile(m.mobile)) if m.mobile else "",
    )


def _rec(m: dedup_synth.SynthMember, hashes: tuple[str, str, str, str]) -> matching.Rec:
    a, b, v, mo = (matching.hash_prefix(x) if x else None for x in hashes)
    return matching.Rec(
        member_id=m.member_id,
        state=STATE,
        code="" if m.status == "pending" else f"M{m.member_id.int & 0xFFFFFFFF:010d}",
        shg_id=m.shg_id,
        district=m.district,
        block=m.block,
        panchayat=m.panchayat,
        village=m.village,
        name=m.name,
        relative_name=m.relative_name,
        household=m.household_code,
        status=m.status,
        aadhaar=a,
        bank_account=b,
        voter_id=v,
        mobile=mo,
    )


def record_of(m: dedup_synth.SynthMember, h: KeyedHash) -> dedup_pb2.MemberRecord:
    hashes = _hashes(h, m)
    return dedup_pb2.MemberRecord(
        member_id=str(m.member_id),
        shg_id=str(m.shg_id),
        state=STATE,
        district_lgd_code=m.district,
        block_lgd_code=m.block,
        panchayat_lgd_code=m.panchayat,
        village_lgd_code=m.village,
        name=m.name,
        relative_name=m.relative_name,
        household_code=m.household_code,
        status=m.status,
        version=1,
        aadhaar_hash=hashes[0],
        bank_account_hash=hashes[1],
        voter_id_hash=hashes[2],
        mobile_hash=hashes[3],
        migrated=m.status == "migrated",
    )


def _prepare(job: tuple[int, int, int]) -> tuple[list[tuple[Any, ...]], list[Any]]:
    """Worker: members [start, stop) → index rows and key rows (hashes, keys, fingerprint)."""
    total, start, stop = job
    h = KeyedHash(KEY)
    index_rows: list[tuple[Any, ...]] = []
    key_rows: list[Any] = []
    for m in dedup_synth.generate(total, start=start, stop=stop):
        row, keys = bulk.rows_for(
            _rec(m, _hashes(h, m)), status=m.status, migrated=m.status == "migrated"
        )
        index_rows.append(row)
        key_rows += keys
    return index_rows, key_rows


# --- 1. build ----------------------------------------------------------------------------------


async def build_index(p: Platform, total: int, workers: int) -> bulk.BuildTimes:
    jobs = [(total, s, min(s + CHUNK, total)) for s in range(0, total, CHUNK)]
    ctx = multiprocessing.get_context("forkserver")
    loop = asyncio.get_running_loop()
    conn = await asyncpg.connect(asyncpg_dsn(p.database_url("dedup")))
    try:
        with ctx.Pool(workers) as pool:
            # A bounded window of chunks in flight: memory stays flat whichever side is slower.
            window: collections.deque[Any] = collections.deque()
            todo = iter(jobs)

            def fill() -> None:
                while len(window) < 2 * workers:
                    job = next(todo, None)
                    if job is None:
                        return
                    window.append(pool.apply_async(_prepare, (job,)))

            async def batches() -> AsyncIterator[tuple[list[tuple[Any, ...]], list[Any]]]:
                done = 0
                fill()
                while window:
                    batch = await loop.run_in_executor(None, window.popleft().get)
                    fill()
                    done += len(batch[0])
                    if done % 1_000_000 < CHUNK:
                        console.print(f"  indexed {done:,} members")
                    yield batch

            return await bulk.build(conn, batches())
    finally:
        await conn.close()


# --- 2. checks over gRPC -----------------------------------------------------------------------


def _principal() -> Principal:
    return Principal(
        user_id="bench",
        state=STATE,
        realm="lokos-up",
        roles=(RoleGrant("STATE_ADMIN", Scope("state")),),
    )


def sample(total: int, n: int, *, planted: bool, seed: int) -> list[dedup_synth.SynthMember]:
    """``n`` members at random positions (or the planted duplicates near them)."""
    rnd = random.Random(seed)
    out: list[dedup_synth.SynthMember] = []
    while len(out) < n:
        start = rnd.randrange(max(1, total - 2000))
        chunk = list(dedup_synth.generate(total, start=start, stop=min(total, start + 2000)))
        picks = [m for m in chunk if m.planted] if planted else chunk
        if picks:
            out.append(rnd.choice(picks))
    return out


async def time_checks(
    stub: dedup_pb2_grpc.DedupServiceAsyncStub,
    members: list[dedup_synth.SynthMember],
    *,
    identifiers_only: bool,
) -> tuple[LatencyStats, int]:
    h = KeyedHash(KEY)
    principal = _principal()
    requests = [
        dedup_pb2.CheckMemberRequest(member=record_of(m, h), identifiers_only=identifiers_only)
        for m in members
    ]
    for r in requests[:50]:  # warm the channel and the server's plans
        await stub.CheckMember(r, metadata=call_metadata(principal, "bench-dedup"))
    samples: list[int] = []
    found = 0
    for m, r in zip(members, requests, strict=True):
        t0 = time.perf_counter_ns()
        # Signed per call, as the gateway does (a signed principal lives a minute).
        result = await stub.CheckMember(r, metadata=call_metadata(principal, "bench-dedup"))
        samples.append(time.perf_counter_ns() - t0)
        if m.duplicate_of is not None and any(
            x.other_member_id == str(m.duplicate_of) for x in result.matches
        ):
            found += 1
    return LatencyStats.from_ns(samples), found


# --- 3. refresh of a block ---------------------------------------------------------------------


async def refresh_block(
    p: Platform, stub: dedup_pb2_grpc.DedupServiceAsyncStub, total: int
) -> tuple[int, float, int, int]:
    block = dedup_synth.block_of(total, 0)
    conn = await asyncpg.connect(asyncpg_dsn(p.database_url("dedup")))
    try:
        # The whole block waits for verification, as after a migration upload.
        await conn.execute(
            "UPDATE member_index SET status = 'pending' WHERE state = $1 AND block_lgd_code = $2",
            STATE,
            block.block,
        )
    finally:
        await conn.close()
    principal = _principal()
    t0 = time.perf_counter()
    job = await stub.StartRefresh(
        dedup_pb2.StartRefreshRequest(block_lgd_code=block.block),
        metadata=call_metadata(principal, "bench-dedup-refresh"),
    )
    while job.status not in ("done", "failed"):
        await asyncio.sleep(0.25)
        job = await stub.GetRefresh(
            dedup_pb2.GetRefreshRequest(id=job.id),
            metadata=call_metadata(principal, "bench-dedup-refresh"),
        )
    seconds = time.perf_counter() - t0
    if job.status == "failed":
        raise RuntimeError(f"refresh failed: {job.error}")
    return job.total, seconds, job.confirmed, job.potential


# --- 4. batch scoring --------------------------------------------------------------------------


def scoring_rate(total: int, pairs: int) -> tuple[int, float]:
    """Name pairs as a refresh scores them: members against others of their panchayat."""
    block = dedup_synth.block_of(total, 1)
    members = list(dedup_synth.generate(total, start=block.start, stop=block.stop))
    by_panchayat: dict[str, list[names.NameForm]] = {}
    for m in members:
        by_panchayat.setdefault(m.panchayat, []).append(names.name_form(m.name))
    groups = [g for g in by_panchayat.values() if len(g) > 1]
    rnd = random.Random(3)
    left: list[names.NameForm] = []
    right: list[names.NameForm] = []
    while len(left) < pairs:
        g = rnd.choice(groups)
        left.append(rnd.choice(g))
        right.append(rnd.choice(g))
    names.score_pairs(left[:1000], right[:1000])
    t0 = time.perf_counter()
    names.score_pairs(left, right)
    return pairs, pairs / (time.perf_counter() - t0)


# --- 5. the event path -------------------------------------------------------------------------


async def event_path(p: Platform, total: int, count: int) -> float:
    """Publish ``count`` profiles.member.created events of new members; seconds until all
    are indexed."""
    h = KeyedHash(KEY)
    user, password = p.nats_credentials()
    nc = await nats.connect(p.nats_url, user=user, password=password)
    conn = await asyncpg.connect(asyncpg_dsn(p.database_url("dedup")))
    try:
        before = await conn.fetchval("SELECT count(*) FROM member_index")
        js = nc.jetstream()
        t0 = time.perf_counter()
        pending = []
        for m in dedup_synth.generate(total, start=0, stop=count):
            r = record_of(m, h)
            member_id = str(uuid.uuid4())
            view = profiles_pb2.MemberView(
                id=member_id,
                shg_id=r.shg_id,
                state=STATE,
                district_lgd_code=r.district_lgd_code,
                block_lgd_code=r.block_lgd_code,
                panchayat_lgd_code=r.panchayat_lgd_code,
                village_lgd_code=r.village_lgd_code,
                name=r.name,
                relative_name=r.relative_name,
                household_code=r.household_code,
                status="new",
                version=1,
            )
            payload = profiles_pb2.MemberEvent(
                member=view,
                aadhaar_hash=r.aadhaar_hash,
                bank_account_hash=r.bank_account_hash,
                voter_id_hash=r.voter_id_hash,
                mobile_hash=r.mobile_hash,
            )
            env = build_envelope("profiles.member.created", STATE, payload, producer="profiles")
            pending.append(
                js.publish(
                    subject(STATE, "profiles.member.created"),
                    env.SerializeToString(),
                    headers={"Nats-Msg-Id": env.event_id},
                )
            )
            if len(pending) >= 1000:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
        while await conn.fetchval("SELECT count(*) FROM member_index") < before + count:  # noqa: ASYNC110 - polling another process's database
            await asyncio.sleep(0.5)
        return time.perf_counter() - t0
    finally:
        await conn.close()
        await nc.close()


# --- run ---------------------------------------------------------------------------------------


async def run(p: Platform, total: int, requests: int, events: int, workers: int) -> DedupResult:
    console.print(f"building the index of {total:,} members with {workers} workers…")
    built = await build_index(p, total, workers)
    console.print(
        f"  built in {built.seconds:.0f}s (COPY {built.copy_seconds:.0f}s, indexes "
        f"{built.index_seconds:.0f}s): {built.rows / built.seconds:,.0f} members/s"
    )
    channel = grpc.aio.insecure_channel(p.grpc_target("dedup"))
    stub: dedup_pb2_grpc.DedupServiceAsyncStub = dedup_pb2_grpc.DedupServiceStub(channel)
    try:
        console.print("sampling members…")
        randoms = sample(total, requests, planted=False, seed=1)
        planted = sample(total, max(100, requests // 4), planted=True, seed=2)
        console.print("identifier checks…")
        ident, _ = await time_checks(stub, randoms, identifiers_only=True)
        console.print("full checks…")
        full, _ = await time_checks(stub, randoms, identifiers_only=False)
        full_planted, found = await time_checks(stub, planted, identifiers_only=False)
        console.print("refresh of a block…")
        block_members, refresh_s, confirmed, potential = await refresh_block(p, stub, total)
    finally:
        await channel.close(None)
    console.print("batch scoring…")
    scored, rate = scoring_rate(total, 500_000)
    console.print(f"event path ({events:,} member events)…")
    event_s = await event_path(p, total, events)
    return DedupResult(
        members=total,
        build_seconds=built.seconds,
        build_copy_seconds=built.copy_seconds,
        build_index_seconds=built.index_seconds,
        build_rows_per_s=built.rows / built.seconds,
        identifier_check=ident,
        full_check=full,
        full_check_planted=full_planted,
        planted_sampled=len(planted),
        planted_found=found,
        refresh_block_members=block_members,
        refresh_seconds=refresh_s,
        refresh_confirmed=confirmed,
        refresh_potential=potential,
        scoring_pairs=scored,
        scoring_per_s=rate,
        event_members=events,
        event_seconds=event_s,
    )


def report(r: DedupResult) -> None:
    t = Table(title=f"de-duplication over an index of {r.members:,} members")
    for col in ("measurement", "value", "goal"):
        t.add_column(col)
    t.add_row(
        "index build (bulk)",
        f"{r.build_rows_per_s:,.0f} members/s ({r.build_seconds:.0f}s)",
        "",
    )
    for label, s, goal in (
        ("identifier check p50/p99", r.identifier_check, GOAL_IDENTIFIER_P99_MS),
        ("full check p50/p99", r.full_check, GOAL_FULL_P99_MS),
        ("full check of planted duplicates p50/p99", r.full_check_planted, GOAL_FULL_P99_MS),
    ):
        t.add_row(label, f"{fmt_ms(s.p50_ms)} / {fmt_ms(s.p99_ms)} ms", f"p99 ≤ {goal:g} ms")
    t.add_row(
        "planted duplicates found",
        f"{r.planted_found}/{r.planted_sampled} ({r.planted_found / r.planted_sampled:.1%})",
        "",
    )
    t.add_row(
        "refresh of a block",
        f"{r.refresh_block_members:,} members in {r.refresh_seconds:.1f}s "
        f"({r.refresh_block_members / r.refresh_seconds:,.0f}/s); "
        f"{r.refresh_confirmed} confirmed, {r.refresh_potential} potential",
        "",
    )
    t.add_row(
        "batch scoring (1 core)",
        f"{r.scoring_per_s:,.0f} comparisons/s",
        f"≥ {GOAL_SCORES_PER_S:,}/s",
    )
    t.add_row(
        "event path (consumer)",
        f"{r.event_members / r.event_seconds:,.0f} members/s",
        "",
    )
    console.print(t)


def default_workers() -> int:
    return max(1, multiprocessing.cpu_count())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--members", type=int, default=10_000_000)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--events", type=int, default=50_000)
    ap.add_argument("--workers", type=int, default=default_workers())
    args = ap.parse_args()
    with shared_platform() as sp:
        result = asyncio.run(
            run(sp.platform, args.members, args.requests, args.events, args.workers)
        )
    report(result)
    path = write_results("dedup", {"dedup": result})
    console.print(f"results: {path}")


if __name__ == "__main__":
    main()
