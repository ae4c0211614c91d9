"""Migration import: members/s of ``ImportMigration`` end to end (CSV streamed over gRPC to the
profiles service, parsed, validated, hashed, COPYed and inserted) vs a raw asyncpg
``copy_records_to_table`` of the same, already prepared rows into the same tables.

The CSV is synthetic: realistic Indian names, 10–15 members per SHG, blocks and villages of a
seeded geography (loaded into ``geo_unit`` first), a valid Aadhaar (Verhoeff) on ~80% of rows,
a bank account with IFSC on ~60%, and ~1% bad rows (broken Aadhaar, IFSC, dates, names; a few
SHGs in a village that does not exist).

    python -m bench.migration_import [--members 1000000] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import random
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO

import asyncpg
import grpc
import httpx
from rich.table import Table

from bench.common import (
    REALM,
    USERNAME,
    console,
    get_token,
    met,
    shared_platform,
    wait_quiet,
    write_results,
)
from launcher.platform import Platform
from lokos.db import asyncpg_dsn
from lokos.identity.v1 import identity_pb2, identity_pb2_grpc
from lokos.principal import Principal
from lokos.profiles.v1 import profiles_pb2, profiles_pb2_grpc
from lokos.rpc import call_metadata, service_metadata
from services.profiles.identifiers import verhoeff_check_digit
from services.profiles.mis_import import csvformat, importer

GOAL_RATIO = 0.4
CHUNK_BYTES = 256 * 1024
STATE = "up"

# --- synthetic data -------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Sunita Anita Geeta Sita Rekha Kamla Savitri Pushpa Lakshmi Meena Radha Saroj Shanti "
    "Usha Asha Kiran Poonam Manju Sushila Rani Durga Parvati Kavita Neelam Sarita Mamta Seema "
    "Laxmi Gayatri Sangeeta Rinki Pinki Babita Sudha Nirmala Urmila Kusum Vimla Shakuntala "
    "Bhagwati Champa Phoolmati Sarla Renu Anjali Priyanka Pooja Jyoti Sunaina Malti Dhanno "
    "Rukmini Yashoda Tulsi Chanda Basanti Indira Kalpana Sharda Lalita Hemlata Sumitra"
)
SURNAMES = _words(
    "Devi Kumari Yadav Singh Verma Gupta Sharma Maurya Pal Prajapati Chauhan Kushwaha Nishad "
    "Rajbhar Saroj Gautam Jatav Patel Tiwari Mishra Pandey Shukla Ahirwar Kori Pasi Lodhi Saini "
    "Rathore Baghel Khatoon Bano Begum Ansari Qureshi"
)
MALE_NAMES = _words(
    "Ram Shyam Mohan Suresh Ramesh Rajesh Mahesh Dinesh Ganesh Raju Vinod Anil Sunil Manoj "
    "Santosh Rakesh Mukesh Ashok Vijay Ajay Sanjay Pappu Munna Bablu Shiv Hari Govind Kishan "
    "Jagdish Lalit Raghunath Bhola Salim Rafiq Anwar Islam"
)
SHG_WORDS = _words(
    "Durga Lakshmi Saraswati Gayatri Jai Maa Santoshi Vaishno Ujala Pragati Ekta Shakti Kiran "
    "Roshni Sakhi Nari Jagriti Sankalp Suraksha Samridhi Unnati Jyoti Chetna Disha Asha"
)
SHG_SUFFIXES = ("Mahila SHG", "Swayam Sahayata Samuh", "Ajeevika SHG", "Mahila Samuh", "SHG")
BANKS = ("SBIN", "PUNB", "BARB", "UBIN", "CNRB", "BKID", "IOBA", "UCBA", "ALLA", "PRTH")
CATEGORIES = ("SC", "SC", "OBC", "OBC", "OBC", "GEN", "ST", "OTH")


@dataclass(frozen=True)
class GeoBlock:
    lgd_code: str
    district: str
    villages: tuple[tuple[str, str], ...]  # (village, panchayat)


@dataclass(frozen=True)
class SyntheticGeography:
    state: str
    districts: tuple[str, ...]
    blocks: tuple[GeoBlock, ...]

    def rows(self) -> list[tuple[str, str, str, str, str, str, str, str, str]]:
        """``geo_unit`` rows: level, lgd_code, parent_code, state, district, block,
        panchayat, name_en, name_local."""
        out: list[tuple[str, str, str, str, str, str, str, str, str]] = []
        s = self.state
        for d in self.districts:
            out.append(("district", d, "", s, "", "", "", f"District {d}", ""))
        for b in self.blocks:
            out.append(
                ("block", b.lgd_code, b.district, s, b.district, "", "", f"Block {b.lgd_code}", "")
            )
            for p in sorted({p for _, p in b.villages}):
                out.append(
                    ("panchayat", p, b.lgd_code, s, b.district, b.lgd_code, "", f"GP {p}", "")
                )
            for v, p in b.villages:
                out.append(("village", v, p, s, b.district, b.lgd_code, p, f"Village {v}", ""))
        return out

    def import_csv(self) -> str:
        """The same units as a geography import file (``POST /v1/geography/import``)."""
        lines = ["level,lgd_code,name_en,name_local,parent_code"]
        for level, code, parent, *_, name, _local in self.rows():
            lines.append(f"{level},{code},{name},,{parent}")
        return "\n".join(lines) + "\n"


def synthetic_geography(
    seed: int, *, blocks: int = 40, villages_per_block: int = 50, state: str = STATE
) -> SyntheticGeography:
    """Districts of 5 blocks, 10 villages per gram panchayat, codes unlikely to collide."""
    rnd = random.Random(seed)
    base = rnd.randrange(10**6, 9 * 10**6)  # 7-digit stem, unique per seed in practice
    districts: list[str] = []
    out: list[GeoBlock] = []
    for b in range(blocks):
        if b % 5 == 0:
            districts.append(f"{base}{len(districts):03d}")
        block = f"{base}{b:04d}"
        villages = tuple(
            (f"{base}{b:04d}{v:03d}", f"{base}{b:04d}{v // 10:02d}")
            for v in range(villages_per_block)
        )
        out.append(GeoBlock(block, districts[-1], villages))
    return SyntheticGeography(state, tuple(districts), tuple(out))


def _aadhaar(rnd: random.Random) -> str:
    body = str(rnd.randrange(2 * 10**10, 10**11))
    return body + verhoeff_check_digit(body)


def _broken_aadhaar(rnd: random.Random) -> str:
    good = _aadhaar(rnd)
    return good[:-1] + str((int(good[-1]) + 1 + rnd.randrange(9)) % 10)


@dataclass
class Generated:
    members: int = 0
    shgs: int = 0
    # Rows the import must reject, and SHGs none of whose rows are valid.
    bad_rows: int = 0
    bad_shgs: int = 0
    bytes: int = 0
    shgs_with_members: int = 0
    kinds: dict[str, int] = field(default_factory=dict)

    @property
    def good_rows(self) -> int:
        return self.members - self.bad_rows


def member_rows(
    members: int,
    geo: SyntheticGeography,
    seed: int,
    *,
    bad_ratio: float = 0.01,
    stats: Generated | None = None,
    id_prefix: str = "",
) -> Iterator[list[str]]:
    """Rows of the migration CSV (without the header), deterministic for a seed."""
    rnd = random.Random(seed)
    st = stats if stats is not None else Generated()
    prefix = id_prefix or f"S{seed}"
    today = date.today()
    n = 0
    shg_no = 0
    while n < members:
        shg_no += 1
        size = min(rnd.randint(10, 15), members - n)
        block = rnd.choice(geo.blocks)
        village, _ = rnd.choice(block.villages)
        bad_shg = rnd.random() < bad_ratio / 5
        if bad_shg:
            village = "9" + village  # not a village of the state
        shg = [
            f"{prefix}-SHG-{shg_no:07d}",
            f"{rnd.choice(SHG_WORDS)} {rnd.choice(SHG_WORDS)} {rnd.choice(SHG_SUFFIXES)}",
            block.lgd_code,
            village,
            (today - timedelta(days=rnd.randint(400, 6000))).isoformat(),
        ]
        st.shgs += 1
        good_in_shg = 0
        for _ in range(size):
            n += 1
            row = [*shg, *_member(rnd, prefix, n, today)]
            kind = ""
            if bad_shg:
                kind = "unknown_village"
            elif rnd.random() < bad_ratio:
                kind = _spoil(rnd, row)
            if kind:
                st.bad_rows += 1
                st.kinds[kind] = st.kinds.get(kind, 0) + 1
            else:
                good_in_shg += 1
            yield row
        st.members += size
        if bad_shg:
            st.bad_shgs += 1
        if good_in_shg:
            st.shgs_with_members += 1


def _member(rnd: random.Random, prefix: str, n: int, today: date) -> list[str]:
    married = rnd.random() < 0.8
    surname = rnd.choice(SURNAMES)
    account = ifsc = ""
    if rnd.random() < 0.6:
        account = str(rnd.randrange(10**10, 10**15))
        ifsc = f"{rnd.choice(BANKS)}0{rnd.randrange(10**5, 10**6)}"
    return [
        f"{prefix}-M-{n:08d}",
        f"{rnd.choice(FIRST_NAMES)} {surname}",
        "F",
        (today - timedelta(days=rnd.randint(18 * 365, 70 * 365))).isoformat()
        if rnd.random() < 0.9
        else "",
        rnd.choice(CATEGORIES),
        f"{rnd.choice(MALE_NAMES)} {surname}",
        "HUSBAND" if married else "FATHER",
        f"{rnd.choice('6789')}{rnd.randrange(10**8, 10**9)}" if rnd.random() < 0.85 else "",
        account,
        ifsc,
        f"{''.join(rnd.choices('ABCDEFGHJKLMNPRSTUVWXYZ', k=3))}{rnd.randrange(10**6, 10**7)}"
        if rnd.random() < 0.5
        else "",
        _aadhaar(rnd) if rnd.random() < 0.8 else "",
    ]


def _spoil(rnd: random.Random, row: list[str]) -> str:
    """Break one member field; returns what was broken."""
    kind = rnd.choice(("aadhaar", "ifsc", "date_of_birth", "member_name", "gender"))
    if kind == "aadhaar":
        row[16] = _broken_aadhaar(rnd)
    elif kind == "ifsc":
        row[13], row[14] = "123456789012", "SBI0001"
    elif kind == "date_of_birth":
        row[8] = (date.today() + timedelta(days=30)).isoformat()
    elif kind == "member_name":
        row[6] = ""
    else:
        row[7] = "X"
    return kind


def write_csv(
    out: IO[str],
    members: int,
    geo: SyntheticGeography,
    seed: int,
    *,
    bad_ratio: float = 0.01,
    id_prefix: str = "",
) -> Generated:
    stats = Generated()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(csvformat.COLUMNS)
    w.writerows(
        member_rows(members, geo, seed, bad_ratio=bad_ratio, stats=stats, id_prefix=id_prefix)
    )
    return stats


def csv_bytes(
    members: int,
    geo: SyntheticGeography,
    seed: int,
    *,
    bad_ratio: float = 0.01,
    id_prefix: str = "",
) -> tuple[bytes, Generated]:
    buf = io.StringIO()
    stats = write_csv(buf, members, geo, seed, bad_ratio=bad_ratio, id_prefix=id_prefix)
    data = buf.getvalue().encode()
    stats.bytes = len(data)
    return data, stats


def load_geography(p: Platform, token: str, geo: SyntheticGeography) -> None:
    """Put the synthetic units in the state's masters through the geography import."""
    r = httpx.post(
        f"{p.gateway_url}/v1/geography/import",
        content=geo.import_csv().encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "text/csv",
            "Import-Key": f"bench-geography-{uuid.uuid4()}",
        },
        timeout=120,
    )
    if r.status_code != 200:
        raise RuntimeError(f"geography import: {r.status_code} {r.text[:500]}")


