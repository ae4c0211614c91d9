"""Migration from the old MIS through the gateway: 1 lakh members from one CSV, re-runs that
import nothing twice, the created events that make migrated records visible to reports and
identity, and files that are wrong in every way the field sends them."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import random
import socket
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from bench.migration_import import SyntheticGeography, csv_bytes, synthetic_geography
from lokos.common.v1 import events_pb2
from lokos.db import asyncpg_dsn
from lokos.profiles.v1 import profiles_pb2
from services.profiles.events import member_payload
from services.profiles.identifiers import verhoeff_check_digit
from services.profiles.mapping import cbo_to_proto
from services.profiles.mis_import.csvformat import COLUMNS, member_client_id, shg_client_id
from services.profiles.models import Cbo, Member
from tests.conftest import Api
from tests.e2e.helpers import h, wait_for
from tests.e2e.identity_helpers import create_user, new_code, token

PATH = "/v1/imports/migration"
PW = "Lokos@2024"
LAKH = 100_000
SHG_CREATED = "profiles.shg.created"
MEMBER_CREATED = "profiles.member.created"
IMPORTED = "profiles.migration.imported"


def send(
    api: Api,
    body: bytes,
    *,
    key: str | None = None,
    tok: str | None = None,
    content_type: str = "text/csv",
    **params: str,
) -> httpx.Response:
    headers = {**h(tok or api.token), "Content-Type": content_type}
    if key is not None:
        headers["Import-Key"] = key
    return api.http.post(PATH, content=body, headers=headers, params=params, timeout=600)


def fetch(api: Api, sql: str, *args: Any) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(asyncpg_dsn(api.platform.database_url("profiles")))
        try:
            await conn.set_type_codec(
                "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
            )
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    return asyncio.run(run())


def counts(api: Api, legacy_shg_ids: list[str]) -> tuple[int, int, int]:
    """Members, SHGs and open memberships under these legacy SHG ids."""
    ids = [shg_client_id(i) for i in legacy_shg_ids]
    row = fetch(
        api,
        "SELECT (SELECT count(*) FROM member m JOIN cbo c ON c.id = m.shg_id"
        "        WHERE c.client_id = ANY($1::uuid[])) AS members,"
        " (SELECT count(*) FROM cbo WHERE client_id = ANY($1::uuid[])) AS shgs,"
        " (SELECT count(*) FROM membership ms JOIN cbo c ON c.id = ms.shg_id"
        "        WHERE c.client_id = ANY($1::uuid[]) AND ms.valid_to IS NULL) AS memberships",
        ids,
    )[0]
    return row["members"], row["shgs"], row["memberships"]


def outbox_mark(api: Api) -> int:
    """The last outbox row so far: the rows after it are the ones a test caused."""
    return int(fetch(api, "SELECT coalesce(max(id), 0) AS n FROM outbox")[0]["n"])


def outbox_types(api: Api, after: int) -> dict[str, int]:
    rows = fetch(api, "SELECT type, count(*) AS n FROM outbox WHERE id > $1 GROUP BY type", after)
    return {r["type"]: r["n"] for r in rows}


def shgs_of(prefix: str, n: int = 5) -> list[str]:
    return [f"{prefix}-SHG-{i}" for i in range(1, n + 1)]


@pytest.fixture(scope="module")
def geo(api: Api) -> SyntheticGeography:
    """Eight blocks of 20 villages, in the masters through the geography import."""
    g = synthetic_geography(random.randrange(10**6), blocks=8, villages_per_block=20)
    r = api.http.post(
        "/v1/geography/import",
        content=g.import_csv().encode(),
        headers={**h(api.token), "Content-Type": "text/csv", "Import-Key": str(uuid.uuid4())},
        timeout=120,
    )
    assert r.status_code == 200, r.text
    return g


def aadhaar(body: int) -> str:
    digits = str(2 * 10**10 + body)
    return digits + verhoeff_check_digit(digits)


BAD_AADHAAR = aadhaar(12345)[:-1] + str((int(aadhaar(12345)[-1]) + 1) % 10)


def small_csv(geo: SyntheticGeography, rows: list[dict[str, str]]) -> bytes:
    """Rows over a default member of the first block's first village."""
    block = geo.blocks[0]
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    w.writeheader()
    for i, fields in enumerate(rows):
        base = {
            "legacy_shg_id": "SHG-1",
            "shg_name": "Durga Mahila SHG",
            "block_lgd_code": block.lgd_code,
            "village_lgd_code": block.villages[0][0],
            "shg_formed_on": "2016-04-01",
            "legacy_member_id": f"M-{i}",
            "member_name": "Sunita Devi",
            "gender": "F",
            "date_of_birth": "1984-02-01",
            "social_category": "OBC",
            "relative_name": "Ramesh Yadav",
            "relation": "HUSBAND",
            "mobile": "9876543210",
            "bank_account": "",
            "ifsc": "",
            "voter_id": "",
            "aadhaar": aadhaar(random.randrange(10**9)),
        }
        w.writerow({**base, **fields})
    return out.getvalue().encode()


