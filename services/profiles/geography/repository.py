"""Queries of the geography masters (``geo_unit``) and of geography imports. No rules here.

A ``geo_unit`` row carries its ancestors, not itself: a block's ``district_lgd_code`` is its
district, a village's ``panchayat_lgd_code`` its gram panchayat; a district's ancestor columns
are empty. Bulk work (lookups of a whole file's codes, COPY) goes through the session's own
asyncpg connection so it rides the session's transaction.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.profiles.models import GeoUnit, ImportBatch

# Column order of the COPY records (see :func:`copy_units`).
UNIT_COLUMNS = (
    "level",
    "lgd_code",
    "parent_code",
    "state",
    "district_lgd_code",
    "block_lgd_code",
    "panchayat_lgd_code",
    "name_en",
    "name_local",
)
# Serialises geography imports: what one validates against is what it inserts into.
_IMPORT_LOCK = 0x6C6F_6B67_656F  # "lokgeo"
_INSERTED = re.compile(r"^INSERT \d+ (\d+)$")


async def get_unit(session: AsyncSession, level: str, lgd_code: str) -> GeoUnit | None:
    return await session.get(GeoUnit, (level, lgd_code))


async def state_unit(session: AsyncSession, state: str) -> GeoUnit | None:
    """The state's own row (its LGD code and name), when one was added."""
    return (
        await session.execute(
            select(GeoUnit).where(GeoUnit.level == "state", GeoUnit.state == state).limit(1)
        )
    ).scalar_one_or_none()


async def add_unit(session: AsyncSession, **values: str) -> GeoUnit | None:
    """Insert one unit; None when its (level, code) exists already."""
    return (
        await session.execute(
            insert(GeoUnit).values(**values).on_conflict_do_nothing().returning(GeoUnit)
        )
    ).scalar_one_or_none()


async def children(
    session: AsyncSession, level: str, *, parent_code: str = "", state: str = "", limit: int
) -> Sequence[GeoUnit]:
    """Units at ``level`` under ``parent_code`` (or, for districts, of ``state``), by name."""
    query = select(GeoUnit).where(GeoUnit.level == level)
    query = (
        query.where(GeoUnit.state == state)
        if level in ("state", "district")
        else query.where(GeoUnit.parent_code == parent_code)
    )
    query = query.order_by(GeoUnit.name_en, GeoUnit.lgd_code).limit(limit)
    return (await session.execute(query)).scalars().all()


async def find_units(session: AsyncSession, refs: Iterable[tuple[str, str]]) -> Sequence[GeoUnit]:
    """The units among ``refs`` ((level, code) pairs, a bounded number) that exist."""
    wanted = list(set(refs))
    if not wanted:
        return []
    query = select(GeoUnit).where(tuple_(GeoUnit.level, GeoUnit.lgd_code).in_(wanted))
    return (await session.execute(query)).scalars().all()


# --- imports --------------------------------------------------------------------------------


async def _asyncpg(session: AsyncSession) -> Any:
    """The asyncpg connection under the session, inside the session's transaction.

    Call only after the session has executed a statement (SQLAlchemy's asyncpg adapter opens
    the transaction lazily, with its first statement).
    """
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    return raw.driver_connection


async def lock_imports(session: AsyncSession) -> None:
    """Take the geography import lock until the transaction ends (opens the transaction)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _IMPORT_LOCK})


async def find_batch(session: AsyncSession, import_key: str) -> ImportBatch | None:
    return (
        await session.execute(select(ImportBatch).where(ImportBatch.import_key == import_key))
    ).scalar_one_or_none()


async def units_at(
    session: AsyncSession, level: str, codes: Iterable[str]
) -> list[tuple[str, ...]]:
    """Rows of ``UNIT_COLUMNS`` for the ``codes`` that exist at ``level`` (any number)."""
    wanted = list(set(codes))
    if not wanted:
        return []
    raw = await _asyncpg(session)
    rows = await raw.fetch(
        f"SELECT {', '.join(UNIT_COLUMNS)} FROM geo_unit"
        " WHERE level = $1 AND lgd_code = ANY($2::varchar[])",
        level,
        wanted,
    )
    return [tuple(r) for r in rows]


async def levels_of(session: AsyncSession, codes: Iterable[str]) -> list[tuple[str, str]]:
    """(code, level) for every level at which one of ``codes`` exists."""
    wanted = list(set(codes))
    if not wanted:
        return []
    raw = await _asyncpg(session)
    rows = await raw.fetch(
        "SELECT lgd_code, level FROM geo_unit WHERE lgd_code = ANY($1::varchar[])", wanted
    )
    return [(r[0], r[1]) for r in rows]


async def copy_units(session: AsyncSession, records: Sequence[tuple[str, ...]]) -> int:
    """COPY ``records`` (in ``UNIT_COLUMNS`` order) into ``geo_unit``, skipping codes that
    exist already; returns how many were inserted."""
    if not records:
        return 0
    raw = await _asyncpg(session)
    columns = ", ".join(UNIT_COLUMNS)
    await raw.execute(
        "CREATE TEMPORARY TABLE geo_unit_import (LIKE geo_unit INCLUDING DEFAULTS) ON COMMIT DROP"
    )
    await raw.copy_records_to_table("geo_unit_import", records=records, columns=list(UNIT_COLUMNS))
    status = await raw.execute(
        f"INSERT INTO geo_unit ({columns}) SELECT {columns} FROM geo_unit_import"
        " ON CONFLICT DO NOTHING"
    )
    await raw.execute("DROP TABLE geo_unit_import")
    match = _INSERTED.match(status)
    return int(match.group(1)) if match else 0


async def add_batch(
    session: AsyncSession,
    *,
    batch_id: uuid.UUID,
    import_key: str,
    filename: str,
    rows: int,
    imported: int,
    report: dict[str, Any],
    created_by: str,
) -> None:
    session.add(
        ImportBatch(
            id=batch_id,
            kind="geography",
            import_key=import_key,
            filename=filename,
            status="imported",
            rows=rows,
            imported=imported,
            rejected=0,
            report=report,
            created_by=created_by,
        )
    )
    await session.flush()