# --- measurement ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MigrationImportResult:
    members: int
    shgs: int
    csv_bytes: int
    bad_rows: int
    # (a) ImportMigration over gRPC, end to end.
    import_seconds: float
    imported: int
    rejected: int
    # (b) copy_records_to_table of the same prepared rows: cbo, member, membership.
    raw_seconds: float
    raw_member_seconds: float
    raw_rows: int
    checks: dict[str, bool]

    @property
    def import_rate(self) -> float:
        return self.members / self.import_seconds

    @property
    def raw_rate(self) -> float:
        return self.raw_rows / self.raw_seconds

    @property
    def raw_member_rate(self) -> float:
        return self.raw_rows / self.raw_member_seconds

    @property
    def ratio(self) -> float:
        """Rows/s of the import over rows/s of the raw load of the same tables."""
        return self.import_rate / self.raw_rate

    @property
    def ratio_member_table(self) -> float:
        return self.import_rate / self.raw_member_rate

    @property
    def goal_met(self) -> bool:
        return self.ratio >= GOAL_RATIO and all(self.checks.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "members": self.members,
            "shgs": self.shgs,
            "csv_bytes": self.csv_bytes,
            "bad_rows": self.bad_rows,
            "import_seconds": round(self.import_seconds, 3),
            "import_rows_per_s": round(self.import_rate),
            "imported": self.imported,
            "rejected": self.rejected,
            "raw_seconds": round(self.raw_seconds, 3),
            "raw_rows_per_s": round(self.raw_rate),
            "raw_member_table_seconds": round(self.raw_member_seconds, 3),
            "raw_member_table_rows_per_s": round(self.raw_member_rate),
            "ratio": round(self.ratio, 3),
            "ratio_member_table": round(self.ratio_member_table, 3),
            "goal_ratio": GOAL_RATIO,
            "checks": self.checks,
        }


