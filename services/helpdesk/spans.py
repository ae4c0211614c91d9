"""The span index request search reads: built from the trace files every process writes
(``<data_dir>/traces/<service>.jsonl``, see :mod:`lokos.telemetry`), kept for a configured
number of days, searched by request id, submission reference, user id + time, or CBO code.

A hop's error text is masked (:mod:`services.helpdesk.redaction`) before it is stored; the
spans carry route templates, never request bodies, so nothing personal reaches the index.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opentelemetry.instrumentation.utils import suppress_instrumentation
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from lokos.db import Database
from services.helpdesk.models import Span, SpanSource
from services.helpdesk.redaction import mask_numbers

log = logging.getLogger(__name__)

# Read at most this much of one file per pass (a backlog is caught up over a few passes).
MAX_READ_BYTES = 8 * 1024 * 1024
BATCH = 10_000


def span_row(r: dict[str, Any]) -> dict[str, Any] | None:
    """A JSON line of the exporters as a row of the index; None when it is not a span."""
    try:
        return {
            "trace_id": str(r["trace_id"])[:32],
            "span_id": str(r["span_id"])[:16],
            "parent_id": str(r.get("parent_id") or "")[:16],
            "service": str(r.get("service") or "")[:32],
            "name": str(r.get("name") or "")[:200],
            "kind": str(r.get("kind") or "")[:16],
            "start_ns": int(r.get("start") or 0),
            "end_ns": int(r.get("end") or 0),
            "status": str(r.get("status") or "")[:8],
            "error": mask_numbers(str(r.get("error") or ""))[:2000],
            "http_status": int(r.get("http_status") or 0),
            "user_id": str(r.get("user_id") or "")[:64],
            "cbo_code": str(r.get("cbo_code") or "")[:64],
            "submission_ref": str(r.get("submission_ref") or "")[:64],
        }
    except (KeyError, TypeError, ValueError):
        return None


def parse_lines(data: bytes) -> list[dict[str, Any]]:
    rows = []
    for line in data.splitlines():
        try:
            row = span_row(json.loads(line))
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue  # a line cut by a crash mid-write
        if row is not None and row["trace_id"] and row["span_id"]:
            rows.append(row)
    return rows


# The columns of a span row, and the array type each is sent as.
_COLUMNS = (
    ("trace_id", "text"),
    ("span_id", "text"),
    ("parent_id", "text"),
    ("service", "text"),
    ("name", "text"),
    ("kind", "text"),
    ("start_ns", "bigint"),
    ("end_ns", "bigint"),
    ("status", "text"),
    ("error", "text"),
    ("http_status", "smallint"),
    ("user_id", "text"),
    ("cbo_code", "text"),
    ("submission_ref", "text"),
)
# One prepared statement for any number of rows: a column per array, re-read spans skipped.
# A multi-row VALUES built by the ORM cost more per span (compiling 14 parameters a row,
# never cached) than the request the span describes; this is a few microseconds a span.
_STORE = text(
    f"INSERT INTO span ({', '.join(c for c, _ in _COLUMNS)}) "
    f"SELECT * FROM unnest({', '.join(f'CAST(:{c} AS {t}[])' for c, t in _COLUMNS)}) "
    "ON CONFLICT DO NOTHING"
)


async def store(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    for i in range(0, len(rows), BATCH):
        batch = rows[i : i + BATCH]
        await session.execute(_STORE, {c: [r[c] for r in batch] for c, _ in _COLUMNS})


def _read(path: Path, offset: int) -> tuple[bytes, int]:
    """Whole lines of ``path`` from ``offset`` (at most MAX_READ_BYTES); the new offset."""
    with path.open("rb") as f:
        f.seek(offset)
        data = f.read(MAX_READ_BYTES)
    end = data.rfind(b"\n")
    if end < 0:
        return b"", offset
    return data[: end + 1], offset + end + 1


def read_new(
    path: Path, known: tuple[int, int] | None
) -> tuple[list[dict[str, Any]], int, int] | None:
    """Spans of ``path`` written since ``known`` (inode, offset): (rows, inode, new offset);
    None when the file is gone."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    rows: list[dict[str, Any]] = []
    offset = 0
    if known is not None and known[0] == st.st_ino and known[1] <= st.st_size:
        offset = known[1]
    elif known is not None and known[0] != st.st_ino:
        # Rotated: finish the file it was reading (now <name>.jsonl.1) first.
        older = path.with_suffix(".jsonl.1")
        if older.exists() and older.stat().st_ino == known[0]:
            data, _ = _read(older, known[1])
            rows += parse_lines(data)
    data, new_offset = _read(path, offset)
    rows += parse_lines(data)
    return rows, st.st_ino, new_offset


