"""SQL of the dedup database, on asyncpg connections (one round trip per step, sets not rows).

Reads for checks run on the read pool; writes run on the connection of the caller's
transaction (see :func:`raw`), so the index, the matches and the outbox change together.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.dedup.matching import Decision, Found, Rec
from services.dedup.rules import Rule

# An index entry: the record, its name keys, active, version, migrated.
Entry = tuple[Rec, Sequence[str], bool, int, bool]

_REC_COLUMNS = """
    mi.member_id, mi.state, mi.code, mi.shg_id, mi.district_lgd_code, mi.block_lgd_code,
    mi.panchayat_lgd_code, mi.village_lgd_code, mi.name, mi.relative_name, mi.household_code,
    mi.status, mi.aadhaar, mi.bank_account, mi.voter_id, mi.mobile, mi.fingerprint, mi.gender
"""


_REC_WIDTH = 18


def to_rec(r: asyncpg.Record, offset: int = 0) -> Rec:
    """The :data:`_REC_COLUMNS` of a row, starting at ``offset``."""
    v = tuple(r.values())[offset : offset + _REC_WIDTH]
    return Rec(*v)


async def raw(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under ``session``, inside its (opened) transaction."""
    conn = await session.connection()
    dbapi = await conn.get_raw_connection()
    pg: asyncpg.Connection = dbapi.driver_connection
    if not pg.is_in_transaction():
        # SQLAlchemy's asyncpg adapter opens the transaction with its first statement.
        await session.execute(text("SELECT 1"))
    return pg


# --- candidates ------------------------------------------------------------------------------

# Strong identifiers and the mobile apart: a mobile shared by a whole village (the
# bookkeeper's phone) must not crowd an Aadhaar match out of the limit.
_BY_IDENTIFIER = f"""
(SELECT {_REC_COLUMNS} FROM member_index mi
 WHERE mi.active AND mi.member_id <> $1
   AND (mi.aadhaar = $2 OR mi.bank_account = $3 OR mi.voter_id = $4)
 LIMIT 100)
UNION ALL
(SELECT {_REC_COLUMNS} FROM member_index mi
 WHERE mi.active AND mi.member_id <> $1 AND mi.mobile = $5
 LIMIT 100)
"""

_BY_NAME_KEY = f"""
SELECT {_REC_COLUMNS} FROM member_index mi
WHERE mi.member_id IN (
    SELECT k.member_id FROM member_name_key k
    WHERE k.panchayat_lgd_code = $1 AND k.key = ANY($2::text[]) AND k.member_id <> $3
    LIMIT 500)
  AND mi.active
"""


async def identifier_candidates(
    conn: asyncpg.Connection, subject: Rec, enabled: frozenset[str]
) -> list[Rec]:
    def on(rule: str) -> uuid.UUID | None:
        return subject.identifier(rule) if rule in enabled else None

    if not any(on(r) for r in ("aadhaar", "bank_account", "voter_id", "mobile")):
        return []
    rows = await conn.fetch(
        _BY_IDENTIFIER,
        subject.member_id,
        on("aadhaar"),
        on("bank_account"),
        on("voter_id"),
        on("mobile"),
    )
    return [to_rec(r) for r in rows]


async def name_candidates(conn: asyncpg.Connection, subject: Rec, keys: Sequence[str]) -> list[Rec]:
    if not keys or not subject.panchayat:
        return []
    rows = await conn.fetch(_BY_NAME_KEY, subject.panchayat, list(keys), subject.member_id)
    return [to_rec(r) for r in rows]


