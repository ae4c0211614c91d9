"""Request search: which requests match a key, and one request's path hop by hop."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from lokos.errors import NotFound, PermissionDenied, ValidationFailed
from lokos.principal import Principal
from services.helpdesk import repository, service, spans

_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
DEFAULT_WINDOW = timedelta(hours=24)


class SpanStore(Protocol):
    """Where the hops are read: the local index (:class:`IndexStore`) or an OTLP backend's
    query API (:class:`services.helpdesk.jaeger.JaegerStore`)."""

    async def trace_ids(
        self,
        *,
        submission_ref: str = "",
        user_id: str = "",
        cbo_code: str = "",
        since_ns: int = 0,
        until_ns: int = 0,
        limit: int = 50,
    ) -> list[str]: ...

    async def entry_hops(self, ids: list[str]) -> dict[str, spans.Hop]: ...

    async def hops(self, trace_id: str) -> list[spans.Hop]: ...


class IndexStore:
    """The help desk's own span index (:mod:`services.helpdesk.spans`)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def trace_ids(
        self,
        *,
        submission_ref: str = "",
        user_id: str = "",
        cbo_code: str = "",
        since_ns: int = 0,
        until_ns: int = 0,
        limit: int = 50,
    ) -> list[str]:
        return await spans.trace_ids(
            self.session,
            submission_ref=submission_ref,
            user_id=user_id,
            cbo_code=cbo_code,
            since_ns=since_ns,
            until_ns=until_ns,
            limit=limit,
        )

    async def entry_hops(self, ids: list[str]) -> dict[str, spans.Hop]:
        return await spans.entry_hops(self.session, ids)

    async def hops(self, trace_id: str) -> list[spans.Hop]:
        return await spans.hops(self.session, trace_id)


@dataclass(frozen=True)
class Query:
    request_id: str = ""
    submission_ref: str = ""
    user_id: str = ""
    cbo_code: str = ""
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50


def _ns(at: datetime) -> int:
    return int(at.timestamp() * 1e9)


def _require(p: Principal) -> None:
    if not service.may_use_helpdesk(p):
        raise PermissionDenied("your roles do not include the help desk", code="helpdesk_denied")


async def search(p: Principal, q: Query, store: SpanStore) -> list[tuple[str, spans.Hop]]:
    """The entry hop of each matching request (newest first), by exactly one key."""
    _require(p)
    keys = [k for k in ("request_id", "submission_ref", "user_id", "cbo_code") if getattr(q, k)]
    if len(keys) != 1:
        raise ValidationFailed.one(
            "request_id",
            "give one of request_id, submission_ref, user_id or cbo_code",
            "one_key_required",
        )
    limit = max(1, min(q.limit or 50, 200))
    if q.request_id:
        rid = q.request_id.lower()
        if not _TRACE_ID.match(rid):
            raise ValidationFailed.one("request_id", "a request id is 32 hex digits")
        ids = [rid]
    else:
        since, until = q.since, q.until
        if q.user_id and since is None:
            since = (until or datetime.now(UTC)) - DEFAULT_WINDOW
        if since and until and since > until:
            raise ValidationFailed.one("since", "since must not be after until")
        ids = await store.trace_ids(
            submission_ref=q.submission_ref,
            user_id=q.user_id,
            cbo_code=q.cbo_code,
            since_ns=_ns(since) if since else 0,
            until_ns=_ns(until) if until else 0,
            limit=limit,
        )
    entries = await store.entry_hops(ids)
    return [(i, entries[i]) for i in ids if i in entries]


@dataclass(frozen=True)
class TraceView:
    request_id: str
    started_ns: int
    duration_ms: float
    hops: list[tuple[spans.Hop, int]]  # (hop, depth), in start order
    services: list[str]
    failed: bool
    ticket_ids: list[int]


async def request_trace(
    session: AsyncSession, p: Principal, request_id: str, store: SpanStore
) -> TraceView:
    _require(p)
    rid = request_id.lower()
    if not _TRACE_ID.match(rid):
        raise ValidationFailed.one("request_id", "a request id is 32 hex digits")
    found = await store.hops(rid)
    if not found:
        raise NotFound(f"no hops of request {rid} in the trace store", code="request_not_found")
    by_id = {h.span_id: h for h in found}

    def depth(h: spans.Hop) -> int:
        d, seen = 0, set()
        while h.parent_id in by_id and h.span_id not in seen:
            seen.add(h.span_id)
            h = by_id[h.parent_id]
            d += 1
        return d

    start = min(h.start_ns for h in found)
    end = max(h.end_ns for h in found)
    services: list[str] = []
    for h in found:
        if h.service not in services:
            services.append(h.service)
    return TraceView(
        rid,
        start,
        max(0, end - start) / 1e6,
        [(h, depth(h)) for h in found],
        services,
        any(h.status == "ERROR" or h.http_status >= 500 for h in found),
        await repository.tickets_citing(session, rid, service.visible_state(p)),
    )
