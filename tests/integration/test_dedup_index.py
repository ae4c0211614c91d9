"""The de-duplication index and rules against real PostgreSQL (a fresh dedup database per
test): each rule, decisions and their fingerprints, the version guard, SHG flags, the batch
event path and the refresh job's idempotency."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from launcher.platform import Platform
from lokos import context
from lokos.common.v1 import events_pb2
from lokos.db import Database, asyncpg_dsn, prepare_database
from lokos.dedup.v1 import dedup_pb2
from lokos.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from lokos.events import Event
from lokos.principal import Principal, RoleGrant, Scope
from lokos.profiles.v1 import profiles_pb2
from services.dedup import consumers as dedup_events
from services.dedup import rules
from services.dedup.refresh import Refresher
from services.dedup.service import Dedup
from services.profiles import identifiers

MIGRATIONS = Path(__file__).parents[2] / "services" / "dedup" / "migrations"
STATE = "it"
KEY = b"integration-test-identifier-key"


@pytest.fixture
async def db(platform: Platform) -> AsyncIterator[Database]:
    url = platform.database_url("dedup").rsplit("/", 1)[0] + f"/dd_{uuid.uuid4().hex[:12]}"
    await prepare_database(MIGRATIONS, url, create=True)
    database = Database(url, pool_size=4)
    await database.open_read_pool()
    yield database
    await database.dispose()


def staff(role: str, level: str, *codes: str, state: str = STATE) -> Principal:
    return Principal(
        user_id=f"{role.lower()}-{'-'.join(codes) or level}",
        state=state,
        realm=f"lokos-{state}",
        roles=(RoleGrant(role, Scope(level, frozenset(codes))),),
    )


ADMIN = staff("STATE_ADMIN", "state")
BPM_1 = staff("BLOCK_PROGRAM_MANAGER", "block", "101")
BPM_2 = staff("BLOCK_PROGRAM_MANAGER", "block", "102")


@dataclass
class M:
    """A member as profiles would send her (identifiers hashed with the state's key)."""

    name: str
    relative: str = ""
    block: str = "101"
    panchayat: str = "1001"
    village: str = "10001"
    aadhaar: str = ""
    account: str = ""
    ifsc: str = ""
    voter: str = ""
    mobile: str = ""
    household: str = ""
    status: str = "pending"
    version: int = 1
    code: str = ""
    id: str = ""
    shg: str = ""
    gender: str = ""

    def __post_init__(self) -> None:
        self.id = self.id or str(uuid.uuid4())
        self.shg = self.shg or str(uuid.uuid4())

    def record(self) -> dedup_pb2.MemberRecord:
        return dedup_pb2.MemberRecord(
            member_id=self.id,
            code=self.code,
            shg_id=self.shg,
            state=STATE,
            district_lgd_code="11",
            block_lgd_code=self.block,
            panchayat_lgd_code=self.panchayat,
            village_lgd_code=self.village,
            name=self.name,
            relative_name=self.relative,
            household_code=self.household,
            status=self.status,
            version=self.version,
            aadhaar_hash=identifiers.aadhaar_hash(KEY, self.aadhaar) if self.aadhaar else "",
            bank_account_hash=(
                identifiers.bank_hash(KEY, self.account, self.ifsc) if self.account else ""
            ),
            voter_id_hash=identifiers.voter_id_hash(KEY, self.voter) if self.voter else "",
            mobile_hash=identifiers.mobile_hash(KEY, self.mobile) if self.mobile else "",
            gender=self.gender,
        )


def aadhaar(seed: int) -> str:
    base = f"{2 + seed % 7}{seed:010d}"[-11:]
    return base + identifiers.verhoeff_check_digit(base)


async def check(
    dedup: Dedup, m: M, principal: Principal = ADMIN, *, identifiers_only: bool = False
) -> dedup_pb2.CheckResult:
    from services.dedup.service import result_to_proto

    async with dedup.db.session() as session:
        checked = await dedup.check(
            session,
            principal,
            dedup_pb2.CheckMemberRequest(
                member=m.record(), record=True, identifiers_only=identifiers_only
            ),
        )
    return result_to_proto(checked, principal)


async def outbox_types(db: Database) -> list[str]:
    conn = await asyncpg.connect(asyncpg_dsn(db.url))
    try:
        return [r[0] for r in await conn.fetch("SELECT type FROM outbox ORDER BY id")]
    finally:
        await conn.close()


# --- the rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "rule"),
    [
        (
            {"aadhaar": aadhaar(11)},
            {"aadhaar": " ".join([aadhaar(11)[:4], aadhaar(11)[4:8], aadhaar(11)[8:]])},
            "aadhaar",
        ),
        (
            {"account": "001234567890", "ifsc": "SBIN0001234"},
            {"account": "1234567890", "ifsc": "sbin0001234"},
            "bank_account",
        ),
        ({"voter": "ABC1234567"}, {"voter": "abc 1234567"}, "voter_id"),
    ],
)
async def test_same_strong_identifier_is_a_confirmed_duplicate(
    db: Database, first: dict[str, str], second: dict[str, str], rule: str
) -> None:
    dedup = Dedup(db, STATE)
    a = M("Sunita Devi", "Ram Prasad", status="approved", code="M-0001", **first)
    assert (await check(dedup, a)).status == "none"
    b = M("Kamla Bai", "Mohan Lal", block="102", panchayat="2001", village="20001", **second)
    result = await check(dedup, b)
    assert result.status == "confirmed"
    (match,) = result.matches
    assert (match.kind, list(match.rules), match.other_code) == ("confirmed", [rule], "M-0001")
    assert (match.other_state, match.other_block_lgd_code) == (STATE, "101")
    # Recorded: the index, the status, and the events of the check.
    assert await outbox_types(db) == [
        "dedup.member.checked",
        "dedup.member.checked",
        "dedup.duplicate.found",
    ]