def prefixed(prefix: str, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Legacy ids unique to one test, so the counts are the test's own."""
    return [
        {
            **r,
            "legacy_shg_id": f"{prefix}-{r.get('legacy_shg_id', 'SHG-1')}",
            "legacy_member_id": f"{prefix}-{r.get('legacy_member_id', f'M-{i}')}",
        }
        for i, r in enumerate(rows)
    ]


def problem_codes(r: httpx.Response) -> set[str]:
    return {str(e["code"]) for e in r.json().get("errors", [])}


# --- one lakh ------------------------------------------------------------------------------


def test_one_lakh_members_then_a_re_run_that_imports_nothing_twice(
    api: Api, geo: SyntheticGeography
) -> None:
    prefix = f"L{uuid.uuid4().hex[:8]}"
    data, stats = csv_bytes(LAKH, geo, 11, id_prefix=prefix)
    legacy_shgs = [f"{prefix}-SHG-{n:07d}" for n in range(1, stats.shgs + 1)]
    key = f"lakh-{uuid.uuid4()}"
    mark = outbox_mark(api)

    t0 = time.monotonic()
    r = send(api, data, key=key, filename="old-mis-export.csv")
    elapsed = time.monotonic() - t0
    assert r.status_code == 200, r.text[:2000]
    report = r.json()
    assert report["status"] == "imported"
    assert (report["rows"], report["imported"], report["rejected"]) == (
        LAKH,
        stats.good_rows,
        stats.bad_rows,
    )
    # One error per bad row here; the first 1,000 are listed, in row order, plus a count.
    assert len(report["errors"]) == min(1000, stats.bad_rows)
    assert report["more_errors"] == max(0, stats.bad_rows - 1000)
    assert [e["row"] for e in report["errors"]] == sorted(e["row"] for e in report["errors"])
    assert {e["code"] for e in report["errors"]} <= {
        "checksum",
        "invalid",
        "future_date",
        "required",
        "enum",
        "unknown_village",
    }
    print(f"\n1 lakh members through the gateway in {elapsed:.1f}s")

    members = fetch(
        api,
        "SELECT count(*) AS n, count(DISTINCT m.shg_id) AS shgs,"
        " bool_and(m.migrated AND m.status = 'approved' AND m.code IS NULL) AS migrated,"
        " bool_and(m.created_by = 'UP_STATEADMIN') AS by_importer,"
        " bool_and(m.aadhaar_masked = '' OR m.aadhaar_masked ~ '^XXXX XXXX [0-9]{4}$') AS masked,"
        " bool_and(m.bank_account_masked = '' OR m.bank_account_masked ~ '^X+[0-9]{4}$')"
        "   AS bank_masked,"
        " count(*) FILTER (WHERE m.aadhaar_hash <> '') AS with_aadhaar,"
        " bool_and(m.block_lgd_code = c.block_lgd_code"
        "   AND m.village_lgd_code = c.village_lgd_code AND m.district_lgd_code <> ''"
        "   AND m.panchayat_lgd_code <> '') AS placed"
        " FROM member m JOIN cbo c ON c.id = m.shg_id WHERE c.client_id = ANY($1::uuid[])",
        [shg_client_id(i) for i in legacy_shgs],
    )[0]
    assert members["n"] == stats.good_rows
    assert members["shgs"] == stats.shgs_with_members
    assert members["migrated"] and members["by_importer"] and members["placed"]
    assert members["masked"] and members["bank_masked"]
    assert 0.7 * stats.good_rows < members["with_aadhaar"] < 0.9 * stats.good_rows
    assert counts(api, legacy_shgs) == (stats.good_rows, stats.shgs_with_members, stats.good_rows)
    shgs = fetch(
        api,
        "SELECT bool_and(migrated AND status = 'approved' AND code IS NULL"
        " AND cbo_type = 'SHG') AS ok FROM cbo WHERE client_id = ANY($1::uuid[])",
        [shg_client_id(i) for i in legacy_shgs],
    )[0]
    assert shgs["ok"]
    batch = fetch(
        api,
        "SELECT kind, status, rows, imported, rejected, filename, created_by FROM import_batch"
        " WHERE import_key = $1",
        f"migration:{key}",
    )
    assert [tuple(b) for b in batch] == [
        (
            "migration",
            "imported",
            LAKH,
            stats.good_rows,
            stats.bad_rows,
            "old-mis-export.csv",
            "UP_STATEADMIN",
        )
    ]
    assert len(fetch(api, "SELECT 1 FROM audit_log WHERE entity_id = $1", report["import_id"])) == 1
    events = fetch(api, "SELECT envelope FROM outbox WHERE type = 'profiles.migration.imported'")
    assert any(report["import_id"].encode() in bytes(e["envelope"]) for e in events)
    # One created event per SHG and per member inserted, staged in the same transaction.
    assert outbox_types(api, mark) == {
        SHG_CREATED: stats.shgs_with_members,
        MEMBER_CREATED: stats.good_rows,
        IMPORTED: 1,
    }
    mark = outbox_mark(api)

    # The same import again: its first report, nothing added.
    again = send(api, data, key=key)
    assert again.status_code == 200, again.text[:500]
    assert again.json()["status"] == "already_imported"
    assert again.json()["import_id"] == report["import_id"]
    assert again.json()["imported"] == stats.good_rows
    # The same file under another key (here: none, the content's hash): nothing twice.
    other = send(api, data)
    assert other.status_code == 200, other.text[:500]
    assert (other.json()["status"], other.json()["imported"]) == ("imported", 0)
    assert other.json()["rejected"] == stats.bad_rows
    assert send(api, data).json()["status"] == "already_imported"
    assert counts(api, legacy_shgs) == (stats.good_rows, stats.shgs_with_members, stats.good_rows)
    # Nothing inserted, nothing announced: only the second import's own report event.
    assert outbox_types(api, mark) == {IMPORTED: 1}


# --- what the import tells the other services ------------------------------------------------


@pytest.fixture(scope="module")
def own_block(api: Api) -> SyntheticGeography:
    """A district with one block of its own (5 villages): its counts are this module's alone."""
    g = synthetic_geography(random.randrange(10**6), blocks=1, villages_per_block=5)
    r = api.http.post(
        "/v1/geography/import",
        content=g.import_csv().encode(),
        headers={**h(api.token), "Content-Type": "text/csv", "Import-Key": str(uuid.uuid4())},
        timeout=120,
    )
    assert r.status_code == 200, r.text
    return g


def created_events(
    api: Api, after: int
) -> tuple[list[tuple[asyncpg.Record, events_pb2.EventEnvelope]], list[str]]:
    """The created events staged after ``after`` (row and envelope), and all types."""
    rows = fetch(
        api,
        "SELECT event_id, subject, type, request_id, headers, envelope FROM outbox"
        " WHERE id > $1 ORDER BY id",
        after,
    )
    created = [
        (r, events_pb2.EventEnvelope.FromString(bytes(r["envelope"])))
        for r in rows
        if r["type"] in (SHG_CREATED, MEMBER_CREATED)
    ]
    return created, [r["type"] for r in rows]


def test_imported_shgs_and_members_are_announced_as_created(
    api: Api, own_block: SyntheticGeography
) -> None:
    block = own_block.blocks[0]
    village = [v for v, _ in block.villages]
    prefix = f"V{uuid.uuid4().hex[:8]}"
    here = {"block_lgd_code": block.lgd_code, "village_lgd_code": village[0]}
    rows = prefixed(
        prefix,
        [
            {
                **here,
                "legacy_member_id": "M-1",
                "bank_account": "123456789012",
                "ifsc": "SBIN0001234",
                "voter_id": "ABC1234567",
            },
            {
                **here,
                "legacy_member_id": "M-2",
                "date_of_birth": "",
                "social_category": "",
                "relative_name": "",
                "relation": "",
                "mobile": "",
                "aadhaar": "",
            },
            {
                "legacy_shg_id": "SHG-2",
                "block_lgd_code": block.lgd_code,
                "village_lgd_code": village[1],
                "shg_formed_on": "",
                "shg_name": "Laxmi SHG",
                "legacy_member_id": "M-3",
            },
            # M-4 appears under SHG-3 and again under SHG-2: both rows are rejected, the first
            # after it was loaded, and SHG-3 is left without members: neither is announced.
            {
                "legacy_shg_id": "SHG-3",
                "block_lgd_code": block.lgd_code,
                "village_lgd_code": village[2],
                "shg_name": "Ujala SHG",
                "legacy_member_id": "M-4",
            },
            {
                "legacy_shg_id": "SHG-2",
                "block_lgd_code": block.lgd_code,
                "village_lgd_code": village[1],
                "shg_formed_on": "",
                "shg_name": "Laxmi SHG",
                "legacy_member_id": "M-4",
            },
            {**here, "legacy_member_id": "M-5", "gender": "X"},
        ],
    )
    mark = outbox_mark(api)
    r = send(api, small_csv(own_block, rows), key=f"events-{uuid.uuid4()}")
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["rows"], report["imported"], report["rejected"]) == (6, 3, 3), report
    assert counts(api, shgs_of(prefix, 3)) == (3, 2, 3)

    created, types = created_events(api, mark)
    assert sorted(types) == sorted([SHG_CREATED] * 2 + [MEMBER_CREATED] * 3 + [IMPORTED])
    shg_rows = fetch(
        api,
        "SELECT * FROM cbo WHERE client_id = ANY($1::uuid[])",
        [shg_client_id(i) for i in shgs_of(prefix, 3)],
    )
    member_rows = fetch(
        api,
        "SELECT * FROM member WHERE client_id = ANY($1::uuid[])",
        [member_client_id(f"{prefix}-M-{i}") for i in range(1, 6)],
    )
    # Exactly what cbo_event / member_event build from the stored rows.
    expected: dict[str, profiles_pb2.CboEvent | profiles_pb2.MemberEvent] = {}
    for row in shg_rows:
        c = Cbo(**dict(row))
        expected[str(c.id)] = profiles_pb2.CboEvent(cbo=cbo_to_proto(c))
    for row in member_rows:
        m = Member(**dict(row))
        expected[str(m.id)] = member_payload(m)
    assert len(expected) == 5
    got: dict[str, profiles_pb2.CboEvent | profiles_pb2.MemberEvent] = {}
    for row, env in created:
        payload: profiles_pb2.CboEvent | profiles_pb2.MemberEvent
        if row["type"] == SHG_CREATED:
            payload = profiles_pb2.CboEvent()
            assert env.payload.Unpack(payload)
            got[payload.cbo.id] = payload
        else:
            payload = profiles_pb2.MemberEvent()
            assert env.payload.Unpack(payload)
            got[payload.member.id] = payload
        assert (env.event_id, env.type, env.state) == (row["event_id"], row["type"], "up")
        assert row["subject"] == f"lokos.up.{row['type']}"
        assert (env.actor.user_id, env.actor.realm) == ("UP_STATEADMIN", "lokos-up")
        assert env.request_id and env.request_id == row["request_id"]
        assert env.traceparent == row["headers"].get("traceparent", "")
    assert got == expected
    members = [p for p in got.values() if isinstance(p, profiles_pb2.MemberEvent)]
    assert sum(1 for m in members if m.aadhaar_hash) == 2
    assert sum(1 for m in members if m.bank_account_hash) == 1
    assert all(m.member.panchayat_lgd_code and m.member.district_lgd_code for m in members)
    assert len({env.event_id for _, env in created}) == 5
    shg_ids = {str(row["id"]) for row in shg_rows}

    # Reports counts them on the dashboard; identity keeps them for the Block Admin to map
    # bookkeepers to. Both consume asynchronously, behind the relay.
    t0 = time.monotonic()
    assert wait_for(lambda: api.dashboard_count(block.lgd_code) == 2, timeout=240), (
        api.dashboard_count(block.lgd_code)
    )
    print(f"\ndashboard caught up in {time.monotonic() - t0:.1f}s")
    district_admin = f"UP_DA{new_code(6)}"
    r = create_user(
        api.http,
        api.token,
        district_admin,
        "DISTRICT_ADMIN",
        "district",
        [block.district],
        password=PW,
    )
    assert r.status_code == 201, r.text
    block_admin = f"UP_BA{new_code(6)}"
    r = create_user(
        api.http,
        token(api.http, district_admin, PW),
        block_admin,
        "BLOCK_ADMIN",
        "block",
        [block.lgd_code],
        password=PW,
    )
    assert r.status_code == 201, r.text
    ba = token(api.http, block_admin, PW)

    def unlinked() -> set[str]:
        r = api.http.get(
            "/v1/cbos/unlinked",
            params={"block_lgd_code": block.lgd_code, "limit": "250"},
            headers=h(ba),
        )
        assert r.status_code == 200, r.text
        return {c["cbo_id"] for c in r.json()["items"]}

    assert wait_for(lambda: unlinked() == shg_ids, timeout=240), unlinked()


