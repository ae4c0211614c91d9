"""Reports at state scale: a synthetic state loaded into the read models, then measured.

1. Loads the read models in bulk with COPY (as the dedup bench builds its index): D districts,
   blocks of ~1,000 SHGs, SHGs with VOs and CLFs, members of every social category, bank
   accounts of different ages, and M months of monthly approved meetings per SHG; then builds
   ``shg_stats`` and ``block_rollup`` set-wise (the rollups the dashboard reads).
2. Dashboard (R1) at state, district and block level over gRPC, sequential calls: p99 (goal
   ≤ 50 ms); drill-down of a district; the list of a block's SHGs, 100 a page (goal ≤ 100 ms).
3. Ingestion of real events: N profiles.member.created events published to JetStream and
   applied by the running consumer (goal ≥ 20,000 events/s), in the order a migration import
   emits them (SHG by SHG, rising UUIDv7 ids) or ``--order scattered`` (each in a random SHG,
   with a random id: the worst case), with the CPU seconds the
   reports process, PostgreSQL (and of it the reports database's backends) and NATS spent on
   them (events per CPU-second: what each part could apply on a core of its own, whatever the
   machine's load) and the load average; also what dedup and transactions spent, whose
   durables consume the same member events on the same cores meanwhile (the CPU is read once
   all three have applied every event, and the rate until then is printed too), and the
   bench's own publishing loop. The envelopes are serialised before the clock starts, as the
   relay publishes the bytes its outbox holds. Then (``ingestion_alone``) as many new events
   with dedup's and transactions' durables paused, as when reports has a host of its own (the
   Kubernetes deployment), and their catch-up once resumed.
4. Downloads: the streaming writer (gateway/exports.py) on R rows of the SHG list: CSV rows/s
   (goal ≥ 100,000/s), XLSX rows/s (goal ≥ 20,000/s), peak memory (tracemalloc); then the
   state's whole SHG list through the gateway's download route (reports gRPC stream →
   gateway writer → HTTP): rows/s and the peak resident memory of gateway and reports; then
   the lists of ``--http-blocks`` blocks, a file each: the time one file takes (a block's
   list is a thousand rows, so its rate says little).
5. Full rebuild (``lokos reports rebuild``) from the stream: time and events/s.

    python -m bench.reports                      # 1 crore members, 8 lakh SHGs
    python -m bench.reports --scale 0.02         # a quick run (2 lakh members)
    python -m bench.reports --scale 0.01 --events 200000 --only ingestion

Events are traced at --trace-ratio (0.01 by default, as a state of this size would run): with
every event traced the consumer spends most of its time exporting spans.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import grpc
import httpx
import nats
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from rich.table import Table

from bench.common import (
    LatencyStats,
    console,
    cpu_seconds,
    fmt_ms,
    get_token,
    proc_stats,
    shared_platform,
    write_results,
)
from gateway import exports
from launcher.platform import Platform
from lokos.db import Database, asyncpg_dsn
from lokos.events import STREAM, build_envelope, subject
from lokos.principal import Principal, RoleGrant, Scope
from lokos.profiles.v1 import profiles_pb2
from lokos.reports.v1 import reports_pb2, reports_pb2_grpc
from lokos.rpc import call_metadata
from services.profiles.mis_import.importer import uuid7, uuid7_prefix
from services.reports.rebuild import rebuild

STATE = "up"
SHGS_PER_BLOCK = 1_000
BLOCKS_PER_DISTRICT = 11
SHGS_PER_VO = 20
VOS_PER_CLF = 20
CATEGORIES = ("SC", "ST", "OBC", "GEN", "OTH")
CATEGORY_WEIGHTS = (20, 10, 40, 25, 5)
GOAL_DASHBOARD_P99_MS = 50.0
GOAL_LIST_P99_MS = 100.0
GOAL_EVENTS_PER_S = 20_000
GOAL_CSV_ROWS_PER_S = 100_000
GOAL_XLSX_ROWS_PER_S = 20_000


@dataclass
class Loaded:
    shgs: int
    members: int
    meetings: int
    seconds: float
    rollup_seconds: float
    districts: list[str]
    blocks: list[str]


@dataclass
class Result:
    scale: float
    # The member events' order (ORDERS).
    order: str = "import"
    loaded: dict[str, Any] = field(default_factory=dict)
    latency: dict[str, Any] = field(default_factory=dict)
    ingestion: dict[str, Any] = field(default_factory=dict)
    ingestion_alone: dict[str, Any] = field(default_factory=dict)
    exports: dict[str, Any] = field(default_factory=dict)
    # Through the gateway: the state's list in one file, then one file per block.
    exports_http: dict[str, Any] = field(default_factory=dict)
    exports_blocks: dict[str, Any] = field(default_factory=dict)
    rebuild: dict[str, Any] = field(default_factory=dict)


def _principal() -> Principal:
    return Principal(
        user_id="bench",
        state=STATE,
        realm="lokos-up",
        roles=(RoleGrant("STATE_ADMIN", Scope("state")),),
    )


# --- 1. bulk load -----------------------------------------------------------------------------


def _district(b: int) -> str:
    return f"{9000 + b // BLOCKS_PER_DISTRICT}"


def _block(b: int) -> str:
    return f"{900000 + b}"


def _shg_id(b: int, i: int) -> str:
    """The ``i``-th SHG of block ``b``: a UUID, as profiles gives (dedup and transactions,
    which consume the bench's member events too, insist on one)."""
    return str(uuid.UUID(int=(0x5B << 120) | (b << 32) | i))


def _cbo_rows(shgs: int, rng: random.Random, today: date) -> tuple[list[tuple[Any, ...]], ...]:
    blocks = max(1, shgs // SHGS_PER_BLOCK)
    cbo: list[tuple[Any, ...]] = []
    shg_rows: list[tuple[Any, ...]] = []
    for b in range(blocks):
        district, block = _district(b), _block(b)
        in_block = SHGS_PER_BLOCK if b < blocks - 1 else shgs - SHGS_PER_BLOCK * (blocks - 1)
        vos = max(1, in_block // SHGS_PER_VO)
        clfs = max(1, vos // VOS_PER_CLF)
        clf_ids = [f"clf-{b}-{i}" for i in range(clfs)]
        vo_ids = [f"vo-{b}-{i}" for i in range(vos)]
        for i, c in enumerate(clf_ids):
            cbo.append((c, "CLF", STATE, district, block, "", f"CLF {b}/{i}", "approved", False,
                        True, today - timedelta(days=2000), ""))  # fmt: skip
        for i, v in enumerate(vo_ids):
            cbo.append((v, "VO", STATE, district, block, "", f"VO {b}/{i}", "approved", False,
                        True, today - timedelta(days=1500), clf_ids[i % clfs]))  # fmt: skip
        for i in range(in_block):
            formed = today - timedelta(days=rng.randrange(15, 3650))
            banked = rng.random() < 0.8
            sid = _shg_id(b, i)
            vo = vo_ids[i % vos]
            cbo.append((sid, "SHG", STATE, district, block, f"S{b}{i}", f"SHG {b}/{i}",
                        "approved", rng.random() < 0.7, banked, formed, vo))  # fmt: skip
            shg_rows.append((sid, district, block, formed))
    return cbo, shg_rows


async def load(p: Platform, scale: float, months: int) -> Loaded:
    shgs = max(SHGS_PER_BLOCK, int(800_000 * scale))
    members_target = int(10_000_000 * scale)
    rng = random.Random(7)
    today = date.today()
    t0 = time.perf_counter()
    cbo, shg_rows = _cbo_rows(shgs, rng, today)
    conn = await asyncpg.connect(asyncpg_dsn(p.database_url("reports")))
    try:
        await conn.copy_records_to_table(
            "cbo",
            records=cbo,
            columns=["cbo_id", "cbo_type", "state", "district_lgd_code", "block_lgd_code", "code",
                     "name", "status", "migrated", "has_bank_account", "formed_on", "parent_id"],
        )  # fmt: skip
        per_shg = members_target / len(shg_rows)
        members = 0
        chunk: list[tuple[Any, ...]] = []
        for sid, *_ in shg_rows:
            n = max(5, int(rng.gauss(per_shg, 2)))
            for k in range(n):
                cat = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
                chunk.append((f"{sid}-m{k}", sid, cat, "approved"))
            members += n
            if len(chunk) >= 200_000:
                await conn.copy_records_to_table(
                    "member",
                    records=chunk,
                    columns=["member_id", "shg_id", "social_category", "status"],
                )
                chunk = []
        if chunk:
            await conn.copy_records_to_table(
                "member",
                records=chunk,
                columns=["member_id", "shg_id", "social_category", "status"],
            )
        meetings = 0
        mchunk: list[tuple[Any, ...]] = []
        now = time.time()
        stamp = datetime.fromtimestamp(now, UTC)
        for sid, district, block, _formed in shg_rows:
            if rng.random() < 0.3:
                continue  # SHGs without transactions
            outstanding = rng.randrange(0, 50_000_00)
            for mnum in range(1, months + 1):
                held = today - timedelta(days=30 * (months - mnum) + 5)
                mchunk.append((sid, mnum, "SHG", district, block, held, "APPROVED",
                               rng.randrange(1000_00, 3000_00), rng.randrange(0, 500_00),
                               outstanding, "BK", "AP", 0, stamp, stamp))  # fmt: skip
            meetings += months
            if len(mchunk) >= 200_000:
                await _copy_meetings(conn, mchunk)
                mchunk = []
        if mchunk:
            await _copy_meetings(conn, mchunk)
        loaded = time.perf_counter() - t0
        t1 = time.perf_counter()
        await conn.execute(_STATS_BULK)
        await conn.execute(_ROLLUP_BULK)
        await conn.execute(_DISTRICT_ROLLUP_BULK)
        await conn.execute("ANALYZE")
        rollup = time.perf_counter() - t1
        districts = sorted({r[1] for r in shg_rows})
        blocks = sorted({r[2] for r in shg_rows})
    finally:
        await conn.close()
    return Loaded(len(shg_rows), members, meetings, loaded, rollup, districts, blocks)


async def _copy_meetings(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> None:
    await conn.copy_records_to_table(
        "meeting",
        records=rows,
        columns=["cbo_id", "number", "cbo_type", "district_lgd_code", "block_lgd_code", "held_on",
                 "status", "compulsory", "voluntary", "loans_outstanding", "maker", "checker",
                 "rejections", "closed_at", "decided_at"],
    )  # fmt: skip


# The consumer's per-SHG recomputation (services.reports.repository._STATS), set-wise.
_STATS_BULK = """
INSERT INTO shg_stats
SELECT s.cbo_id, s.state, s.district_lgd_code, s.block_lgd_code, s.parent_id,
       coalesce(v.parent_id, ''), s.formed_on, s.has_bank_account,
       coalesce(m.members, 0), coalesce(m.sc, 0), coalesce(m.st, 0), coalesce(m.obc, 0),
       coalesce(m.general, 0),
       coalesce(m.members - m.sc - m.st - m.obc - m.general, 0),
       coalesce(t.n, 0) > 0, coalesce(t.cs, 0), coalesce(t.vs, 0), coalesce(t.lo, 0)
  FROM cbo s
  LEFT JOIN cbo v ON v.cbo_id = s.parent_id
  LEFT JOIN (SELECT shg_id, count(*) AS members,
                    count(*) FILTER (WHERE social_category = 'SC') AS sc,
                    count(*) FILTER (WHERE social_category = 'ST') AS st,
                    count(*) FILTER (WHERE social_category = 'OBC') AS obc,
                    count(*) FILTER (WHERE social_category IN ('GEN', 'GENERAL')) AS general
               FROM member WHERE status <> 'inactive' GROUP BY shg_id) m ON m.shg_id = s.cbo_id
  LEFT JOIN (SELECT cbo_id, count(*) AS n, sum(compulsory) AS cs, sum(voluntary) AS vs,
                    (array_agg(loans_outstanding ORDER BY number DESC))[1] AS lo
               FROM meeting WHERE status = 'APPROVED' GROUP BY cbo_id) t ON t.cbo_id = s.cbo_id
 WHERE s.cbo_type = 'SHG'
ON CONFLICT (shg_id) DO NOTHING
"""

_ROLLUP_BULK = """
INSERT INTO block_rollup
SELECT state, district_lgd_code, block_lgd_code, date_trunc('month', formed_on)::date,
       count(*), sum(members), sum(sc), sum(st), sum(obc), sum(general), sum(other),
       count(*) FILTER (WHERE has_bank_account), count(*) FILTER (WHERE has_transactions),
       sum(compulsory), sum(voluntary), sum(loan_outstanding)
  FROM shg_stats GROUP BY 1, 2, 3, 4
ON CONFLICT DO NOTHING
"""

_DISTRICT_ROLLUP_BULK = """
INSERT INTO district_rollup
SELECT state, district_lgd_code, formed_month, sum(shgs), sum(members), sum(sc), sum(st),
       sum(obc), sum(general), sum(other), sum(with_bank), sum(with_transactions),
       sum(compulsory), sum(voluntary), sum(loan_outstanding)
  FROM block_rollup GROUP BY 1, 2, 3
ON CONFLICT DO NOTHING
"""


# --- 2. latency ---------------------------------------------------------------------------------


async def _timed(call: Any, requests: int) -> LatencyStats:
    samples = []
    for _ in range(requests):
        t = time.perf_counter_ns()
        await call()
        samples.append(time.perf_counter_ns() - t)
    return LatencyStats.from_ns(samples)


async def latency(p: Platform, loaded: Loaded, requests: int) -> dict[str, LatencyStats]:
    rng = random.Random(3)
    md = call_metadata(_principal(), uuid.uuid4().hex)
    async with grpc.aio.insecure_channel(p.grpc_target("reports")) as ch:
        stub: Any = reports_pb2_grpc.ReportsServiceStub(ch)

        def dash(**kw: str) -> Any:
            return lambda: stub.GetDashboard(reports_pb2.GetDashboardRequest(**kw), metadata=md)

        async def random_block() -> Any:
            return await stub.GetDashboard(
                reports_pb2.GetDashboardRequest(block_lgd_code=rng.choice(loaded.blocks)),
                metadata=md,
            )

        async def shg_list() -> Any:
            return await stub.ListShgs(
                reports_pb2.ListShgsRequest(
                    filter=reports_pb2.GetDashboardRequest(
                        block_lgd_code=rng.choice(loaded.blocks)
                    ),
                    page_size=100,
                ),
                metadata=md,
            )

        district = loaded.districts[len(loaded.districts) // 2]
        await dash()()  # warm
        return {
            "dashboard_state": await _timed(dash(), requests),
            "dashboard_district": await _timed(dash(district_lgd_code=district), requests),
            "dashboard_block": await _timed(random_block, requests),
            "drilldown_state": await _timed(
                lambda: stub.DrillDown(reports_pb2.GetDashboardRequest(), metadata=md),
                max(20, requests // 10),
            ),
            "shg_list_block": await _timed(shg_list, requests),
        }


# --- 3. ingestion -------------------------------------------------------------------------------


# The parts the reports' ingestion costs, then the other consumers of the same member events
# (dedup-index, transactions-profiles), which share the machine's cores while it runs.
CPU_PROGRAMS = ("reports", "postgres", "nats", "dedup", "transactions")
# PostgreSQL's share spent in each consumer's database (its backends), apart from the others'.
REPORTS_DB = "postgres:reports"
BACKENDS = (REPORTS_DB, "postgres:dedup", "postgres:transactions")


async def _backend_cpu(p: Platform) -> dict[str, float]:
    """CPU seconds so far of the backends connected to each consumer's database (the
    consumers' pools are long-lived; a backend that ended in between is not counted)."""
    conn = await asyncpg.connect(asyncpg_dsn(p.database_url("reports")))
    try:
        rows = await conn.fetch(
            "SELECT pid, datname FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
        )
        # The cluster's write-ahead log so far (all databases): bytes written per event.
        wal = await conn.fetchval("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
    finally:
        await conn.close()
    stats = proc_stats()
    out = dict.fromkeys(BACKENDS, 0.0)
    out["wal_bytes"] = float(wal)
    for r in rows:
        name = f"postgres:{(r['datname'] or '').removeprefix('lokos_')}"
        if name in out:
            out[name] += stats.get(r["pid"], (0, 0.0))[1]
    return out


# The durables that consume the published member events: the reports' (the headline), then
# the others sharing the machine, waited for too so their CPU per event is whole.
DURABLES = ("reports-feed", "dedup-index", "transactions-profiles")
OTHERS = DURABLES[1:]


# Names of the bench's members and their relatives: name keys (dedup's index) vary as in a
# village, where many share a name.
NAMES = ("Sunita", "Rekha", "Geeta", "Anita", "Savitri", "Kamla", "Pushpa", "Meena", "Radha",
         "Laxmi", "Sarita", "Usha", "Shanti", "Asha", "Kiran", "Nirmala")  # fmt: skip
SURNAMES = ("Devi", "Kumari", "Yadav", "Singh", "Patel", "Verma", "Mahto", "Oraon", "Munda")
RELATIVES = ("Ramesh", "Suresh", "Mahesh", "Raju", "Mohan", "Shyam", "Gopal", "Dinesh")


def _hash(rng: random.Random) -> str:
    """A keyed hash as profiles sends it (64 hex digits)."""
    return f"{rng.getrandbits(256):064x}"


# How the bench's member events arrive (--order).
ORDERS = ("import", "scattered")
# A new member's block, her SHG's number in it, and her id.
Seat = tuple[int, int, str]


def _members_of(loaded: Loaded, events: int, rng: random.Random, order: str) -> Iterator[Seat]:
    """Where each new member goes, and her id.

    ``import``: as a migration import emits them (services/profiles/mis_import/importer.py):
    the CSV's rows SHG by SHG (8 to 15 members each, the SHGs of a block one after the other),
    each member's id a UUIDv7 of the import rising with her row. ``scattered``: each member in
    an SHG drawn anywhere in the state, with a random id: registrations one at a time all
    over the state, the worst case for every index and every count they move."""
    if order == "scattered":
        for _ in range(events):
            b = rng.randrange(len(loaded.blocks))
            i = rng.randrange(0, SHGS_PER_BLOCK, 7)
            yield b, i, str(uuid.UUID(int=rng.getrandbits(128)))
        return
    prefix = uuid7_prefix()
    shgs = [(b, i) for b in range(len(loaded.blocks)) for i in range(0, SHGS_PER_BLOCK, 7)]
    start = rng.randrange(len(shgs))
    row = 0
    while True:
        b, i = shgs[(start + row) % len(shgs)]
        for _ in range(rng.randint(8, 15)):
            if row >= events:
                return
            row += 1
            yield b, i, str(uuid7(prefix, row))


def _member_events(
    loaded: Loaded, events: int, seed: int, order: str = "import"
) -> list[tuple[bytes, str]]:
    """The events as the relay holds them: serialised envelopes and their ids (a relay
    publishes the bytes the outbox stored; building them is the producer's cost, not
    ingestion's). Each is a new member of a loaded SHG with the record a migration import's
    ``profiles.member.created`` carries (services/profiles/mis_import/importer.py): names,
    geography, masked identifiers and their keyed hashes, so dedup indexes her and
    transactions records her as profiles' real events would have them do; ``order`` says
    in what order and with what ids (:func:`_members_of`). Each ``seed`` gives other members
    (and event ids), so a second stage's events are new ones."""
    rng = random.Random(seed)
    born = datetime(1985, 6, 1, tzinfo=UTC)
    out: list[tuple[bytes, str]] = []
    for k, (b, i, member_id) in enumerate(_members_of(loaded, events, rng, order)):
        block = _block(b)
        panchayat = f"{block}{i % 10}"
        event = profiles_pb2.MemberEvent(
            aadhaar_hash=_hash(rng),
            mobile_hash=_hash(rng),
            bank_account_hash=_hash(rng) if rng.random() < 0.8 else "",
        )
        m = event.member
        m.id = member_id
        m.client_id = str(uuid.UUID(int=rng.getrandbits(128)))
        m.shg_id = _shg_id(b, i)
        m.name = f"{rng.choice(NAMES)} {rng.choice(SURNAMES)}"
        m.gender = "F"
        m.date_of_birth.FromDatetime(born - timedelta(days=rng.randrange(0, 9000)))
        m.social_category = CATEGORIES[k % 5]
        m.relative_name = f"{rng.choice(RELATIVES)} {rng.choice(SURNAMES)}"
        m.relation = "HUSBAND"
        m.mobile = f"XXXXXX{rng.randrange(10_000):04d}"
        m.aadhaar = f"XXXX XXXX {rng.randrange(10_000):04d}"
        m.status = "new"
        m.version = 1
        m.state = STATE
        m.district_lgd_code = _district(b)
        m.block_lgd_code = block
        m.panchayat_lgd_code = panchayat
        m.village_lgd_code = f"{panchayat}{i % 7}"
        env = build_envelope("profiles.member.created", STATE, event, producer="profiles")
        out.append((env.SerializeToString(), env.event_id))
    return out


async def _drained(js: JetStreamContext, durable: str) -> bool:
    try:
        info = await js.consumer_info(STREAM, durable)
    except NotFoundError:
        return True
    return not info.num_pending and not info.num_ack_pending


async def _pause(nc: NatsClient, durable: str, paused: bool) -> None:
    """Pause a durable (JetStream delivers it nothing meanwhile, its messages wait in the
    stream) or resume it: ``$JS.API.CONSUMER.PAUSE``, nats-server ≥ 2.11."""
    until = datetime.now(UTC) + timedelta(hours=1)
    body = {"pause_until": until.isoformat().replace("+00:00", "Z")} if paused else {}
    reply = await nc.request(
        f"$JS.API.CONSUMER.PAUSE.{STREAM}.{durable}", json.dumps(body).encode(), timeout=5
    )
    answer = json.loads(reply.data)
    if "error" in answer or bool(answer.get("paused")) != paused:
        raise RuntimeError(f"pausing {durable} ({paused}): {answer}")


async def _cpu(p: Platform) -> dict[str, float]:
    used = cpu_seconds(p, CPU_PROGRAMS)
    used.update(await _backend_cpu(p))
    return used


async def ingestion(
    p: Platform, loaded: Loaded, events: int, *, order: str, alone: bool = False
) -> dict[str, float]:
    """``events`` member events published at once and the time until reports applied them.

    ``alone``: dedup's and transactions' durables are paused meanwhile, as when reports and
    its database run on a host of their own (the Kubernetes deployment's pods); they are
    resumed once reports has applied every event and their catch-up is timed apart."""
    user, password = p.nats_credentials()
    built = _member_events(loaded, events, seed=6 if alone else 5, order=order)
    nc = await nats.connect(p.nats_url, user=user, password=password)
    js = nc.jetstream()
    to = subject(STATE, "profiles.member.created")
    drained: dict[str, float] = {}
    try:
        if alone:
            for durable in OTHERS:
                await _pause(nc, durable, True)
        cpu_before = await _cpu(p)
        load_before = os.getloadavg()[0]
        own0 = time.process_time()
        t0 = time.perf_counter()
        for k, (data, event_id) in enumerate(built):
            # Core publishes into the stream (as the relay's burst would arrive), flushed
            # every few thousand: the consumer, not the publisher, sets the pace.
            await nc.publish(to, data, headers={"Nats-Msg-Id": event_id})
            if k % 5000 == 4999:
                await nc.flush()
        await nc.flush()
        published = time.perf_counter() - t0
        own = time.process_time() - own0
        waited = DURABLES[:1] if alone else DURABLES
        while len(drained) < len(waited):
            for durable in waited:
                if durable not in drained and await _drained(js, durable):
                    drained[durable] = time.perf_counter() - t0
            await asyncio.sleep(0.2)
        load_after = os.getloadavg()[0]
        cpu_after = await _cpu(p)
        if alone:  # the others catch up, timed from their resumption
            t1 = time.perf_counter()
            for durable in OTHERS:
                await _pause(nc, durable, False)
            while len(drained) < len(DURABLES):
                for durable in OTHERS:
                    if durable not in drained and await _drained(js, durable):
                        drained[durable] = time.perf_counter() - t1
                await asyncio.sleep(0.2)
    finally:
        if alone and not nc.is_closed:
            for durable in OTHERS:  # never left paused (an hour) by a failed run
                with contextlib.suppress(Exception):
                    await _pause(nc, durable, False)
        await nc.close()
    del built
    total = drained["reports-feed"]
    out = {
        "events": events,
        "publish_seconds": published,
        "applied_seconds": total,
        "events_per_s": events / total,
        "load_before": load_before,
        "load_after": load_after,
        "cpu_s_bench": own,
        "events_per_cpu_s_bench": events / own if own > 0 else 0.0,
    }
    if alone:
        out["others_catch_up_seconds"] = max(drained[d] for d in OTHERS)
    else:
        out["all_applied_seconds"] = max(drained.values())
    out["wal_bytes_per_event"] = (cpu_after["wal_bytes"] - cpu_before["wal_bytes"]) / events
    for name in (*CPU_PROGRAMS, *BACKENDS):
        used = cpu_after.get(name, 0.0) - cpu_before.get(name, 0.0)
        out[f"cpu_s_{name}"] = used
        # What the part could apply on a core of its own.
        out[f"events_per_cpu_s_{name}"] = events / used if used > 0 else 0.0
    return out


# --- 4. exports -------------------------------------------------------------------------------


def _chunk(start: int, size: int) -> list[list[str]]:
    return [
        [f"shg-{i}", f"S{i}", f"Durga Mahila SHG {i}", "approved", "9001", "900123",
         f"vo-{i // 20}", f"clf-{i // 400}", "2023-04-01", "12", "3", "1", "5", "2", "1",
         "1", "0", "0", "0", "1", "0", "254000", "12000", "3400000"]
        for i in range(start, start + size)
    ]  # fmt: skip


async def _rows(n: int, chunk: int = 2000) -> AsyncIterator[Sequence[Sequence[str]]]:
    """``n`` SHG-list rows in chunks; one chunk made up front and sent again, so the rate is
    the writer's (in the gateway the rows arrive decoded from gRPC)."""
    rows = _chunk(0, chunk)
    for start in range(0, n, chunk):
        yield rows[: min(chunk, n - start)]


async def _write(fmt: exports.Format, n: int) -> tuple[float, int]:
    header = ["c"] * 24
    size = 0
    t0 = time.perf_counter()
    async for part in exports.stream(fmt, header, _rows(n)):
        size += len(part)
    return time.perf_counter() - t0, size


async def export_rates(rows: int) -> dict[str, float]:
    out: dict[str, float] = {"rows": rows}
    for fmt in ("csv", "xlsx"):
        seconds, size = await _write(fmt, rows)
        out[f"{fmt}_rows_per_s"] = rows / seconds
        out[f"{fmt}_mb"] = size / 1e6
        tracemalloc.start()
        await _write(fmt, min(rows, 200_000))
        out[f"{fmt}_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return out


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


HTTP_CPU_PROGRAMS = ("gateway", "reports", "postgres")


async def export_http(p: Platform, blocks: Sequence[str], warm_block: str) -> dict[str, float]:
    """The SHG lists of ``blocks`` downloaded one after the other through the gateway (gRPC
    stream from the reports, written by the gateway), or with no blocks the whole state's list
    in one file: rows/s over all of them, each file's time (what a block manager waits for
    hers), the peak resident memory of the gateway and the reports process above what they
    held before (sampled every 50 ms), and the rows per CPU-second of gateway, reports and
    PostgreSQL (on a shared machine the rate depends on the load, the CPU per row does not).
    First ``warm_block``'s list is downloaded in each format and not counted: a fresh
    gateway's first download also opens its channel to reports and their statements."""
    pids = {i["name"]: int(i["pid"]) for i in p.status() if i["name"] in ("gateway", "reports")}
    token = get_token(p)
    out: dict[str, float] = {"blocks": len(blocks)}
    filters: list[dict[str, str]] = [{"block_lgd_code": b} for b in blocks] or [{}]
    async with httpx.AsyncClient(base_url=p.gateway_url, timeout=600) as client:

        async def download(fmt: str, where: dict[str, str]) -> tuple[int, int]:
            """Bytes and (of a CSV) lines of one file."""
            size = lines = 0
            async with client.stream(
                "GET",
                "/v1/reports/shgs/download",
                params={"format": fmt, **where},
                headers={"Authorization": f"Bearer {token}"},
            ) as r:
                r.raise_for_status()
                async for part in r.aiter_raw():
                    size += len(part)
                    if fmt == "csv":
                        lines += part.count(b"\n")
            return size, lines

        for fmt in ("csv", "xlsx"):
            await download(fmt, {"block_lgd_code": warm_block})
        for fmt in ("csv", "xlsx"):
            base = {name: _rss_mb(pid) for name, pid in pids.items()}
            peak = dict(base)
            done = asyncio.Event()

            async def sample(peak: dict[str, float], done: asyncio.Event) -> None:
                while not done.is_set():
                    for name, pid in pids.items():
                        peak[name] = max(peak[name], _rss_mb(pid))
                    await asyncio.sleep(0.05)

            sampler = asyncio.create_task(sample(peak, done))
            size = rows = 0
            files: list[float] = []
            cpu_before = cpu_seconds(p, HTTP_CPU_PROGRAMS)
            out[f"{fmt}_load_before"] = os.getloadavg()[0]
            t0 = time.perf_counter()
            for where in filters:
                t_file = time.perf_counter()
                got, lines = await download(fmt, where)
                files.append(time.perf_counter() - t_file)
                size += got
                rows += lines
            seconds = time.perf_counter() - t0
            cpu_after = cpu_seconds(p, HTTP_CPU_PROGRAMS)
            out[f"{fmt}_load_after"] = os.getloadavg()[0]
            done.set()
            await sampler
            if fmt == "csv":
                out["rows"] = rows - len(filters)  # less each file's header
            out[f"{fmt}_rows_per_s"] = out["rows"] / seconds
            files.sort()
            out[f"{fmt}_file_p50_ms"] = files[len(files) // 2] * 1e3
            out[f"{fmt}_file_max_ms"] = files[-1] * 1e3
            for name in HTTP_CPU_PROGRAMS:
                # What each part could serve on a core of its own, whatever the load.
                used = cpu_after.get(name, 0.0) - cpu_before.get(name, 0.0)
                out[f"{fmt}_rows_per_cpu_s_{name}"] = out["rows"] / used if used > 0 else 0.0
            out[f"{fmt}_mb"] = size / 1e6
            for name in pids:
                out[f"{fmt}_{name}_peak_mb"] = peak[name] - base[name]
    return out


# --- 5. rebuild -------------------------------------------------------------------------------


async def rebuild_time(p: Platform) -> dict[str, float]:
    user, password = p.nats_credentials()
    db = Database(p.database_url("reports"), pool_size=2)
    try:
        t0 = time.perf_counter()
        done = await rebuild(db, p.nats_url, user, password, STATE)
        seconds = time.perf_counter() - t0
    finally:
        await db.dispose()
    return {"events": done.events, "seconds": seconds, "events_per_s": done.events / seconds}


# --- run -----------------------------------------------------------------------------------------


STAGES = ("latency", "ingestion", "ingestion_alone", "exports", "exports_http", "rebuild")


async def run(
    p: Platform,
    scale: float,
    months: int,
    requests: int,
    events: int,
    rows: int,
    stages: Sequence[str] = STAGES,
    http_blocks: int = 100,
    order: str = "import",
) -> Result:
    result = Result(scale, order)
    console.print(f"loading a synthetic state at scale {scale} ({months} months of meetings)…")
    loaded = await load(p, scale, months)
    result.loaded = {k: v for k, v in asdict(loaded).items() if k not in ("districts", "blocks")}
    result.loaded["blocks"] = len(loaded.blocks)
    console.print(
        f"  {loaded.shgs:,} SHGs, {loaded.members:,} members, {loaded.meetings:,} meetings in "
        f"{loaded.seconds:.0f}s; rollups in {loaded.rollup_seconds:.0f}s"
    )
    # Each stage's numbers are printed as it ends: a long run cut short still says something.
    if "latency" in stages:
        console.print("measuring the dashboard and the SHG list…")
        result.latency = {k: asdict(v) for k, v in (await latency(p, loaded, requests)).items()}
        report(result)
    if "ingestion" in stages:
        conn = await asyncpg.connect(asyncpg_dsn(p.database_url("reports")))
        try:
            pg = [await conn.fetchval(f"SHOW {k}") for k in ("shared_buffers", "max_wal_size")]
        finally:
            await conn.close()
        console.print(
            f"ingesting {events:,} member events in {order} order (PostgreSQL shared_buffers"
            f" {pg[0]}, max_wal_size {pg[1]})…"
        )
        result.ingestion = await ingestion(p, loaded, events, order=order)
        report(result)
    if "ingestion_alone" in stages:
        console.print(f"ingesting {events:,} more, dedup's and transactions' durables paused…")
        result.ingestion_alone = await ingestion(p, loaded, events, order=order, alone=True)
        report(result)
    if "exports" in stages:
        console.print(f"writing {rows:,} rows as CSV and XLSX…")
        result.exports = await export_rates(rows)
        report(result)
    if "exports_http" in stages:
        try:  # the other stages' numbers still count
            console.print("downloading the whole state's SHG list through the gateway…")
            warm = loaded.blocks[-1]
            result.exports_http = await export_http(p, [], warm)
            if blocks := loaded.blocks[:http_blocks]:
                console.print(f"downloading the SHG lists of {len(blocks)} blocks, a file each…")
                result.exports_blocks = await export_http(p, blocks, warm)
        except httpx.HTTPError as exc:
            console.print(f"[red]download through the gateway failed: {exc!r}")
        report(result)
    if "rebuild" in stages:
        console.print("rebuilding from the stream…")
        result.rebuild = await rebuild_time(p)
    return result


def report(r: Result) -> None:
    t = Table(title=f"reports at scale {r.scale}")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_column("goal", justify="right")
    for name, stats in r.latency.items():
        goal = GOAL_LIST_P99_MS if name.startswith("shg_list") else GOAL_DASHBOARD_P99_MS
        t.add_row(f"{name} p99 ms", fmt_ms(stats["p99_ms"]), f"≤ {goal:.0f}")
    for title, i in (
        (f"ingestion events/s ({r.order} order)", r.ingestion),
        (f"ingestion events/s ({r.order} order), dedup and transactions paused", r.ingestion_alone),
    ):
        if not i:
            continue
        t.add_row(title, f"{i['events_per_s']:,.0f}", f"≥ {GOAL_EVENTS_PER_S:,}")
        t.add_row(
            "  load average before/after", f"{i['load_before']:.1f}/{i['load_after']:.1f}", ""
        )
        if "all_applied_seconds" in i:
            t.add_row(
                "  events/s until dedup and transactions applied them too",
                f"{i['events'] / i['all_applied_seconds']:,.0f}",
                "",
            )
        if "others_catch_up_seconds" in i:
            t.add_row(
                "  events/s of dedup and transactions catching up once resumed",
                f"{i['events'] / i['others_catch_up_seconds']:,.0f}",
                "",
            )
        if "wal_bytes_per_event" in i:
            t.add_row("  PostgreSQL WAL bytes per event", f"{i['wal_bytes_per_event']:,.0f}", "")
        for name in ("bench", *CPU_PROGRAMS, *BACKENDS):
            if f"cpu_s_{name}" not in i:  # a result written before the part was measured
                continue
            used = i[f"cpu_s_{name}"]
            if "others_catch_up_seconds" in i and name.endswith(("dedup", "transactions")):
                continue  # paused while measured
            t.add_row(
                f"  events per CPU-second of {name}",
                f"{i[f'events_per_cpu_s_{name}']:,.0f}",
                f"({used:.1f} CPU-s, {used / i['events'] * 1e6:.0f} µs/event)",
            )
    x = r.exports
    if x:
        t.add_row("CSV rows/s", f"{x['csv_rows_per_s']:,.0f}", f"≥ {GOAL_CSV_ROWS_PER_S:,}")
        t.add_row("CSV peak MB", f"{x['csv_peak_mb']:.1f}", "bounded")
        t.add_row("XLSX rows/s", f"{x['xlsx_rows_per_s']:,.0f}", f"≥ {GOAL_XLSX_ROWS_PER_S:,}")
        t.add_row("XLSX peak MB", f"{x['xlsx_peak_mb']:.1f}", "bounded")
    for x, whole in ((r.exports_http, True), (r.exports_blocks, False)):
        if not x:
            continue
        for fmt, goal in (("csv", GOAL_CSV_ROWS_PER_S), ("xlsx", GOAL_XLSX_ROWS_PER_S)):
            if whole:
                t.add_row(
                    f"gateway {fmt.upper()} rows/s (the state's {x['rows']:,} rows, one file)",
                    f"{x[f'{fmt}_rows_per_s']:,.0f}",
                    f"≥ {goal:,}",
                )
            else:  # small files: the wait for one, not a rate, is what counts
                t.add_row(
                    f"gateway {fmt.upper()} file of a block ({x['rows'] / x['blocks']:,.0f}"
                    f" rows, {x['blocks']:.0f} files): ms p50 / max",
                    f"{x[f'{fmt}_file_p50_ms']:.1f} / {x[f'{fmt}_file_max_ms']:.1f}",
                    f"({x[f'{fmt}_rows_per_s']:,.0f} rows/s)",
                )
            t.add_row(
                f"  peak MB above idle: gateway / reports ({x[f'{fmt}_mb']:.0f} MB"
                f" {'file' if whole else 'in all'})",
                f"{x[f'{fmt}_gateway_peak_mb']:.0f} / {x[f'{fmt}_reports_peak_mb']:.0f}",
                "bounded",
            )
            t.add_row(
                "  rows per CPU-second: gateway / reports / postgres",
                " / ".join(
                    f"{x[f'{fmt}_rows_per_cpu_s_{name}']:,.0f}" for name in HTTP_CPU_PROGRAMS
                ),
                "",
            )
            t.add_row(
                "  load average before/after",
                f"{x[f'{fmt}_load_before']:.1f}/{x[f'{fmt}_load_after']:.1f}",
                "",
            )
    if r.rebuild:
        t.add_row("rebuild s", f"{r.rebuild['seconds']:.1f}", f"{r.rebuild['events']:,} events")
    console.print(t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="1.0: 1 crore members, 8 lakh SHGs")
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument(
        "--order",
        choices=ORDERS,
        default="import",
        help="member events as a migration import emits them (SHG by SHG, rising ids), or"
        " scattered over the state with random ids (the worst case)",
    )
    ap.add_argument(
        "--trace-ratio",
        type=float,
        default=0.01,
        help="share of events traced (a state at this size samples; 1.0 traces every event)",
    )
    ap.add_argument(
        "--http-blocks",
        type=int,
        default=100,
        help="blocks downloaded via HTTP, a file each, after the whole state's list (0: none)",
    )
    # A state's PostgreSQL, as the Kubernetes Cluster runs it (deploy/k8s/base/postgres.yaml),
    # not the laptop defaults of `lokos up` (256MB, 1GB): launcher.settings, docs/runbook.md.
    ap.add_argument("--pg-shared-buffers", default="1GB", help="PostgreSQL shared_buffers")
    ap.add_argument("--pg-max-wal-size", default="4GB", help="PostgreSQL max_wal_size")
    ap.add_argument(
        "--only",
        default=",".join(STAGES),
        help=f"comma-separated stages to measure after the load (of {', '.join(STAGES)})",
    )
    args = ap.parse_args()
    stages = [s for s in args.only.split(",") if s]
    if unknown := set(stages) - set(STAGES):
        ap.error(f"--only: unknown stages {sorted(unknown)}")
    # The platform's processes read it (bench_settings leaves it to the environment).
    os.environ["LOKOS_TRACE_SAMPLE_RATIO"] = str(args.trace_ratio)
    os.environ["LOKOS_PG_SHARED_BUFFERS"] = args.pg_shared_buffers
    os.environ["LOKOS_PG_MAX_WAL_SIZE"] = args.pg_max_wal_size
    with shared_platform() as sp:
        result = asyncio.run(
            run(
                sp.platform,
                args.scale,
                args.months,
                args.requests,
                args.events,
                args.rows,
                stages,
                args.http_blocks,
                args.order,
            )
        )
    report(result)
    path = write_results("reports", {"reports": asdict(result)})
    console.print(f"results: {path}")


if __name__ == "__main__":
    main()