async def test_a_rejected_or_inactive_record_does_not_block_another(db: Database) -> None:
    dedup = Dedup(db, STATE)
    number = aadhaar(12)
    await check(dedup, M("Sunita Devi", "Ram Prasad", aadhaar=number, status="rejected"))
    await check(dedup, M("Rekha Devi", "Shyam Lal", aadhaar=number, status="inactive"))
    assert (await check(dedup, M("Gita Devi", "Mohan", aadhaar=number))).status == "none"


async def test_shared_mobile_is_potential_except_within_a_household(db: Database) -> None:
    dedup = Dedup(db, STATE)
    await check(dedup, M("Sunita Devi", "Ram Prasad", mobile="9876543210", household="H1"))
    same_house = await check(
        dedup, M("Kamla Devi", "Ram Prasad", mobile="98765 43210", household="H1")
    )
    assert same_house.status == "none"
    other = await check(dedup, M("Rekha Bai", "Mohan Lal", mobile="+91 9876543210", household="H9"))
    assert other.status == "potential"
    assert {tuple(m.rules) for m in other.matches} == {("mobile",)}


async def test_similar_name_and_relative_in_the_panchayat_is_potential(db: Database) -> None:
    dedup = Dedup(db, STATE)
    await check(dedup, M("Sita Devi", "Ramesh Kumar", village="10001", status="approved"))
    # Another village of the same panchayat: a spelling variant of both names.
    near = await check(dedup, M("Smt. Seeta Devi", "Ramesh Kumar", village="10002"))
    assert near.status == "potential"
    assert list(near.matches[0].rules) == ["name"]
    assert near.matches[0].name_score >= rules.DEFAULT_RULES[4].name_threshold
    # Another panchayat: not a candidate at all.
    far = await check(dedup, M("Seeta Devi", "Ramesh Kumar", panchayat="1002", village="10003"))
    assert far.status == "none"
    # Same name, different husband: not the same woman.
    other = await check(dedup, M("Sita Devi", "Govind Yadav", village="10001"))
    assert other.status == "none"
    # Typed in Devanagari: the same woman.
    hindi = await check(dedup, M("सीता देवी", "रमेश कुमार", village="10001"))
    assert hindi.status == "potential"


async def test_half_agreeing_name_and_relative_is_not_flagged(db: Database) -> None:
    dedup = Dedup(db, STATE)
    await check(dedup, M("Laxmi Mishra", "Ramesh Nath", status="approved"))
    # One token of each name agrees, the surnames do not: too common to flag.
    assert (await check(dedup, M("Lakshmi Devi", "Ramesh Kumar"))).status == "none"
    # The name agrees fully (a spelling variant), the husband's surname is missing: flagged.
    assert (await check(dedup, M("Lakshmi Mishra", "Ramesh"))).status == "potential"


