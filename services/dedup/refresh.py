""" "Refresh Duplicate" for a block: every pending member checked again, in the background.

A job is a row: asking again while one is queued or running for the block returns that one.
One worker per dedup process takes queued jobs oldest first and checks the block's pending
members (not yet approved, or migrated and not yet verified) a chunk at a time, committing
results and progress per chunk. A job that was running when the process stopped is taken
again from the start on restart: a check only rewrites the member's results, so running it
twice gives what running it once gives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from lokos import context
from lokos.catalogue import DUPLICATE_REFRESHERS, READERS
from lokos.errors import NotFound, PermissionDenied, ValidationFailed
from lokos.principal import GeoPath, Principal
from lokos.values import parse_uuid
from services.dedup import bulk, repository
from services.dedup.matching import CONFIRMED, POTENTIAL
from services.dedup.service import Dedup

log = logging.getLogger(__name__)

CHUNK = 1000
_JOB_COLUMNS = (
    "id, state, block_lgd_code, status, total, done, confirmed, potential, requested_by,"
    " requested_at, finished_at, error"
)

_PENDING = """
SELECT member_id FROM member_index
WHERE state = $1 AND block_lgd_code = $2 AND active AND (status <> 'approved' OR migrated)
ORDER BY member_id
"""


class Refresher:
    def __init__(self, dedup: Dedup) -> None:
        self.dedup = dedup
        self.db = dedup.db
        self._wake = asyncio.Event()

    async def start(self, principal: Principal, block: str) -> tuple[dict[str, Any], bool]:
        if not block or len(block) > 16 or not block.isalnum():
            raise ValidationFailed.one("block_lgd_code", "must be an LGD block code", "format")
        district = await self._district(block)
        if district is None:
            raise NotFound(f"block {block} has no members in the de-duplication index")
        where = GeoPath(self.dedup.state, district=district, block=block)
        if not principal.can_reach(where, READERS):
            raise NotFound(f"block {block} not found")
        if not principal.can_reach(where, DUPLICATE_REFRESHERS):
            raise PermissionDenied(
                "Refresh Duplicate is for the block's program manager and staff",
                code="not_a_refresher",
            )
        async with self.db.session() as session:
            conn = await repository.raw(session)
            row = await conn.fetchrow(
                f"""
                INSERT INTO refresh_job (id, state, block_lgd_code, status, requested_by,
                                         request_id, total, done, confirmed, potential, error)
                VALUES ($1, $2, $3, 'queued', $4, $5, 0, 0, 0, 0, '')
                ON CONFLICT (state, block_lgd_code) WHERE status IN ('queued', 'running')
                DO NOTHING
                RETURNING {_JOB_COLUMNS}
                """,
                uuid.uuid4(),
                self.dedup.state,
                block,
                principal.user_id,
                context.request_id(),
            )
            existing = row is None
            if row is None:
                row = await conn.fetchrow(
                    f"SELECT {_JOB_COLUMNS} FROM refresh_job WHERE state = $1"
                    " AND block_lgd_code = $2 AND status IN ('queued', 'running')",
                    self.dedup.state,
                    block,
                )
            await session.commit()
        self._wake.set()
        if row is None:  # finished between the two statements
            return await self.start(principal, block)
        return dict(row), existing

    async def get(self, principal: Principal, job_id: str) -> dict[str, Any]:
        jid = parse_uuid(job_id, "id")
        assert self.db.pool is not None
        async with self.db.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {_JOB_COLUMNS} FROM refresh_job WHERE id = $1 AND state = $2",
                jid,
                self.dedup.state,
            )
        if row is None:
            raise NotFound(f"refresh {job_id} not found")
        district = await self._district(row["block_lgd_code"]) or ""
        where = GeoPath(self.dedup.state, district=district, block=row["block_lgd_code"])
        if not principal.can_reach(where, READERS):
            raise NotFound(f"refresh {job_id} not found")
        return dict(row)

    async def _district(self, block: str) -> str | None:
        assert self.db.pool is not None
        async with self.db.pool.acquire() as conn:
            district: str | None = await conn.fetchval(
                "SELECT district_lgd_code FROM member_index WHERE state = $1"
                " AND block_lgd_code = $2 LIMIT 1",
                self.dedup.state,
                block,
            )
        return district

    # --- the worker ---------------------------------------------------------------------------

    async def run(self) -> None:
        async with self.db.session() as session:
            conn = await repository.raw(session)
            await conn.execute("UPDATE refresh_job SET status = 'queued' WHERE status = 'running'")
            await session.commit()
        while True:
            try:
                job = await self._claim()
                if job is None:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=5.0)
                    continue
                await self.process(job)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("refresh worker failed; retrying")
                await asyncio.sleep(2.0)

    async def _claim(self) -> dict[str, Any] | None:
        async with self.db.session() as session:
            conn = await repository.raw(session)
            row = await conn.fetchrow(
                """
                UPDATE refresh_job SET status = 'running', done = 0, confirmed = 0,
                       potential = 0, error = ''
                WHERE id = (SELECT id FROM refresh_job WHERE status = 'queued' AND state = $1
                            ORDER BY requested_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING id, block_lgd_code, request_id
                """,
                self.dedup.state,
            )
            await session.commit()
        return dict(row) if row else None

    async def process(self, job: dict[str, Any]) -> None:
        token = context.current_request_id.set(job["request_id"])
        try:
            assert self.db.pool is not None
            async with self.db.session() as session:
                # Keys stored under older name rules would hide candidates: the block's
                # members get the current ones first (a no-op when nothing changed).
                await bulk.rekey(await repository.raw(session), job["block_lgd_code"])
                await session.commit()
            async with self.db.pool.acquire() as conn:
                ids = [
                    r[0]
                    for r in await conn.fetch(_PENDING, self.dedup.state, job["block_lgd_code"])
                ]
            await self._progress(job["id"], total=len(ids))
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                async with self.db.session() as session:
                    checks = await self.dedup.recheck(session, chunk)
                    conn = await repository.raw(session)
                    await conn.execute(
                        "UPDATE refresh_job SET done = done + $2, confirmed = confirmed + $3,"
                        " potential = potential + $4 WHERE id = $1",
                        job["id"],
                        len(chunk),
                        sum(1 for c in checks if c.status == CONFIRMED),
                        sum(1 for c in checks if c.status == POTENTIAL),
                    )
                    await session.commit()
            await self._finish(job["id"], "done", "")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("refresh %s failed", job["id"])
            await self._finish(job["id"], "failed", str(exc)[:500])
        finally:
            context.current_request_id.reset(token)

    async def _progress(self, job_id: uuid.UUID, *, total: int) -> None:
        async with self.db.session() as session:
            conn = await repository.raw(session)
            await conn.execute("UPDATE refresh_job SET total = $2 WHERE id = $1", job_id, total)
            await session.commit()

    async def _finish(self, job_id: uuid.UUID, status: str, error: str) -> None:
        async with self.db.session() as session:
            conn = await repository.raw(session)
            await conn.execute(
                "UPDATE refresh_job SET status = $2, error = $3, finished_at = now() WHERE id = $1",
                job_id,
                status,
                error,
            )
            await session.commit()