# The same lookups for a batch of members (a refresh): one statement each.
_BATCH_BY_IDENTIFIER = f"""
WITH s AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[])
        AS s(member_id, aadhaar, bank_account, voter_id, mobile)
)
SELECT s.member_id, {_REC_COLUMNS} FROM s JOIN member_index mi
    ON mi.aadhaar = s.aadhaar AND mi.member_id <> s.member_id AND mi.active
UNION
SELECT s.member_id, {_REC_COLUMNS} FROM s JOIN member_index mi
    ON mi.bank_account = s.bank_account AND mi.member_id <> s.member_id AND mi.active
UNION
SELECT s.member_id, {_REC_COLUMNS} FROM s JOIN member_index mi
    ON mi.voter_id = s.voter_id AND mi.member_id <> s.member_id AND mi.active
UNION
SELECT s.member_id, {_REC_COLUMNS} FROM s JOIN member_index mi
    ON mi.mobile = s.mobile AND mi.member_id <> s.member_id AND mi.active
"""

_BATCH_BY_NAME_KEY = f"""
WITH s AS (
    SELECT DISTINCT * FROM unnest($1::uuid[], $2::text[], $3::text[])
        AS s(member_id, panchayat, key)
)
SELECT DISTINCT s.member_id, {_REC_COLUMNS}
FROM s
JOIN member_name_key k ON k.panchayat_lgd_code = s.panchayat AND k.key = s.key
    AND k.member_id <> s.member_id
JOIN member_index mi ON mi.member_id = k.member_id AND mi.active
"""


async def batch_identifier_candidates(
    conn: asyncpg.Connection, subjects: Sequence[Rec], enabled: frozenset[str]
) -> list[tuple[uuid.UUID, Rec]]:
    def col(rule: str) -> list[uuid.UUID | None]:
        return [s.identifier(rule) if rule in enabled else None for s in subjects]

    rows = await conn.fetch(
        _BATCH_BY_IDENTIFIER,
        [s.member_id for s in subjects],
        col("aadhaar"),
        col("bank_account"),
        col("voter_id"),
        col("mobile"),
    )
    return [(r[0], to_rec(r, 1)) for r in rows]


async def batch_name_candidates(
    conn: asyncpg.Connection, subject_keys: Iterable[tuple[Rec, Sequence[str]]]
) -> list[tuple[uuid.UUID, Rec]]:
    ids: list[uuid.UUID] = []
    panchayats: list[str] = []
    keys: list[str] = []
    for s, ks in subject_keys:
        if not s.panchayat:
            continue
        for k in ks:
            ids.append(s.member_id)
            panchayats.append(s.panchayat)
            keys.append(k)
    if not ids:
        return []
    rows = await conn.fetch(_BATCH_BY_NAME_KEY, ids, panchayats, keys)
    return [(r[0], to_rec(r, 1)) for r in rows]


async def decisions_for(
    conn: asyncpg.Connection, pairs: Iterable[tuple[uuid.UUID, uuid.UUID]]
) -> dict[tuple[uuid.UUID, uuid.UUID], Decision]:
    unique = sorted(set(pairs))
    if not unique:
        return {}
    rows = await conn.fetch(
        """
        SELECT d.member_low, d.member_high, d.decision, d.reason, d.decided_by,
               d.fingerprint_low, d.fingerprint_high
        FROM pair_decision d
        JOIN unnest($1::uuid[], $2::uuid[]) AS p(low, high)
          ON d.member_low = p.low AND d.member_high = p.high
        """,
        [p[0] for p in unique],
        [p[1] for p in unique],
    )
    return {(r[0], r[1]): Decision(r[2], r[3], r[4], r[5], r[6]) for r in rows}


# --- the index -------------------------------------------------------------------------------