async def test_confirmed_rules_come_first_and_identifiers_only_skips_names(db: Database) -> None:
    dedup = Dedup(db, STATE)
    number = aadhaar(13)
    await check(dedup, M("Sita Devi", "Ramesh Kumar", aadhaar=number, status="approved"))
    both = await check(dedup, M("Seeta Devi", "Ramesh Kumar", aadhaar=number))
    assert both.status == "confirmed" and list(both.matches[0].rules) == ["aadhaar"]
    names_only = M("Seeta Devi", "Ramesh Kumar")
    assert (await check(dedup, names_only, identifiers_only=True)).status == "none"
    assert (await check(dedup, names_only)).status == "potential"


async def test_rules_are_data_per_state(db: Database) -> None:
    dedup = Dedup(db, STATE)
    await check(dedup, M("Sunita Devi", "Ram Prasad", mobile="9876543210"))
    assert (await check(dedup, M("Rekha Bai", "Mohan Lal", mobile="9876543210"))).status == (
        "potential"
    )
    async with db.session() as s:
        with pytest.raises(PermissionDenied):
            await dedup.set_rules(s, BPM_1, [rules.Rule("mobile", "off")])
    async with db.session() as s:
        with pytest.raises(ValidationFailed) as bad:
            await dedup.set_rules(
                s,
                ADMIN,
                [
                    rules.Rule("name", "confirmed", 20.0, 90.0, "district"),
                    rules.Rule("pan", "confirmed"),
                ],
            )
    fields = {e.field for e in bad.value.field_errors}
    assert {
        "rules[0].kind",
        "rules[0].name_threshold",
        "rules[0].within",
        "rules[1].name",
    } <= fields
    async with db.session() as s:
        saved = await dedup.set_rules(s, ADMIN, [rules.Rule("mobile", "off")])
    assert saved.kind_of("mobile") == "off" and saved.kind_of("aadhaar") == "confirmed"
    # (another woman: the name rule is still on)
    assert (await check(dedup, M("Gita Kumari", "Hari Om", mobile="9876543210"))).status == "none"


# --- decisions -----------------------------------------------------------------------------


async def test_override_holds_until_a_name_or_identifier_changes(db: Database) -> None:
    dedup = Dedup(db, STATE)
    a = M("Sita Devi", "Ramesh Kumar", status="approved", code="M-7")
    await check(dedup, a)
    b = M("Seeta Devi", "Ramesh Kumar", village="10002")
    assert (await check(dedup, b)).status == "potential"
    decide = dedup_pb2.DecidePairRequest(
        member_id=b.id, other_member_id=a.id, decision="not_duplicate", reason=""
    )
    async with db.session() as s:
        with pytest.raises(ValidationFailed) as no_reason:
            await dedup.decide(s, BPM_1, decide)
    assert no_reason.value.field_errors[0].field == "reason"
    decide.reason = "Different women: checked the ration cards"
    async with db.session() as s:
        with pytest.raises(PermissionDenied):
            await dedup.decide(s, staff("BLOCK_ADMIN", "block", "101"), decide)
    async with db.session() as s:
        with pytest.raises(NotFound):
            await dedup.decide(s, BPM_2, decide)
    async with db.session() as s:
        after = await dedup.decide(s, BPM_1, decide)
    assert after.status == "none"
    assert after.found[0].decision == "not_duplicate"
    # Checked again unchanged: still not flagged.
    assert (await check(dedup, b)).status == "none"
    # Her mobile changes: flagged again (the decision was about the records as they were).
    b.mobile, b.version = "9123456789", 2
    assert (await check(dedup, b)).status == "potential"


async def test_a_confirmed_duplicate_cannot_be_overridden(db: Database) -> None:
    dedup = Dedup(db, STATE)
    number = aadhaar(14)
    a = M("Sunita Devi", "Ram Prasad", aadhaar=number, status="approved", code="M-9")
    await check(dedup, a)
    b = M("Kamla Bai", "Mohan Lal", aadhaar=number)
    await check(dedup, b)
    async with db.session() as s:
        with pytest.raises(Conflict) as refused:
            await dedup.decide(
                s,
                BPM_1,
                dedup_pb2.DecidePairRequest(
                    member_id=b.id,
                    other_member_id=a.id,
                    decision="not_duplicate",
                    reason="The bookkeeper says they differ",
                ),
            )
    assert refused.value.code == "confirmed_duplicate" and "aadhaar" in str(refused.value)


# --- scope ---------------------------------------------------------------------------------


