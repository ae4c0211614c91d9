"""The migration load: stream the CSV through the parser and into PostgreSQL with COPY.

Everything happens in one transaction: the SHGs (``cbo``), members and their open
``membership`` rows, the ``import_batch`` row, one audit row and the outbox events: one
``profiles.shg.created`` per SHG inserted and one ``profiles.member.created`` per member
inserted (payloads as :mod:`services.profiles.events` builds them, so reports, identity and
dedup see migrated records as they see any other), and one ``profiles.migration.imported``
(payload: the :class:`ImportReport`). Valid records are COPYed in batches into temporary
tables and moved with ``INSERT … SELECT … ON CONFLICT (client_id) DO NOTHING RETURNING`` while
the parser (in a worker thread) reads the next part of the upload, so checking rows and loading
them overlap; the created events of each batch are built from the records in hand (only for
the rows the INSERT returned) and COPYed into ``outbox``. The asyncpg connection is the
session's own, so COPY rides the session's transaction.

Idempotency, twice over: ``import_batch.import_key`` is unique (the client's ``Import-Key``,
or else the SHA-256 of the content), so the same import answers its first report with status
``already_imported``; and every record's ``client_id`` is derived from its legacy id, so even
under another key no SHG or member is inserted twice, and so no created event is emitted
twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import re
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

import asyncpg
from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from lokos import catalogue
from lokos.audit import record_audit
from lokos.errors import Conflict, LokosError, PermissionDenied, ValidationFailed
from lokos.outbox import add_event, add_events_copy
from lokos.principal import GeoPath, Principal
from lokos.profiles.v1 import profiles_pb2
from lokos.values import timestamp
from services.profiles.deps import Deps
from services.profiles.identifiers import mask_tail
from services.profiles.mapping import cbo_to_proto, member_to_proto
from services.profiles.mis_import import csvformat
from services.profiles.models import Cbo, GeoUnit, ImportBatch, Member, audit_log, outbox

log = logging.getLogger(__name__)

MIGRATION_IMPORTED = "profiles.migration.imported"
SHG_CREATED = "profiles.shg.created"
MEMBER_CREATED = "profiles.member.created"
KIND = "migration"
# Members per COPY batch: large enough to amortise the statements, small enough to overlap.
BATCH_MEMBERS = 20_000
_CLIENT_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")


class ImportTooLarge(LokosError):
    """The upload is over ``max_import_bytes``."""

    code = "import_too_large"
    http_status = 413


class _Digest(Protocol):
    def update(self, data: bytes, /) -> None: ...


@dataclass(frozen=True)
class Upload:
    filename: str
    # As the client sent it; empty: the content's SHA-256 is the key.
    import_key: str = ""


async def import_migration(
    deps: Deps, principal: Principal, upload: Upload, chunks: AsyncIterator[bytes]
) -> profiles_pb2.ImportReport:
    """Import one migration CSV arriving in ``chunks``; returns the report.

    Raises :class:`ValidationFailed` when the file as a whole is unusable (nothing is
    imported), :class:`ImportTooLarge` over the size limit, :class:`PermissionDenied` for a
    caller who may not import. Rows outside the caller's scope are rejected rows.
    """
    started = time.perf_counter()
    if not principal.has_any_role(catalogue.MIS_IMPORTERS):
        raise PermissionDenied(
            "only a state, district or block admin may import from the old MIS",
            code="not_an_importer",
        )
    client_key = upload.import_key.strip()
    if client_key and not _CLIENT_KEY.match(client_key):
        raise ValidationFailed.one(
            "import_key", "must be 1 to 100 printable ASCII characters without spaces", "format"
        )
    if client_key:
        first = await _stored_report(deps, f"{KIND}:{client_key}")
        if first is not None:
            return first
    async with deps.db.session() as session:
        # The first statement through the session opens its transaction; COPY and the rest go
        # through the same connection, inside it.
        geography = await _geography(session, principal)
        conn = await session.connection()
        raw = await conn.get_raw_connection()
        pg: asyncpg.Connection = raw.driver_connection
        if not pg.is_in_transaction():
            raise RuntimeError("the session's transaction is not open")
        today = datetime.now(UTC).date()
        parser = csvformat.MigrationParser(geography, deps.identifier_key, today=today)
        loader = _Loader(pg, principal)
        await loader.prepare()
        digest = hashlib.sha256()
        try:
            await _stream(
                chunks,
                parser,
                loader,
                None if client_key else digest,
                deps.settings.max_import_bytes,
            )
        except asyncpg.DeadlockDetectedError as exc:
            raise Conflict(
                "another import was loading the same SHGs or members; send the file again",
                code="import_conflict",
            ) from exc
        summary = parser.summary()
        if summary.accepted == 0:
            # Nothing to keep: no batch row either, so the same file may be sent again once
            # the masters (villages, blocks) are in place.
            await session.rollback()
            return _report(
                "", "rejected", summary, imported=0, seconds=time.perf_counter() - started
            )
        await loader.withdraw(summary)
        key = f"{KIND}:{client_key or 'sha256:' + digest.hexdigest()}"
        batch_id = uuid.uuid4()
        report = _report(
            str(batch_id),
            "imported",
            summary,
            imported=loader.members,
            seconds=time.perf_counter() - started,
        )
        if not await _claim_key(session, batch_id, key, upload.filename, principal, report):
            await session.rollback()
            first = await _stored_report(deps, key)
            if first is None:  # the other import was rolled back after all
                raise Conflict("another import of this file was running; send it again")
            return first
        await record_audit(
            session,
            audit_log,
            action="migration.imported",
            entity="import_batch",
            entity_id=str(batch_id),
            after={
                "filename": upload.filename[:255],
                "rows": summary.rows,
                "members_imported": loader.members,
                "shgs_imported": loader.shgs,
                "rejected": summary.rejected,
            },
        )
        await add_event(session, outbox, MIGRATION_IMPORTED, principal.state, report)
        await session.commit()
    log.info(
        "migration import %s: %d rows, %d members and %d SHGs imported, %d rows rejected",
        batch_id,
        summary.rows,
        loader.members,
        loader.shgs,
        summary.rejected,
    )
    return report


async def _stream(
    chunks: AsyncIterator[bytes],
    parser: csvformat.MigrationParser,
    loader: _Loader,
    digest: _Digest | None,
    limit: int,
) -> None:
    """Parse the upload in a worker thread and load each batch while the next one is read."""
    pending: asyncio.Task[None] | None = None
    try:
        async for data in chunks:
            if parser.bytes + len(data) > limit:
                raise ImportTooLarge(
                    f"the file is larger than the limit of {limit // (1024 * 1024)} MiB; "
                    "split it (by district or block) and import the parts"
                )
            if digest is not None:
                digest.update(data)
            await asyncio.to_thread(parser.feed, data)
            _apply_withdrawals(parser, loader)
            if parser.waiting >= BATCH_MEMBERS:
                if pending is not None:
                    await pending
                    _apply_withdrawals(parser, loader)
                pending = asyncio.create_task(loader.load(*parser.take()))
        await asyncio.to_thread(parser.finish)
        if pending is not None:
            await pending
        await loader.load(*parser.take())
    except BaseException:
        if pending is not None and not pending.done():
            pending.cancel()
            await asyncio.gather(pending, return_exceptions=True)
        raise
    _apply_withdrawals(parser, loader)


def _apply_withdrawals(parser: csvformat.MigrationParser, loader: _Loader) -> None:
    """Hand the parser the rows the loader could not place (only between feeds)."""
    rows, loader.orphans = loader.orphans, []
    if rows:
        parser.withdraw_rows(
            rows,
            "legacy_shg_id",
            "shg_migrated_elsewhere",
            "this SHG was migrated before with another block or village",
        )


def _report(
    import_id: str, status: str, summary: csvformat.Summary, *, imported: int, seconds: float
) -> profiles_pb2.ImportReport:
    return profiles_pb2.ImportReport(
        import_id=import_id,
        status=status,
        rows=summary.rows,
        imported=imported,
        rejected=summary.rejected,
        errors=[
            profiles_pb2.RowError(row=e.row, column=e.column, code=e.code, message=e.message)
            for e in summary.errors
        ],
        more_errors=summary.more_errors,
        seconds=round(seconds, 3),
    )


async def _stored_report(deps: Deps, key: str) -> profiles_pb2.ImportReport | None:
    """The first report of an import under ``key``, marked ``already_imported``."""
    async with deps.db.read_session() as session:
        stored = await session.scalar(
            select(ImportBatch.report).where(
                ImportBatch.import_key == key, ImportBatch.kind == KIND
            )
        )
    if stored is None:
        return None
    report = json_format.ParseDict(stored, profiles_pb2.ImportReport(), ignore_unknown_fields=True)
    report.status = "already_imported"
    return report


async def _claim_key(
    session: AsyncSession,
    batch_id: uuid.UUID,
    key: str,
    filename: str,
    principal: Principal,
    report: profiles_pb2.ImportReport,
) -> bool:
    """Insert the batch row; False when the key is taken (a concurrent import of the same
    key waits here for the other transaction and then finds it taken)."""
    stmt = (
        pg_insert(ImportBatch)
        .values(
            id=batch_id,
            kind=KIND,
            import_key=key,
            filename=filename[:255],
            status=report.status,
            rows=report.rows,
            imported=report.imported,
            rejected=report.rejected,
            report=json_format.MessageToDict(report, preserving_proto_field_name=True),
            created_by=principal.user_id,
        )
        .on_conflict_do_nothing(index_elements=["import_key"])
        .returning(ImportBatch.id)
    )
    return (await session.execute(stmt)).first() is not None


async def _geography(session: AsyncSession, principal: Principal) -> csvformat.Geography:
    """The caller's state's blocks (each marked reachable or not) and the villages of the
    reachable ones."""
    state = principal.state
    blocks: dict[str, csvformat.Block] = {}
    rows = await session.execute(
        select(GeoUnit.lgd_code, GeoUnit.district_lgd_code).where(
            GeoUnit.level == "block", GeoUnit.state == state
        )
    )
    for code, district in rows:
        where = GeoPath(state, district=district, block=code)
        blocks[code] = csvformat.Block(
            district, principal.can_reach(where, catalogue.MIS_IMPORTERS)
        )
    reachable = [code for code, b in blocks.items() if b.reachable]
    villages: dict[str, csvformat.Village] = {}
    if reachable:
        rows = await session.execute(
            select(GeoUnit.lgd_code, GeoUnit.block_lgd_code, GeoUnit.panchayat_lgd_code).where(
                GeoUnit.level == "village",
                GeoUnit.state == state,
                GeoUnit.block_lgd_code.in_(reachable),
            )
        )
        villages = {code: csvformat.Village(block, gp) for code, block, gp in rows}
    return csvformat.Geography(state, blocks, villages)


_TEMP_TABLES = """
CREATE TEMP TABLE migration_shg (
    "row" bigint, client_id uuid, name text, district_lgd_code text, block_lgd_code text,
    panchayat_lgd_code text, village_lgd_code text, formed_on date
) ON COMMIT DROP;
CREATE TEMP TABLE migration_member (
    "row" bigint, client_id uuid, shg_client_id uuid, block_lgd_code text,
    village_lgd_code text, name text, gender text, date_of_birth date, social_category text,
    relative_name text, relation text, mobile text, bank_account_masked text,
    bank_account_hash text, ifsc text, voter_id text, aadhaar_masked text, aadhaar_hash text,
    voter_id_hash text, mobile_hash text
) ON COMMIT DROP;
"""

# Migrated records were approved in the old MIS; codes are issued on activation in LokOS.
_INSERT_SHGS = """
INSERT INTO cbo (
    id, client_id, cbo_type, code, name, name_local, state, district_lgd_code,
    block_lgd_code, panchayat_lgd_code, village_lgd_code, shg_type, formed_on,
    bank_account_masked, bank_account_hash, ifsc, status, version, submission_id,
    migrated, approved_on, approved_by, created_by, updated_by
)
SELECT ($3 || lpad(to_hex(t."row"), 15, '0'))::uuid, t.client_id, 'SHG', NULL,
       t.name, '', $1, t.district_lgd_code,
       t.block_lgd_code, t.panchayat_lgd_code, t.village_lgd_code, 'general', t.formed_on,
       '', '', '', 'approved', 1, NULL,
       true, NULL, '', $2, ''