class SpanIngestor:
    """Reads new lines of every trace file into the index, and drops spans past retention."""

    def __init__(self, db: Database, trace_dir: Path, interval: float, retention_days: float):
        self.db = db
        self.trace_dir = trace_dir
        self.interval = interval
        self.retention_ns = int(retention_days * 86400 * 1e9)
        self._last_prune = 0.0

    async def run(self) -> None:
        while True:
            try:
                # The index's own statements are not requests anyone searches for.
                with suppress_instrumentation():
                    await self.pass_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("span index: a pass failed (%s); retrying", exc)
            await asyncio.sleep(self.interval)

    async def pass_once(self) -> int:
        """One pass over the files; how many spans were read."""
        read = 0
        paths = await asyncio.to_thread(lambda: sorted(self.trace_dir.glob("*.jsonl")))
        for path in paths:
            read += await self._ingest(path)
        if time.monotonic() - self._last_prune > 3600:
            await self.prune()
            self._last_prune = time.monotonic()
        return read

    async def _ingest(self, path: Path) -> int:
        async with self.db.session() as session:
            source = await session.get(SpanSource, str(path))
            known = (source.inode, source.offset) if source is not None else None
            found = await asyncio.to_thread(read_new, path, known)
            if found is None:
                return 0
            rows, inode, offset = found
            if rows:
                await store(session, rows)
            if source is None:
                session.add(SpanSource(path=str(path), inode=inode, offset=offset))
            else:
                source.inode, source.offset = inode, offset
            await session.commit()
        return len(rows)

    async def prune(self) -> None:
        cutoff = time.time_ns() - self.retention_ns
        async with self.db.session() as session:
            await session.execute(delete(Span).where(Span.start_ns < cutoff))
            await session.commit()


# --- search ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hop:
    span_id: str
    parent_id: str
    service: str
    name: str
    kind: str
    start_ns: int
    end_ns: int
    status: str
    error: str
    http_status: int
    user_id: str

    @property
    def duration_ms(self) -> float:
        return max(0, self.end_ns - self.start_ns) / 1e6


def _hop(s: Any) -> Hop:
    return Hop(
        s.span_id,
        s.parent_id,
        s.service,
        s.name,
        s.kind,
        s.start_ns,
        s.end_ns,
        s.status,
        s.error,
        s.http_status,
        s.user_id,
    )


_HOP_COLUMNS = (
    Span.trace_id,
    Span.span_id,
    Span.parent_id,
    Span.service,
    Span.name,
    Span.kind,
    Span.start_ns,
    Span.end_ns,
    Span.status,
    Span.error,
    Span.http_status,
    Span.user_id,
)


async def trace_ids(
    session: AsyncSession,
    *,
    submission_ref: str = "",
    user_id: str = "",
    cbo_code: str = "",
    since_ns: int = 0,
    until_ns: int = 0,
    limit: int = 50,
) -> list[str]:
    """Requests whose hops carry the key, newest first (each index answers one key)."""
    q = select(Span.trace_id, Span.start_ns)
    if submission_ref:
        q = q.where(Span.submission_ref == submission_ref)
    elif user_id:
        q = q.where(Span.user_id == user_id)
    else:
        q = q.where(Span.cbo_code == cbo_code)
    if since_ns:
        q = q.where(Span.start_ns >= since_ns)
    if until_ns:
        q = q.where(Span.start_ns <= until_ns)
    rows = (await session.execute(q.order_by(Span.start_ns.desc()).limit(limit * 4))).all()
    seen: dict[str, None] = {}
    for trace_id, _ in rows:
        seen.setdefault(trace_id, None)
    return list(seen)[:limit]


async def entry_hops(session: AsyncSession, ids: list[str]) -> dict[str, Hop]:
    """The first hop (the root: no parent in the trace) of each request."""
    if not ids:
        return {}
    q = select(*_HOP_COLUMNS).where(Span.trace_id.in_(ids), Span.parent_id == "")
    out: dict[str, Hop] = {}
    for row in (await session.execute(q.order_by(Span.start_ns))).all():
        out.setdefault(row.trace_id, _hop(row))
    return out


async def hops(session: AsyncSession, trace_id: str) -> list[Hop]:
    q = select(*_HOP_COLUMNS).where(Span.trace_id == trace_id).order_by(Span.start_ns)
    return [_hop(r) for r in (await session.execute(q)).all()]