def test_a_re_run_announces_nothing(api: Api, own_block: SyntheticGeography) -> None:
    block = own_block.blocks[0]
    prefix = f"N{uuid.uuid4().hex[:8]}"
    rows = prefixed(
        prefix,
        [
            {"block_lgd_code": block.lgd_code, "village_lgd_code": block.villages[3][0]},
            {"block_lgd_code": block.lgd_code, "village_lgd_code": block.villages[3][0]},
            {
                "legacy_shg_id": "SHG-2",
                "block_lgd_code": block.lgd_code,
                "village_lgd_code": block.villages[4][0],
            },
        ],
    )
    data, key = small_csv(own_block, rows), f"rerun-{uuid.uuid4()}"
    mark = outbox_mark(api)
    r = send(api, data, key=key)
    assert (r.status_code, r.json()["imported"]) == (200, 3), r.text
    assert outbox_types(api, mark) == {SHG_CREATED: 2, MEMBER_CREATED: 3, IMPORTED: 1}

    total = fetch(api, "SELECT count(*) AS n FROM outbox")[0]["n"]
    again = send(api, data, key=key)
    assert again.json()["status"] == "already_imported", again.text
    assert fetch(api, "SELECT count(*) AS n FROM outbox")[0]["n"] == total
    # Under another key the import runs, inserts nothing and announces nothing (its report
    # is its only event).
    mark = outbox_mark(api)
    other = send(api, data, key=f"rerun-{uuid.uuid4()}")
    assert (other.json()["status"], other.json()["imported"]) == ("imported", 0), other.text
    assert outbox_types(api, mark) == {IMPORTED: 1}
    assert fetch(api, "SELECT count(*) AS n FROM outbox")[0]["n"] == total + 1
    assert counts(api, shgs_of(prefix, 2)) == (3, 2, 3)