# Later versions win; an event that arrives after a newer check changes nothing. Name keys
# move with the record: keys it no longer has go, new ones come (unchanged ones stay put).
_UPSERT = """
WITH input AS (
    SELECT * FROM unnest(
        $1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[],
        $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
        $14::bool[], $15::bigint[], $16::uuid[], $17::uuid[], $18::uuid[], $19::uuid[],
        $20::uuid[], $21::bool[], $22::text[]
    ) AS t(member_id, code, shg_id, state, district_lgd_code, block_lgd_code,
           panchayat_lgd_code, village_lgd_code, name, relative_name, household_code,
           name_keys, status, active, version, aadhaar, bank_account, voter_id, mobile,
           fingerprint, migrated, gender)
), old AS (
    -- A look-up by key per member (the subquery with its lock is not flattened): a join was
    -- planned as a scan of the whole index while it held a few lakh members, the cost of
    -- every batch growing with the index (most of the statement's time in a bulk import).
    SELECT o.* FROM unnest($1::uuid[]) AS i(member_id)
    CROSS JOIN LATERAL (
        SELECT mi.member_id, mi.panchayat_lgd_code, mi.name_keys FROM member_index mi
        WHERE mi.member_id = i.member_id FOR UPDATE
    ) o
), up AS (
    INSERT INTO member_index (
        member_id, code, shg_id, state, district_lgd_code, block_lgd_code, panchayat_lgd_code,
        village_lgd_code, name, relative_name, household_code, name_keys, status, active,
        version, aadhaar, bank_account, voter_id, mobile, fingerprint, migrated, gender,
        updated_at
    )
    SELECT member_id, code, shg_id, state, district_lgd_code, block_lgd_code,
           panchayat_lgd_code, village_lgd_code, name, relative_name, household_code,
           string_to_array(name_keys, ' '), status, active, version, aadhaar, bank_account,
           voter_id, mobile, fingerprint, migrated, gender, now()
    FROM input
    ON CONFLICT (member_id) DO UPDATE SET
        code = EXCLUDED.code, shg_id = EXCLUDED.shg_id, state = EXCLUDED.state,
        district_lgd_code = EXCLUDED.district_lgd_code,
        block_lgd_code = EXCLUDED.block_lgd_code,
        panchayat_lgd_code = EXCLUDED.panchayat_lgd_code,
        village_lgd_code = EXCLUDED.village_lgd_code, name = EXCLUDED.name,
        relative_name = EXCLUDED.relative_name, household_code = EXCLUDED.household_code,
        name_keys = EXCLUDED.name_keys, status = EXCLUDED.status, active = EXCLUDED.active,
        version = EXCLUDED.version, aadhaar = EXCLUDED.aadhaar,
        bank_account = EXCLUDED.bank_account, voter_id = EXCLUDED.voter_id,
        mobile = EXCLUDED.mobile, fingerprint = EXCLUDED.fingerprint,
        migrated = EXCLUDED.migrated, gender = EXCLUDED.gender, updated_at = now()
    WHERE member_index.version <= EXCLUDED.version
    RETURNING member_id, panchayat_lgd_code, name_keys
), gone AS (
    DELETE FROM member_name_key k
    USING old JOIN up USING (member_id)
    WHERE k.member_id = old.member_id AND k.panchayat_lgd_code = old.panchayat_lgd_code
      AND k.key = ANY(old.name_keys)
      AND (old.panchayat_lgd_code <> up.panchayat_lgd_code OR k.key <> ALL(up.name_keys))
), added AS (
    INSERT INTO member_name_key (panchayat_lgd_code, key, member_id)
    SELECT up.panchayat_lgd_code, unnest(up.name_keys), up.member_id FROM up
    WHERE up.panchayat_lgd_code <> ''
    ON CONFLICT DO NOTHING
)
SELECT member_id FROM up
"""


async def upsert_members(conn: asyncpg.Connection, entries: Sequence[Entry]) -> set[uuid.UUID]:
    """Index entries (one per member); returns the members whose entry changed (an older
    version changes nothing)."""
    if not entries:
        return set()
    cols: list[list[Any]] = [[] for _ in range(22)]
    for rec, keys, active, version, migrated in entries:
        values = (
            rec.member_id,
            rec.code,
            rec.shg_id,
            rec.state,
            rec.district,
            rec.block,
            rec.panchayat,
            rec.village,
            rec.name,
            rec.relative_name,
            rec.household,
            " ".join(keys),
            rec.status,
            active,
            version,
            rec.aadhaar,
            rec.bank_account,
            rec.voter_id,
            rec.mobile,
            rec.fingerprint,
            migrated,
            rec.gender,
        )
        for c, v in zip(cols, values, strict=True):
            c.append(v)
    rows = await conn.fetch(_UPSERT, *cols)
    return {r[0] for r in rows}