FROM migration_shg t
ON CONFLICT (client_id) DO NOTHING
RETURNING id::text, client_id::text
"""

# A member joins its SHG only where the SHG sits where the file says (an SHG migrated before
# keeps its place; rows that disagree are reported, see _ORPHANS).
_INSERT_MEMBERS = """
WITH ins AS (
    INSERT INTO member (
        id, client_id, code, shg_id, state, district_lgd_code, block_lgd_code,
        panchayat_lgd_code, village_lgd_code, name, name_local, gender, date_of_birth,
        social_category, relative_name, relation, household_code, mobile,
        bank_account_masked, bank_account_hash, ifsc, voter_id, aadhaar_masked, aadhaar_hash,
        voter_id_hash, mobile_hash, status, version, submission_id, migrated, approved_on,
        approved_by, created_by, updated_by
    )
    SELECT ($2 || lpad(to_hex(t."row"), 15, '0'))::uuid, t.client_id, NULL, c.id,
           c.state, c.district_lgd_code, c.block_lgd_code,
           c.panchayat_lgd_code, c.village_lgd_code, t.name, '', t.gender,
           t.date_of_birth, t.social_category, t.relative_name, t.relation, '', t.mobile,
           t.bank_account_masked, t.bank_account_hash, t.ifsc, t.voter_id, t.aadhaar_masked,
           t.aadhaar_hash, t.voter_id_hash, t.mobile_hash, 'approved', 1, NULL, true, NULL,
           '', $1, ''
    FROM migration_member t
    JOIN cbo c ON c.client_id = t.shg_client_id AND c.cbo_type = 'SHG'
               AND c.block_lgd_code = t.block_lgd_code
               AND c.village_lgd_code = t.village_lgd_code
    ON CONFLICT (client_id) DO NOTHING
    RETURNING id, shg_id, client_id, district_lgd_code, panchayat_lgd_code
), ms AS (
    INSERT INTO membership (member_id, shg_id) SELECT id, shg_id FROM ins
)
SELECT id::text, shg_id::text, client_id::text, district_lgd_code, panchayat_lgd_code
FROM ins
"""

# SHGs of this batch that existed before, in another place (those just inserted sit exactly
# where the file says).
_MISPLACED_SHGS = """
SELECT t.client_id::text FROM migration_shg t JOIN cbo c ON c.client_id = t.client_id
WHERE c.cbo_type <> 'SHG' OR c.block_lgd_code <> t.block_lgd_code
   OR c.village_lgd_code <> t.village_lgd_code