# --- bad rows ------------------------------------------------------------------------------


def test_duplicate_member_ids_within_the_file(api: Api, geo: SyntheticGeography) -> None:
    prefix = f"D{uuid.uuid4().hex[:8]}"
    rows = prefixed(
        prefix,
        [
            {"legacy_member_id": "M-1"},
            {"legacy_member_id": "M-2"},
            {"legacy_member_id": "M-2"},  # again in the same SHG: the first stays
            {"legacy_shg_id": "SHG-2", "legacy_member_id": "M-3"},
            {"legacy_shg_id": "SHG-2", "legacy_member_id": "M-1"},  # M-1 under two SHGs
        ],
    )
    r = send(api, small_csv(geo, rows))
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["rows"], report["imported"], report["rejected"]) == (5, 2, 3)
    assert [(e["row"], e["code"]) for e in report["errors"]] == [
        (2, "member_in_two_shgs"),
        (4, "duplicate_member"),
        (6, "member_in_two_shgs"),
    ]
    assert counts(api, shgs_of(prefix)) == (2, 2, 2)


def test_rows_of_unknown_blocks_and_villages_are_rejected_and_the_rest_imported(
    api: Api, geo: SyntheticGeography
) -> None:
    prefix = f"G{uuid.uuid4().hex[:8]}"
    other_block = geo.blocks[1]
    rows = prefixed(
        prefix,
        [
            {},
            {"legacy_shg_id": "SHG-2", "block_lgd_code": "99999999999"},
            {"legacy_shg_id": "SHG-3", "village_lgd_code": "88888888888888"},
            {"legacy_shg_id": "SHG-4", "village_lgd_code": other_block.villages[0][0]},
            {"legacy_shg_id": "SHG-4", "village_lgd_code": other_block.villages[0][0]},
            {"aadhaar": BAD_AADHAAR},
        ],
    )
    r = send(api, small_csv(geo, rows))
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["rows"], report["imported"], report["rejected"]) == (6, 1, 5)
    assert [(e["row"], e["column"], e["code"]) for e in report["errors"]] == [
        (3, "block_lgd_code", "unknown_block"),
        (4, "village_lgd_code", "unknown_village"),
        (5, "village_lgd_code", "village_not_in_block"),
        (6, "village_lgd_code", "village_not_in_block"),
        (7, "aadhaar", "checksum"),
    ]
    assert all(BAD_AADHAAR not in e["message"] for e in report["errors"])
    assert counts(api, shgs_of(prefix)) == (1, 1, 1)