async def _principal(p: Platform) -> Principal:
    async with grpc.aio.insecure_channel(p.grpc_target("identity")) as ch:
        msg = await identity_pb2_grpc.IdentityServiceStub(ch).GetPrincipal(
            identity_pb2.GetPrincipalRequest(realm=REALM, user_id=USERNAME),
            metadata=service_metadata("bench-migration"),
            timeout=10,
        )
    return Principal.from_proto(msg.principal)


async def _import(p: Platform, path: Path, principal: Principal) -> profiles_pb2.ImportReport:
    """ImportMigration straight to the profiles service, the file streamed in 256 KiB."""

    async def chunks() -> AsyncIterator[profiles_pb2.CsvChunk]:
        yield profiles_pb2.CsvChunk(filename=path.name, import_key=f"bench-{uuid.uuid4()}")
        with path.open("rb") as f:
            while data := f.read(CHUNK_BYTES):
                yield profiles_pb2.CsvChunk(data=data)

    async with grpc.aio.insecure_channel(p.grpc_target("profiles")) as ch:
        stub = profiles_pb2_grpc.ProfilesServiceStub(ch)
        return await stub.ImportMigration(
            chunks(), metadata=call_metadata(principal, "bench-migration"), timeout=1800
        )


CBO_COLUMNS = (
    "id",
    "client_id",
    "cbo_type",
    "name",
    "name_local",
    "state",
    "district_lgd_code",
    "block_lgd_code",
    "panchayat_lgd_code",
    "village_lgd_code",
    "shg_type",
    "formed_on",
    "bank_account_masked",
    "bank_account_hash",
    "ifsc",
    "status",
    "version",
    "migrated",
    "approved_by",
    "created_by",
    "updated_by",
)
MEMBER_COLUMNS = (
    "id",
    "client_id",
    "shg_id",
    "state",
    "district_lgd_code",
    "block_lgd_code",
    "panchayat_lgd_code",
    "village_lgd_code",
    "name",
    "name_local",
    "gender",
    "date_of_birth",
    "social_category",
    "relative_name",
    "relation",
    "household_code",
    "mobile",
    "bank_account_masked",
    "bank_account_hash",
    "ifsc",
    "voter_id",
    "aadhaar_masked",
    "aadhaar_hash",
    "status",
    "version",
    "migrated",
    "approved_by",
    "created_by",
    "updated_by",
)