async def test_checker_sees_other_blocks_duplicate_without_personal_data(db: Database) -> None:
    from services.dedup.service import result_to_proto

    dedup = Dedup(db, STATE)
    number = aadhaar(15)
    a = M("Sunita Devi", "Ram Prasad", aadhaar=number, status="approved", code="M-11")
    await check(dedup, a)
    b = M("Kamla Bai", "Mohan Lal", block="102", panchayat="2001", village="20001", aadhaar=number)
    await check(dedup, b)
    seen = result_to_proto(await dedup.duplicates(BPM_2, b.id), BPM_2)
    (m,) = seen.matches
    assert (m.other_code, m.other_block_lgd_code, m.other_state) == ("M-11", "101", STATE)
    assert (m.other_in_scope, m.other_name, m.other_relative_name, m.other_village_lgd_code) == (
        False,
        "",
        "",
        "",
    )
    # The first checker sees her own member's side, with the other record's name withheld too.
    seen_1 = result_to_proto(await dedup.duplicates(BPM_1, a.id), BPM_1)
    assert seen_1.matches[0].other_member_id == b.id and not seen_1.matches[0].other_name
    # The state admin reaches both.
    assert result_to_proto(await dedup.duplicates(ADMIN, b.id), ADMIN).matches[0].other_name == (
        "Sunita Devi"
    )
    with pytest.raises(NotFound):
        await dedup.duplicates(BPM_1, b.id)
    with pytest.raises(NotFound):
        await dedup.duplicates(staff("STATE_ADMIN", "state", state="zz"), b.id)


# --- bad input -----------------------------------------------------------------------------


async def test_bad_records_are_refused_field_by_field(db: Database) -> None:
    dedup = Dedup(db, STATE)
    m = M("x" * 500, "Ram")
    record = m.record()
    record.member_id = "not-a-uuid"
    record.aadhaar_hash = "1234"
    record.state = "zz"
    record.block_lgd_code = ""
    async with db.session() as s:
        with pytest.raises(ValidationFailed) as bad:
            await dedup.check(s, ADMIN, dedup_pb2.CheckMemberRequest(member=record, record=True))
    fields = {e.field for e in bad.value.field_errors}
    assert {
        "member.member_id",
        "member.aadhaar_hash",
        "member.state",
        "member.block_lgd_code",
        "member.name",
    } <= fields
    # Nothing was indexed.
    conn = await asyncpg.connect(asyncpg_dsn(db.url))
    try:
        assert await conn.fetchval("SELECT count(*) FROM member_index") == 0
    finally:
        await conn.close()
    # Odd but valid names are handled, not crashed on.
    for name in ("🙂🙂", "...", "1234", "K", "ಲಕ್ಷ್ಮಿ", "Smt.", "a\x00b"):
        assert (await check(dedup, M(name, "Ram"))).status in ("none", "potential")


# --- SHG flags and the event path ----------------------------------------------------------


def _event(event_type: str, payload: object, request_id: str = "") -> Event:
    env = events_pb2.EventEnvelope(
        event_id=str(uuid.uuid4()), type=event_type, state=STATE, request_id=request_id
    )
    env.payload.Pack(payload)  # type: ignore[arg-type]
    return Event(env, f"lokos.{STATE}.{event_type}", 1)


def _member_event(m: M) -> profiles_pb2.MemberEvent:
    r = m.record()
    return profiles_pb2.MemberEvent(
        member=profiles_pb2.MemberView(
            id=r.member_id,
            shg_id=r.shg_id,
            state=r.state,
            district_lgd_code=r.district_lgd_code,
            block_lgd_code=r.block_lgd_code,
            panchayat_lgd_code=r.panchayat_lgd_code,
            village_lgd_code=r.village_lgd_code,
            name=r.name,
            relative_name=r.relative_name,
            status=r.status,
            version=r.version,
            code=r.code,
        ),
        aadhaar_hash=r.aadhaar_hash,
        bank_account_hash=r.bank_account_hash,
        voter_id_hash=r.voter_id_hash,
        mobile_hash=r.mobile_hash,
    )


def _shg_event(shg_id: str, name: str, village: str, version: int = 1) -> profiles_pb2.CboEvent:
    return profiles_pb2.CboEvent(
        cbo=profiles_pb2.CboView(
            id=shg_id,
            cbo_type="SHG",
            name=name,
            state=STATE,
            block_lgd_code="101",
            village_lgd_code=village,
            status="approved",
            version=version,
        )
    )