def test_a_block_admin_imports_only_into_her_block(api: Api, geo: SyntheticGeography) -> None:
    mine, other = geo.blocks[2], geo.blocks[3]
    district_admin = f"UP_DA{new_code(6)}"
    r = create_user(
        api.http,
        api.token,
        district_admin,
        "DISTRICT_ADMIN",
        "district",
        [mine.district],
        password=PW,
    )
    assert r.status_code == 201, r.text
    block_admin = f"UP_BA{new_code(6)}"
    r = create_user(
        api.http,
        token(api.http, district_admin, PW),
        block_admin,
        "BLOCK_ADMIN",
        "block",
        [mine.lgd_code],
        password=PW,
    )
    assert r.status_code == 201, r.text
    prefix = f"S{uuid.uuid4().hex[:8]}"
    rows = prefixed(
        prefix,
        [
            {"block_lgd_code": mine.lgd_code, "village_lgd_code": mine.villages[0][0]},
            {
                "legacy_shg_id": "SHG-2",
                "block_lgd_code": other.lgd_code,
                "village_lgd_code": other.villages[0][0],
            },
        ],
    )
    r = send(api, small_csv(geo, rows), tok=token(api.http, block_admin, PW))
    assert r.status_code == 200, r.text
    assert [(e["row"], e["code"]) for e in r.json()["errors"]] == [(3, "out_of_scope")]
    assert counts(api, shgs_of(prefix)) == (1, 1, 1)
    created_by = fetch(
        api,
        "SELECT created_by FROM cbo WHERE client_id = $1::uuid",
        shg_client_id(f"{prefix}-SHG-1"),
    )
    assert [c["created_by"] for c in created_by] == [block_admin]