"""
_ORPHANS = """
SELECT "row" FROM migration_member WHERE shg_client_id = ANY($1::uuid[]) ORDER BY "row"
"""

# Rows inserted by this transaction have created_at = now() (the transaction's start time);
# a record that existed before is older and is never touched.
_WITHDRAW_MEMBERSHIPS = """
DELETE FROM membership WHERE member_id IN (
    SELECT id FROM member WHERE client_id = ANY($1::uuid[]) AND created_at = now()
)
"""
_WITHDRAW_MEMBERS = """
DELETE FROM member WHERE client_id = ANY($1::uuid[]) AND created_at = now() RETURNING id::text
"""
_WITHDRAW_SHGS = """
DELETE FROM cbo c WHERE c.client_id = ANY($1::uuid[]) AND c.created_at = now()
AND NOT EXISTS (SELECT 1 FROM member m WHERE m.shg_id = c.id)
RETURNING c.id::text
"""
_WITHDRAW_EVENTS = "DELETE FROM outbox WHERE event_id = ANY($1::text[])"

# Event id kinds: the low bit of an event id's counter, after the row number.
_SHG, _MEMBER = 0, 1


# A member just inserted: her record, id, SHG id, and the SHG's district and panchayat.
_NewMember = tuple[csvformat.MemberRecord, str, str, str, str]


class _Loader:
    """COPY batches of valid records into temp tables and on into the profile tables, and
    the created events of the records inserted into the outbox."""

    def __init__(self, pg: asyncpg.Connection, principal: Principal) -> None:
        self.pg = pg
        self.principal = principal
        self.shgs = 0
        self.members = 0
        # SHG client ids that sit elsewhere already, and the rows found under them.
        self.misplaced: set[str] = set()
        self.orphans: list[int] = []
        # Ids are time-ordered (UUIDv7 layout: this import's start in ms, then the row number
        # as the counter), so index inserts land on a few hot pages instead of random ones.
        self.shg_ids = uuid7_prefix()
        self.member_ids = uuid7_prefix()
        # Event ids likewise, derived from the record's row, so an event can be taken back
        # (withdraw) without keeping a map of lakhs of ids.
        self.event_ids = event_id_prefix()
        self.payloads: _Payloads | None = None

    async def prepare(self) -> None:
        await self.pg.execute(_TEMP_TABLES)
        # created_at of every row inserted: the transaction's start.
        created_at: datetime = await self.pg.fetchval("SELECT now()")
        self.payloads = _Payloads(self.principal.state, self._user, created_at)

    async def load(
        self, shgs: list[csvformat.ShgRecord], members: list[csvformat.MemberRecord]
    ) -> None:
        pg = self.pg
        new_shgs: list[tuple[csvformat.ShgRecord, str]] = []
        new_members: list[_NewMember] = []
        if shgs:
            await pg.copy_records_to_table("migration_shg", records=shgs)
            inserted = await pg.fetch(_INSERT_SHGS, self.principal.state, self._user, self.shg_ids)
            if inserted:
                shg_of = {r[1]: r for r in shgs}
                new_shgs = [(shg_of[client_id], id_) for id_, client_id in inserted]
            self.shgs += len(inserted)
            self.misplaced.update(r[0] for r in await pg.fetch(_MISPLACED_SHGS))
            await pg.execute("TRUNCATE migration_shg")
        if members:
            await pg.copy_records_to_table("migration_member", records=members)
            inserted = await pg.fetch(_INSERT_MEMBERS, self._user, self.member_ids)
            if inserted:
                member_of = {r[1]: r for r in members}
                new_members = [
                    (member_of[client_id], id_, shg_id, district, panchayat)
                    for id_, shg_id, client_id, district, panchayat in inserted
                ]
            self.members += len(inserted)
            if self.misplaced:
                rows = await pg.fetch(_ORPHANS, list(self.misplaced))
                self.orphans += [r[0] for r in rows]
            await pg.execute("TRUNCATE migration_member")
        if new_shgs or new_members:
            await self._stage(new_shgs, new_members)

    async def _stage(
        self,
        shgs: list[tuple[csvformat.ShgRecord, str]],
        members: list[_NewMember],
    ) -> None:
        """The created events of the records just inserted, in one COPY into the outbox;
        built from the records in hand, as they stream to the server."""
        assert self.payloads is not None
        p, state, prefix = self.payloads, self.principal.state, self.event_ids
        events = itertools.chain(
            ((SHG_CREATED, state, p.shg(rec, id_)) for rec, id_ in shgs),
            ((MEMBER_CREATED, state, p.member(*m)) for m in members),
        )
        ids = itertools.chain(
            (event_id(prefix, rec[0], _SHG) for rec, _ in shgs),
            (event_id(prefix, m[0][0], _MEMBER) for m in members),
        )
        await add_events_copy(self.pg, events, event_ids=ids)

    async def withdraw(self, summary: csvformat.Summary) -> None:
        """Remove what this import inserted and a later row took back, with its event."""
        events: list[str] = []
        if summary.withdrawn_members:
            await self.pg.execute(_WITHDRAW_MEMBERSHIPS, summary.withdrawn_members)
            rows = await self.pg.fetch(_WITHDRAW_MEMBERS, summary.withdrawn_members)
            self.members -= len(rows)
            events += [event_id(self.event_ids, row_of(r[0]), _MEMBER) for r in rows]
        if summary.withdrawn_shgs:
            rows = await self.pg.fetch(_WITHDRAW_SHGS, summary.withdrawn_shgs)
            self.shgs -= len(rows)
            events += [event_id(self.event_ids, row_of(r[0]), _SHG) for r in rows]
        if events:
            await self.pg.execute(_WITHDRAW_EVENTS, events)

    @property
    def _user(self) -> str:
        return self.principal.user_id


class _Payloads:
    """``CboEvent`` and ``MemberEvent`` of migrated records, equal to what
    :func:`services.profiles.events.cbo_event` and ``member_event`` build from the rows.

    Every field the load sets alike for all records (status, version, ``migrated``, creator,
    ``created_at``, the identifiers' checks, …) comes from ``cbo_to_proto`` /
    ``member_to_proto`` once, as a template; each record sets its own fields on a copy. That
    is about 2 µs a member instead of 17 µs for the mapping per record, which counts at 10
    lakh members. The e2e tests compare the payloads with the mapping of the stored rows.
    """

    def __init__(self, state: str, user: str, created_at: datetime) -> None:
        # As the INSERTs above store them; the per-record fields left empty.
        common: dict[str, Any] = {
            "id": "",
            "client_id": "",
            "code": None,
            "name": "",
            "name_local": "",
            "state": state,
            "district_lgd_code": "",
            "block_lgd_code": "",
            "panchayat_lgd_code": "",
            "village_lgd_code": "",
            "bank_account_masked": "",
            "bank_account_hash": "",
            "ifsc": "",
            "status": "approved",
            "version": 1,
            "submission_id": None,
            "migrated": True,
            "approved_on": None,
            "approved_by": "",
            "created_by": user,
            "created_at": created_at,
        }
        self._shg = cbo_to_proto(Cbo(**common, cbo_type="SHG", shg_type="general", formed_on=None))
        self._member = member_to_proto(
            Member(
                **common,
                shg_id="",
                gender="",
                date_of_birth=None,
                social_category="",
                relative_name="",
                relation="",
                household_code="",
                mobile="",
                voter_id="",
                aadhaar_masked="",
                aadhaar_hash="",
                voter_id_hash="",
                mobile_hash="",
                duplication_status="unchecked",
                verification={},
            )
        )
        self._dates: dict[date, Timestamp] = {}

    def _date(self, d: date) -> Timestamp:
        t = self._dates.get(d)
        if t is None:
            t = self._dates[d] = timestamp(d) or Timestamp()
        return t

    def shg(self, rec: csvformat.ShgRecord, id_: str) -> profiles_pb2.CboEvent:
        _, client_id, name, district, block, panchayat, village, formed_on = rec
        event = profiles_pb2.CboEvent()
        c = event.cbo
        c.CopyFrom(self._shg)
        c.id = id_
        c.client_id = client_id
        c.name = name
        c.district_lgd_code = district
        c.block_lgd_code = block
        c.panchayat_lgd_code = panchayat
        c.village_lgd_code = village
        if formed_on is not None:
            c.formed_on.CopyFrom(self._date(formed_on))
        return event

    def member(
        self, rec: csvformat.MemberRecord, id_: str, shg_id: str, district: str, panchayat: str
    ) -> profiles_pb2.MemberEvent:
        (
            _,
            client_id,
            _,
            block,
            village,
            name,
            gender,
            born,
            social,
            relative,
            relation,
            mobile,
            bank_masked,
            bank_hash,
            ifsc,
            voter_id,
            aadhaar_masked,
            aadhaar_hash,
            voter_id_hash,
            mobile_hash,
        ) = rec
        event = profiles_pb2.MemberEvent(
            aadhaar_hash=aadhaar_hash,
            bank_account_hash=bank_hash,
            voter_id_hash=voter_id_hash,
            mobile_hash=mobile_hash,
        )
        m = event.member
        m.CopyFrom(self._member)
        m.id = id_
        m.client_id = client_id
        m.shg_id = shg_id
        m.name = name
        m.gender = gender
        if born is not None:
            m.date_of_birth.CopyFrom(self._date(born))
        m.social_category = social
        m.relative_name = relative
        m.relation = relation
        m.mobile = mask_tail(mobile)
        m.bank_account = bank_masked
        m.ifsc = ifsc
        m.voter_id = mask_tail(voter_id)
        m.aadhaar = aadhaar_masked
        m.district_lgd_code = district
        m.block_lgd_code = block
        m.panchayat_lgd_code = panchayat
        m.village_lgd_code = village
        return event


def uuid7_prefix() -> str:
    """The first 17 hex digits of UUIDv7s for one import; the last 15 are a row number."""
    ms = time.time_ns() // 1_000_000
    return f"{ms & (2**48 - 1):012x}7{secrets.randbits(12):03x}8"


def uuid7(prefix: str, row: int) -> uuid.UUID:
    """What the SQL builds from ``prefix`` and a row number."""
    return uuid.UUID(f"{prefix}{row:015x}")


def row_of(record_id: str) -> int:
    """The row number in the id of a record this import inserted (see :func:`uuid7`)."""
    return uuid.UUID(record_id).int & (2**60 - 1)


def event_id_prefix() -> str:
    """The first four groups of this import's event ids: UUIDv7 layout, the import's start
    in ms and 26 random bits (an event id is unique across imports and services, as the
    JetStream duplicate window and the consumers' inboxes need)."""
    ms = time.time_ns() // 1_000_000 & (2**48 - 1)
    r = secrets.randbits(26)
    x = f"{ms:012x}7{r >> 14:03x}{8 | (r >> 12) & 3:x}{r & 0xFFF:03x}"
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-"


def event_id(prefix: str, row: int, kind: int) -> str:
    """The id of the created event of the record of ``row`` (``kind``: SHG or member)."""
    return f"{prefix}{row << 1 | kind:012x}"
