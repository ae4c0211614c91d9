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
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO

import asyncpg
import grpc
from rich.table import Table

from bench.common import REALM, USERNAME, console, get_token, met, shared_platform, write_results
from lokos.db import asyncpg_dsn
from lokos.identity.v1 import identity_pb2, identity_pb2_grpc
from lokos.principal import Principal
from lokos.profiles.v1 import profiles_pb2, profiles_pb2_grpc
from lokos.rpc import call_metadata
from lokos.runtime.platform import Platform
from services.profiles.identifiers import verhoeff_check_digit
from services.profiles.migration import csvformat

GOAL_RATIO = 0.4
CHUNK_BYTES = 256 * 1024
STATE = "up"

# --- synthetic data -------------------------------------------------------------------------

FIRST_NAMES = (
    "Sunita Anita Geeta Sita Rekha Kamla Savitri Pushpa Lakshmi Meena Radha Saroj Shanti "
    "Usha Asha Kiran Poonam Manju Sushila Rani Durga Parvati Kavita Neelam Sarita Mamta Seema "
    "Laxmi Gayatri Sangeeta Rinki Pinki Babita Sudha Nirmala Urmila Kusum Vimla Shakuntala "
    "Bhagwati Champa Phoolmati Sarla Renu Anjali Priyanka Pooja Jyoti Sunaina Malti Dhanno "
    "Rukmini Yashoda Tulsi Chanda Basanti Indira Kalpana Sharda Lalita Hemlata Sumitra"
).split()
SURNAMES = (
    "Devi Kumari Yadav Singh Verma Gupta Sharma Maurya Pal Prajapati Chauhan Kushwaha Nishad "
    "Rajbhar Saroj Gautam Jatav Patel Tiwari Mishra Pandey Shukla Ahirwar Kori Pasi Lodhi Saini "
    "Rathore Baghel Khatoon Bano Begum Ansari Qureshi"
).split()
MALE_NAMES = (
    "Ram Shyam Mohan Suresh Ramesh Rajesh Mahesh Dinesh Ganesh Raju Vinod Anil Sunil Manoj "
    "Santosh Rakesh Mukesh Ashok Vijay Ajay Sanjay Pappu Munna Bablu Shiv Hari Govind Kishan "
    "Jagdish Lalit Raghunath Bhola Ramesh Salim Rafiq Anwar Islam"
).split()
SHG_WORDS = (
    "Durga Lakshmi Saraswati Gayatri Jai Maa Santoshi Vaishno Ujala Pragati Ekta Shakti Kiran "
    "Roshni Sakhi Nari Jagriti Sankalp Suraksha Samridhi Unnati Jyoti Chetna Disha Asha"
).split()
SHG_SUFFIXES = ("Mahila SHG", "Swayam Sahayata Samuh", "Ajeevika SHG", "Mahila Samuh", "SHG")
BANKS = ("SBIN", "PUNB", "BARB", "UBIN", "CNRB", "BKID", "IOBA", "UCBA", "ALLA", "PRTH")
CATEGORIES = ("SC", "SC", "OBC", "OBC", "OBC", "GENERAL", "ST", "OTHER")


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


async def load_geography(dsn: str, geo: SyntheticGeography) -> None:
    """Put the synthetic units in profiles' ``geo_unit`` (what the geography import does)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.executemany(
            "INSERT INTO geo_unit (level, lgd_code, parent_code, state, district_lgd_code,"
            " block_lgd_code, panchayat_lgd_code, name_en, name_local)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
            geo.rows(),
        )
    finally:
        await conn.close()