# --- whole files ---------------------------------------------------------------------------


def test_wrong_columns_import_nothing(api: Api, geo: SyntheticGeography) -> None:
    prefix = f"C{uuid.uuid4().hex[:8]}"
    text = small_csv(geo, prefixed(prefix, [{}])).decode()
    r = send(api, text.replace("aadhaar", "aadhar_no", 1).encode())
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert {(e["field"], e["code"]) for e in r.json()["errors"]} == {
        ("aadhaar", "missing_column"),
        ("aadhar_no", "unknown_column"),
    }
    assert counts(api, shgs_of(prefix)) == (0, 0, 0)


def test_latin1_bytes_import_nothing(api: Api, geo: SyntheticGeography) -> None:
    prefix = f"E{uuid.uuid4().hex[:8]}"
    data = small_csv(geo, prefixed(prefix, [{}, {"member_name": "Sunita Devi"}] * 3))
    data = data.replace(b"Sunita Devi", "Sunïta Devi".encode("latin-1"))
    r = send(api, data)
    assert r.status_code == 422, r.text
    assert problem_codes(r) == {"not_utf8"}
    assert "UTF-8" in r.json()["detail"] and "row 2" in r.json()["detail"]
    assert counts(api, shgs_of(prefix)) == (0, 0, 0)


