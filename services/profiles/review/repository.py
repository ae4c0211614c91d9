"""Queries of submissions and the checker's task list."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lokos.db import Database
from services.profiles.models import Submission


async def get_submission(
    session: AsyncSession, submission_id: uuid.UUID, *, for_update: bool = False
) -> Submission | None:
    q = select(Submission).where(Submission.id == submission_id)
    if for_update:
        q = q.with_for_update()
    return (await session.execute(q)).scalar_one_or_none()


@dataclass(frozen=True)
class Task:
    submission_id: uuid.UUID
    entity_type: str
    entity_id: uuid.UUID
    name: str
    code: str
    maker: str
    submitted_at: datetime
    block: str
    panchayat: str
    village: str
    duplication: str


_TASKS = """
WITH pending AS (
    SELECT s.id AS sid, s.entity_type, s.entity_id, s.maker, s.submitted_at
      FROM submission s
     WHERE s.status = 'pending'
       AND ($1::text[] IS NULL OR s.block_lgd_code = ANY($1))
       AND ($2::text = '' OR s.block_lgd_code = $2)
       AND (cardinality($3::text[]) = 0 OR s.entity_type = ANY($3))
), rows AS (
    SELECT p.*, c.name, coalesce(c.code, '') AS code, c.block_lgd_code AS block,
           c.panchayat_lgd_code AS panchayat, c.village_lgd_code AS village,
           CASE WHEN c.duplicate_flag THEN 'flagged' ELSE '' END AS duplication
      FROM pending p JOIN cbo c ON c.id = p.entity_id
     WHERE p.entity_type <> 'member' AND c.state = $4
    UNION ALL
    SELECT p.*, m.name, coalesce(m.code, '') AS code, m.block_lgd_code AS block,
           m.panchayat_lgd_code AS panchayat, m.village_lgd_code AS village,
           m.duplication_status AS duplication
      FROM pending p JOIN member m ON m.id = p.entity_id
     WHERE p.entity_type = 'member' AND m.state = $4
)
SELECT *,
       count(*) FILTER (WHERE entity_type = 'shg') OVER () AS n_shg,
       count(*) FILTER (WHERE entity_type = 'vo') OVER () AS n_vo,
       count(*) FILTER (WHERE entity_type = 'clf') OVER () AS n_clf,
       count(*) FILTER (WHERE entity_type = 'member') OVER () AS n_member
  FROM rows
 WHERE ($5::text = '' OR panchayat = $5)
   AND ($6::text = '' OR village = $6)
   AND ($7::text = '' OR code = $7)
   AND ($8::text = '' OR name ILIKE $8)
 ORDER BY submitted_at, sid
"""


async def tasks(
    db: Database,
    *,
    state: str,
    blocks: frozenset[str] | None,
    entity_types: list[str],
    block: str,
    panchayat: str,
    village: str,
    code: str,
    name: str,
    limit: int,
    offset: int,
) -> tuple[list[Task], int, dict[str, int]]:
    """Pending submissions the checker reaches, oldest first, with counts per type.

    One prepared statement on the read pool (My Task is the checker's home screen): the
    per-type counts ride along as window aggregates over the filtered rows.
    """
    pattern = f"%{name.replace('%', '').replace('_', '')}%" if name else ""
    rows = await db.fetch(
        _TASKS + " LIMIT $9 OFFSET $10",
        None if blocks is None else sorted(blocks),
        block,
        entity_types,
        state,
        panchayat,
        village,
        code,
        pattern,
        limit,
        offset,
    )
    args = (None if blocks is None else sorted(blocks), block, entity_types, state)
    filters = (panchayat, village, code, pattern)
    head = rows[0] if rows else None
    if head is None and offset > 0:  # past the end: the counts still describe the whole list
        extra = await db.fetch(_TASKS + " LIMIT 1", *args, *filters)
        head = extra[0] if extra else None
    counts = {
        t: int(head[f"n_{t}"]) for t in ("shg", "vo", "clf", "member") if head and head[f"n_{t}"]
    }
    items = [
        Task(
            r["sid"],
            r["entity_type"],
            r["entity_id"],
            r["name"],
            r["code"],
            r["maker"],
            r["submitted_at"],
            r["block"],
            r["panchayat"],
            r["village"],
            r["duplication"],
        )
        for r in rows
    ]
    return items, sum(counts.values()), counts