async def test_batch_events_index_members_check_submissions_and_flag_shgs(
    db: Database,
) -> None:
    dedup = Dedup(db, STATE)
    handlers = dedup_events.Handlers(dedup)
    number = aadhaar(16)
    shg_a, shg_b, shg_c = (str(uuid.uuid4()) for _ in range(3))
    a = M("Sunita Devi", "Ram Prasad", aadhaar=number, status="approved", code="M-1", shg=shg_a)
    b = M("Kamla Bai", "Mohan Lal", aadhaar=number, status="new", shg=shg_b)
    batch = [
        _event("profiles.shg.created", _shg_event(shg_a, "Durga Mahila SHG", "10001")),
        _event("profiles.shg.created", _shg_event(shg_b, "Laxmi SHG", "10001")),
        _event(
            "profiles.shg.created",
            _shg_event(shg_c, "Durga Mahila Swayam Sahayata Samuh", "10001"),
        ),
        _event("profiles.member.created", _member_event(a)),
        _event("profiles.member.created", _member_event(b)),
    ]
    b_submitted = M(**{**b.__dict__, "status": "pending", "version": 2})
    batch.append(_event("profiles.member.submitted", _member_event(b_submitted), "req-1"))
    # An older version arriving late changes nothing.
    batch.append(_event("profiles.member.changed", _member_event(b)))
    context.current_principal.set(ADMIN)
    async with db.session() as s:
        await handlers.dispatch(s, batch)
        await s.commit()
    conn = await asyncpg.connect(asyncpg_dsn(db.url))
    try:
        row = await conn.fetchrow(
            "SELECT status, version, dup_status FROM member_index WHERE member_id = $1",
            uuid.UUID(b.id),
        )
        assert tuple(row) == ("pending", 2, "confirmed")
        flags = {
            str(r[0]): (r[1], list(r[2]))
            for r in await conn.fetch("SELECT shg_id, flagged, reasons FROM shg_index")
        }
        found = await conn.fetch(
            "SELECT type, request_id FROM outbox WHERE type LIKE 'dedup.%' ORDER BY id"
        )
    finally:
        await conn.close()
    # Durga and its long-form twin share a village; Laxmi and Durga share a member.
    assert flags[shg_c] == (True, ["same_name_in_village"])
    assert flags[shg_a] == (True, ["same_name_in_village", "overlapping_members"])
    assert flags[shg_b] == (True, ["overlapping_members"])
    assert ("dedup.duplicate.found", "req-1") in {(r[0], r[1]) for r in found}
    assert sum(1 for r in found if r[0] == "dedup.shg.flagged") >= 3


# --- refresh -------------------------------------------------------------------------------


async def test_refresh_runs_once_per_block_and_gives_the_same_result_twice(db: Database) -> None:
    dedup = Dedup(db, STATE)
    refresher = Refresher(dedup)
    number = aadhaar(17)
    members = [
        M("Sunita Devi", "Ram Prasad", aadhaar=number, status="approved", code="M-2"),
        M("Kamla Bai", "Mohan Lal", aadhaar=number, status="new"),
        M("Rekha Devi", "Shyam Lal", mobile="9000000001", status="new"),
        M("Gita Kumari", "Hari Om", mobile="9000000001", status="new"),
        M("Parvati Devi", "Lalu Ram", status="new"),
    ]
    handlers = dedup_events.Handlers(dedup)
    context.current_principal.set(ADMIN)
    async with db.session() as s:
        await handlers.dispatch(
            s, [_event("profiles.member.created", _member_event(m)) for m in members]
        )
        await s.commit()
    job, existing = await refresher.start(BPM_1, "101")
    again, existing_again = await refresher.start(BPM_1, "101")
    assert (existing, existing_again, again["id"]) == (False, True, job["id"])
    with pytest.raises(NotFound):
        await refresher.start(BPM_2, "101")
    with pytest.raises(ValidationFailed):
        await refresher.start(BPM_1, "10 1; drop")

    async def run_once() -> dict[str, object]:
        claimed = await refresher._claim()
        assert claimed is not None
        await refresher.process(claimed)
        return await refresher.get(BPM_1, str(claimed["id"]))

    async def statuses() -> dict[str, str]:
        conn = await asyncpg.connect(asyncpg_dsn(db.url))
        try:
            rows = await conn.fetch("SELECT member_id, dup_status FROM member_index")
        finally:
            await conn.close()
        return {str(r[0]): r[1] for r in rows}

    first = await run_once()
    assert (first["status"], first["total"], first["done"]) == ("done", 4, 4)
    assert (first["confirmed"], first["potential"]) == (1, 2)
    before = await statuses()
    assert before[members[1].id] == "confirmed" and before[members[4].id] == "none"
    second_job, _ = await refresher.start(BPM_1, "101")
    assert second_job["id"] != job["id"]
    second = await run_once()
    assert (second["confirmed"], second["potential"]) == (1, 2)
    assert await statuses() == before