def test_ten_megabytes_of_random_garbage_get_a_quick_422(api: Api) -> None:
    before = fetch(api, "SELECT count(*) AS n FROM member")[0]["n"]
    t0 = time.monotonic()
    r = send(api, os.urandom(10 * 1024 * 1024))
    assert r.status_code == 422, r.text
    assert time.monotonic() - t0 < 10
    assert problem_codes(r) == {"not_utf8"}
    assert fetch(api, "SELECT count(*) AS n FROM member")[0]["n"] == before


def test_an_empty_file_and_a_header_alone_are_refused(api: Api) -> None:
    r = send(api, b"")
    assert r.status_code == 422, r.text
    assert problem_codes(r) == {"empty_file"}
    r = send(api, (",".join(COLUMNS) + "\n").encode())
    assert r.status_code == 422, r.text
    assert problem_codes(r) == {"no_rows"}


def test_a_file_of_bad_rows_only_is_rejected_whole(api: Api, geo: SyntheticGeography) -> None:
    prefix = f"R{uuid.uuid4().hex[:8]}"
    rows = prefixed(prefix, [{"gender": "X"}, {"date_of_birth": "2999-01-01"}])
    key = f"rejected-{uuid.uuid4()}"
    r = send(api, small_csv(geo, rows), key=key)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "import_rejected"
    assert (body["rows"], body["rejected"]) == (2, 2)
    assert [(e["row"], e["field"], e["code"]) for e in body["errors"]] == [
        (2, "gender", "enum"),
        (3, "date_of_birth", "future_date"),
    ]
    assert counts(api, shgs_of(prefix)) == (0, 0, 0)
    # Nothing was recorded: once fixed, the file goes in under the same key.
    rows[0]["gender"], rows[1]["date_of_birth"] = "F", "1990-01-01"
    fixed = send(api, small_csv(geo, rows), key=key)
    assert (fixed.status_code, fixed.json()["imported"]) == (200, 2), fixed.text


def test_the_endpoint_s_other_inputs_are_checked(api: Api, geo: SyntheticGeography) -> None:
    data = small_csv(geo, prefixed(f"O{uuid.uuid4().hex[:8]}", [{}]))
    r = send(api, data, key="has spaces in it")
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "Import-Key"
    r = send(api, data, filename="x" * 300)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "filename"
    r = send(api, b'{"rows": [1, 2, 3]}', content_type="application/json")
    assert r.status_code == 415, r.text
    assert r.json()["code"] == "unsupported_media"
    r = api.http.post(PATH, content=data, headers={"Content-Type": "text/csv"})
    assert r.status_code == 401, r.text


def test_a_declared_size_over_the_limit_gets_413_before_the_upload(api: Api) -> None:
    url = urlsplit(api.platform.gateway_url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as s:
        s.sendall(
            (
                f"POST {PATH} HTTP/1.1\r\nHost: {url.hostname}\r\n"
                f"Authorization: Bearer {api.token}\r\nContent-Type: text/csv\r\n"
                f"Content-Length: {600 * 1024 * 1024}\r\nConnection: close\r\n\r\n"
            ).encode()
        )
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"payload_too_large" in answer