Row = tuple[object, ...]


def prepare_rows(
    path: Path, geo: SyntheticGeography, user: str
) -> tuple[list[Row], list[Row], list[Row]]:
    """The rows the import ends with (cbo, member, membership), ready for COPY: the same
    parser, hashes and time-ordered ids, done beforehand and untimed."""
    geography = csvformat.Geography(
        geo.state,
        {b.lgd_code: csvformat.Block(b.district, True) for b in geo.blocks},
        {v: csvformat.Village(b.lgd_code, gp) for b in geo.blocks for v, gp in b.villages},
    )
    parser = csvformat.MigrationParser(geography, b"bench-key" * 8, today=date.today())
    with path.open("rb") as f:
        while data := f.read(CHUNK_BYTES):
            parser.feed(data)
    parser.finish()
    shgs, members = parser.take()
    shg_prefix, member_prefix = importer.uuid7_prefix(), importer.uuid7_prefix()
    cbo_rows: list[Row] = []
    where: dict[str, tuple[str, str, str, str, str]] = {}
    for row, client_id, name, district, block, gp, village, formed_on in shgs:
        shg_id = str(importer.uuid7(shg_prefix, row))
        where[client_id] = (shg_id, district, block, gp, village)
        cbo_rows.append(
            (
                *(shg_id, client_id, "SHG", name, "", geo.state, district, block, gp, village),
                *("general", formed_on, "", "", "", "approved", 1, True, "", user, ""),
            )
        )
    member_rows: list[Row] = []
    membership_rows: list[Row] = []
    for m in members:
        shg_id, district, block, gp, village = where[m[2]]
        member_id = str(importer.uuid7(member_prefix, m[0]))
        member_rows.append(
            (
                *(member_id, m[1], shg_id, geo.state, district, block, gp, village, m[5], ""),
                *(m[6], m[7], m[8], m[9], m[10], "", m[11], m[12], m[13], m[14], m[15], m[16]),
                *(m[17], "approved", 1, True, "", user, ""),
            )
        )
        membership_rows.append((member_id, shg_id))
    return cbo_rows, member_rows, membership_rows