async def test_bulk_build_gives_the_index_the_event_path_gives(db: Database) -> None:
    from services.dedup import bulk, matching
    from services.dedup.service import record_from_proto

    dedup = Dedup(db, STATE)
    number = aadhaar(18)
    loaded = [
        M("Sita Devi", "Ramesh Kumar", aadhaar=number, status="approved", code="M-3"),
        M("Kamla Bai", "Mohan Lal", mobile="9000000002", status="approved"),
    ]

    async def batches() -> AsyncIterator[tuple[list[Any], list[Any]]]:
        rows: list[Any] = []
        keys: list[Any] = []
        for m in loaded:
            rec, _, version, migrated = record_from_proto(m.record(), STATE)
            row, key_rows = bulk.rows_for(rec, status=m.status, version=version, migrated=migrated)
            rows.append(row)
            keys += key_rows
        yield rows, keys

    conn = await asyncpg.connect(asyncpg_dsn(db.url))
    try:
        times = await bulk.build(conn, batches())
        assert times.rows == 2
        indexes = {
            r[0]
            for r in await conn.fetch(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'member_index'"
            )
        }
        assert {"ix_member_index_aadhaar", "ix_member_index_mobile"} <= indexes
        with pytest.raises(RuntimeError):
            await bulk.build(conn, batches())
    finally:
        await conn.close()
    # A member checked later finds the bulk-loaded ones by identifier and by name.
    dup = await check(dedup, M("Seeta Devi", "Ramesh Kumar", aadhaar=number))
    assert dup.status == "confirmed" and dup.matches[0].other_code == "M-3"
    assert (await check(dedup, M("Seeta Devi", "Ramesh Kumar"))).status == "potential"
    assert matching.fingerprint(record_from_proto(loaded[0].record(), STATE)[0]) is not None


async def test_rekey_gives_members_indexed_under_older_name_rules_their_keys(
    db: Database,
) -> None:
    from services.dedup import bulk

    dedup = Dedup(db, STATE)
    first = M("Pushpammal", "Selvaraj", status="approved", code="M-9")
    assert (await check(dedup, first)).status == "none"
    other_block = M("Ponnammal", "Ramasamy", block="102", panchayat="2001")
    await check(dedup, other_block)
    conn = await asyncpg.connect(asyncpg_dsn(db.url))
    try:
        # As an index built before -ammal was split off would hold her.
        await conn.execute("UPDATE member_index SET name_keys = '{pspml}'")
        await conn.execute("UPDATE member_name_key SET key = 'pspml' WHERE key = 'psp'")
        await conn.execute("DELETE FROM member_name_key WHERE key LIKE '%:%'")
        assert (await check(dedup, M("Pushpa", "Selvaraj"))).status == "none"
        # Pushpa was indexed by the check with current keys: only Pushpammal is stale.
        assert await bulk.rekey(conn, block="101") == 1
        assert await bulk.rekey(conn, block="101") == 0
        assert await conn.fetchval(
            "SELECT name_keys FROM member_index WHERE block_lgd_code = '102'"
        ) == ["pspml"]
        assert await bulk.rekey(conn) == 1
    finally:
        await conn.close()
    found = await check(dedup, M("Pushpa", "Selvaraj"))
    assert found.status == "potential"
    assert "M-9" in {m.other_code for m in found.matches}


async def test_the_indexed_gender_keeps_a_brother_from_his_sisters_name(db: Database) -> None:
    dedup = Dedup(db, STATE)
    await check(dedup, M("Kiran Kumari", "Ram Sevak", gender="F", status="approved"))
    assert (await check(dedup, M("Kiran", "Ram Sevak", gender="M"))).status == "none"
    assert (await check(dedup, M("Kiran", "Ram Sevak", gender="F"))).status == "potential"
    bad = M("Kiran", "Ram Sevak", gender="X")
    with pytest.raises(ValidationFailed) as refused:
        await check(dedup, bad)
    assert [e.field for e in refused.value.field_errors] == ["member.gender"]