async def subjects(conn: asyncpg.Connection, member_ids: Sequence[uuid.UUID]) -> list[Rec]:
    rows = await conn.fetch(
        f"SELECT {_REC_COLUMNS} FROM member_index mi WHERE mi.member_id = ANY($1::uuid[])",
        list(member_ids),
    )
    return [to_rec(r) for r in rows]


async def get_member(
    conn: asyncpg.Connection, member_id: uuid.UUID
) -> tuple[Rec, str, int, datetime | None] | None:
    """A member, her duplication status, its version and when she was last checked."""
    row = await conn.fetchrow(
        f"SELECT {_REC_COLUMNS}, mi.dup_status, mi.status_version, mi.checked_at"
        " FROM member_index mi WHERE mi.member_id = $1",
        member_id,
    )
    if row is None:
        return None
    return to_rec(row), row["dup_status"], row["status_version"], row["checked_at"]


async def previous_others(
    conn: asyncpg.Connection, member_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """SHGs of the members' current matches (their flags may change with a new check)."""
    rows = await conn.fetch(
        """
        SELECT DISTINCT mi.shg_id FROM duplicate_match d
        JOIN member_index mi ON mi.member_id = d.other_id
        WHERE d.member_id = ANY($1::uuid[]) AND mi.shg_id IS NOT NULL
        """,
        list(member_ids),
    )
    return {r[0] for r in rows}


# --- results ---------------------------------------------------------------------------------

# Two statements: a DELETE and an INSERT of the same keys in one statement's CTEs may run
# in either order.
_SAVE_MATCHES = """
WITH added AS (
    INSERT INTO duplicate_match (member_id, other_id, kind, rules, name_score, relative_score)
    SELECT m, o, k, string_to_array(r, ','), ns, rs
    FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::float8[], $7::float8[])
        AS t(m, o, k, r, ns, rs)
)
UPDATE member_index mi SET dup_status = t.status, status_version = mi.status_version + 1,
       checked_at = now()
FROM unnest($1::uuid[], $8::text[]) AS t(member_id, status)
WHERE mi.member_id = t.member_id
RETURNING mi.member_id, mi.status_version, mi.checked_at
"""


async def save_results(
    conn: asyncpg.Connection, results: dict[uuid.UUID, tuple[str, list[Found]]]
) -> dict[uuid.UUID, tuple[int, Any]]:
    """Replace the members' matches and set their statuses; returns each one's new status
    version and check time."""
    if not results:
        return {}
    ids = list(results)
    m: list[uuid.UUID] = []
    o: list[uuid.UUID] = []
    k: list[str] = []
    r: list[str] = []
    ns: list[float] = []
    rs: list[float] = []
    for member_id, (_, found) in results.items():
        for f in found:
            m.append(member_id)
            o.append(f.other.member_id)
            k.append(f.kind)
            r.append(",".join(f.rules))
            ns.append(f.name_score)
            rs.append(f.relative_score)
    # Two checks of one member may run at once (a checker's decision rechecks her while the
    # index consumer checks her too): each waits for the other's commit here, so its DELETE
    # sees the other's matches and its INSERT cannot collide with them. Ordered, no deadlock.
    await conn.execute(
        "SELECT 1 FROM member_index WHERE member_id = ANY($1::uuid[]) ORDER BY member_id "
        "FOR UPDATE",
        ids,
    )
    await conn.execute("DELETE FROM duplicate_match WHERE member_id = ANY($1::uuid[])", ids)
    rows = await conn.fetch(_SAVE_MATCHES, ids, m, o, k, r, ns, rs, [results[i][0] for i in ids])
    return {row[0]: (row[1], row[2]) for row in rows}


async def stored_matches(
    conn: asyncpg.Connection, member_id: uuid.UUID
) -> list[tuple[Rec, str, list[str], float, float]]:
    """The member's matches as last checked, and matches other members' checks found with her
    (she is shown to the checker of either record)."""
    rows = await conn.fetch(
        f"""
        SELECT d.kind, d.rules, d.name_score, d.relative_score, {_REC_COLUMNS}
        FROM duplicate_match d JOIN member_index mi ON mi.member_id = d.other_id
        WHERE d.member_id = $1
        UNION ALL
        SELECT d.kind, d.rules, d.name_score, d.relative_score, {_REC_COLUMNS}
        FROM duplicate_match d JOIN member_index mi ON mi.member_id = d.member_id
        WHERE d.other_id = $1 AND NOT EXISTS (
            SELECT 1 FROM duplicate_match x WHERE x.member_id = $1 AND x.other_id = d.member_id)
        """,
        member_id,
    )
    return [(to_rec(row, 4), row[0], list(row[1]), row[2], row[3]) for row in rows]


async def save_decision(
    conn: asyncpg.Connection,
    low: Rec,
    high: Rec,
    decision: str,
    reason: str,
    decided_by: str,
) -> None:
    await conn.execute(
        """
        INSERT INTO pair_decision (member_low, member_high, decision, reason, decided_by,
                                   decided_at, fingerprint_low, fingerprint_high)
        VALUES ($1, $2, $3, $4, $5, now(), $6, $7)
        ON CONFLICT (member_low, member_high) DO UPDATE SET
            decision = EXCLUDED.decision, reason = EXCLUDED.reason,
            decided_by = EXCLUDED.decided_by, decided_at = now(),
            fingerprint_low = EXCLUDED.fingerprint_low,
            fingerprint_high = EXCLUDED.fingerprint_high
        """,
        low.member_id,
        high.member_id,
        decision,
        reason,
        decided_by,
        low.fingerprint,
        high.fingerprint,
    )


async def labelled_pairs(
    conn: asyncpg.Connection, block: str, limit: int
) -> list[tuple[Rec, Rec, str]]:
    """Standing decisions (both records unchanged since) with both records, most recent
    first; ``block``: pairs with a record in that block ("" for all)."""
    rows = await conn.fetch(
        f"""
        SELECT d.decision, {_REC_COLUMNS}, {_REC_COLUMNS.replace("mi.", "mh.")}
        FROM pair_decision d
        JOIN member_index mi ON mi.member_id = d.member_low
        JOIN member_index mh ON mh.member_id = d.member_high
        WHERE mi.fingerprint = d.fingerprint_low AND mh.fingerprint = d.fingerprint_high
          AND ($1 = '' OR mi.block_lgd_code = $1 OR mh.block_lgd_code = $1)
        ORDER BY d.decided_at DESC
        LIMIT $2
        """,
        block,
        limit,
    )
    return [(to_rec(r, 1), to_rec(r, 1 + _REC_WIDTH), r[0]) for r in rows]


# --- rules -----------------------------------------------------------------------------------


async def stored_rules(conn: asyncpg.Connection, state: str) -> tuple[list[Rule], str]:
    rows = await conn.fetch(
        "SELECT name, kind, name_threshold, relative_threshold, within, exempt_same_household,"
        " updated_by FROM dedup_rule WHERE state = $1 ORDER BY updated_at DESC",
        state,
    )
    return [Rule(*tuple(r.values())[:6]) for r in rows], (rows[0]["updated_by"] if rows else "")


async def save_rules(
    conn: asyncpg.Connection, state: str, rules: Iterable[Rule], updated_by: str
) -> None:
    await conn.execute("DELETE FROM dedup_rule WHERE state = $1", state)
    await conn.executemany(
        "INSERT INTO dedup_rule (state, name, kind, name_threshold, relative_threshold, within,"
        " exempt_same_household, updated_by, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())",
        [
            (
                state,
                r.name,
                r.kind,
                r.name_threshold,
                r.relative_threshold,
                r.within,
                r.exempt_same_household,
                updated_by,
            )
            for r in rules
        ],
    )