async def _counts(dsn: str, user: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM member WHERE migrated AND created_by = $1) AS members,"
            " (SELECT count(*) FROM cbo WHERE migrated AND created_by = $1) AS shgs,"
            " (SELECT count(*) FROM membership) AS memberships,"
            " (SELECT count(*) FROM member WHERE aadhaar_masked <> ''"
            "   AND aadhaar_masked !~ '^XXXX XXXX [0-9]{4}$') AS unmasked",
            user,
        )
        assert row is not None
        return dict(row)
    finally:
        await conn.close()


async def _raw_copy(
    dsn: str, cbo_rows: list[Row], member_rows: list[Row], membership_rows: list[Row]
) -> tuple[float, float]:
    """Empty the tables, then COPY the prepared rows in one transaction: (total, member) s."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("TRUNCATE membership, member, cbo CASCADE")
        await conn.execute("CHECKPOINT")
        t0 = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("cbo", records=cbo_rows, columns=CBO_COLUMNS)
            t1 = time.perf_counter()
            await conn.copy_records_to_table("member", records=member_rows, columns=MEMBER_COLUMNS)
            t2 = time.perf_counter()
            await conn.copy_records_to_table(
                "membership", records=membership_rows, columns=("member_id", "shg_id")
            )
        return time.perf_counter() - t0, t2 - t1
    finally:
        await conn.close()


async def _checkpoint(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


def measure(p: Platform, members: int, seed: int = 7) -> MigrationImportResult:
    """(a) then (b) on ``p``. (b) empties ``cbo``, ``member`` and ``membership`` first: run
    this on a platform of its own, or after every other benchmark on a shared one."""
    dsn = asyncpg_dsn(p.database_url("profiles"))
    geo = synthetic_geography(seed)
    with tempfile.TemporaryDirectory(prefix="lokos-migration-") as tmp:
        path = Path(tmp) / "migration.csv"
        t0 = time.perf_counter()
        with console.status(f"writing a CSV of {members:,} members…"), path.open("w") as f:
            stats = write_csv(f, members, geo, seed)
        stats.bytes = path.stat().st_size
        console.print(
            f"CSV: {stats.members:,} members in {stats.shgs:,} SHGs, {stats.bytes / 2**20:.0f} MiB,"
            f" {stats.bad_rows:,} bad rows; written in {time.perf_counter() - t0:.1f}s"
        )
        load_geography(p, get_token(p), geo)
        asyncio.run(_checkpoint(dsn))
        principal = asyncio.run(_principal(p))
        with console.status("(a) ImportMigration over gRPC…"):
            t0 = time.perf_counter()
            report = asyncio.run(_import(p, path, principal))
            import_s = time.perf_counter() - t0
        # The raw COPY below must not compete with the import's event backlog.
        wait_quiet(p)
        counts = asyncio.run(_counts(dsn, principal.user_id))
        checks = {
            "report counts": (report.rows, report.imported, report.rejected)
            == (stats.members, stats.good_rows, stats.bad_rows),
            "members in the database": counts["members"] == stats.good_rows,
            "SHGs in the database": counts["shgs"] == stats.shgs_with_members,
            "one open membership per member": counts["memberships"] == stats.good_rows,
            "Aadhaar only masked": counts["unmasked"] == 0,
        }
        with console.status("preparing the same rows for the raw COPY (untimed)…"):
            cbo_rows, member_rows, membership_rows = prepare_rows(path, geo, principal.user_id)
    with console.status("(b) raw copy_records_to_table…"):
        raw_s, raw_member_s = asyncio.run(_raw_copy(dsn, cbo_rows, member_rows, membership_rows))
    return MigrationImportResult(
        members=stats.members,
        shgs=stats.shgs,
        csv_bytes=stats.bytes,
        bad_rows=stats.bad_rows,
        import_seconds=import_s,
        imported=report.imported,
        rejected=report.rejected,
        raw_seconds=raw_s,
        raw_member_seconds=raw_member_s,
        raw_rows=len(member_rows),
        checks=checks,
    )


def render(r: MigrationImportResult) -> list[Table]:
    t = Table(title=f"Migration import of {r.members:,} members ({r.shgs:,} SHGs)")
    t.add_column("path")
    t.add_column("seconds", justify="right")
    t.add_column("rows/s", justify="right")
    t.add_row(
        "(a) ImportMigration over gRPC: parse, validate, hash, COPY, insert",
        f"{r.import_seconds:.2f}",
        f"{r.import_rate:,.0f}",
        style="bold",
    )
    t.add_row(
        "(b) raw copy_records_to_table: cbo + member + membership",
        f"{r.raw_seconds:.2f}",
        f"{r.raw_rate:,.0f}",
    )
    t.add_row(
        "    of which member table alone",
        f"{r.raw_member_seconds:.2f}",
        f"{r.raw_member_rate:,.0f}",
    )
    t.add_row("ratio (a)/(b), same tables", "", f"{r.ratio:.2f}", style="bold")
    t.add_row("ratio (a)/(member table alone)", "", f"{r.ratio_member_table:.2f}")
    t.add_row("goal", "", f"≥ {GOAL_RATIO}")
    t.add_row("met?", "", met(r.goal_met))
    c = Table(title="Checks")
    c.add_column("check")
    c.add_column("ok")
    for name, ok in r.checks.items():
        c.add_row(name, met(ok))
    c.add_row("imported / rejected rows", f"{r.imported:,} / {r.rejected:,}")
    return [t, c]


def main() -> None:
    ap = argparse.ArgumentParser(description="migration import vs raw COPY")
    ap.add_argument("--members", type=int, default=1_000_000, help="members in the CSV")
    ap.add_argument("--seed", type=int, default=7, help="seed of the synthetic data")
    args = ap.parse_args()
    with shared_platform() as sp:
        console.print(f"platform ready in {sp.seconds_to_ready:.1f}s")
        result = measure(sp.platform, args.members, args.seed)
    for table in render(result):
        console.print(table)
    path = write_results("migration_import", {"migration_import": result.as_dict()})
    console.print(f"[dim]results: {path}[/]")


if __name__ == "__main__":
    main()
