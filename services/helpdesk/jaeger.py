"""Request search against Jaeger's query API, when spans go to an OTLP backend
(``LOKOS_TRACE_QUERY_URL``, e.g. ``http://jaeger:16686``) instead of the local index.

Jaeger keeps spans of each service with their tags; the reference tags (``lokos.user_id``,
``lokos.cbo_code``, ``lokos.submission_ref``) are searched on the services that set them (the
gateway, then profiles). Errors are masked as in the local index.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from lokos.errors import Unavailable
from services.helpdesk.redaction import mask_numbers
from services.helpdesk.spans import Hop

# The services whose hops carry reference tags, in the order they are asked.
_TAGGED_SERVICES = ("gateway", "profiles")


def _tags(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {str(t.get("key")): t.get("value") for t in items or []}


def hops_of(trace: dict[str, Any]) -> list[Hop]:
    """A Jaeger trace (``data[i]`` of its API) as hops, in start order."""
    processes = trace.get("processes") or {}
    out: list[Hop] = []
    for s in trace.get("spans") or []:
        tags = _tags(s.get("tags") or [])
        parent = next(
            (r["spanID"] for r in s.get("references") or [] if r.get("refType") == "CHILD_OF"),
            "",
        )
        error = ""
        for log in s.get("logs") or []:
            fields = _tags(log.get("fields") or [])
            if fields.get("event") == "exception":
                error = f"{fields.get('exception.type', '')}: {fields.get('exception.message', '')}"
        status = str(tags.get("otel.status_code") or ("ERROR" if tags.get("error") else "UNSET"))
        start = int(s.get("startTime") or 0) * 1000
        http_status = tags.get("http.status_code") or tags.get("http.response.status_code") or 0
        out.append(
            Hop(
                span_id=str(s.get("spanID", ""))[-16:].rjust(16, "0"),
                parent_id=str(parent)[-16:].rjust(16, "0") if parent else "",
                service=str(processes.get(s.get("processID"), {}).get("serviceName", "")),
                name=str(s.get("operationName", "")),
                kind=str(tags.get("span.kind", "internal")).upper(),
                start_ns=start,
                end_ns=start + int(s.get("duration") or 0) * 1000,
                status=status,
                error=mask_numbers(error or str(tags.get("otel.status_description") or "")),
                http_status=int(http_status) if str(http_status).isdigit() else 0,
                user_id=str(tags.get("lokos.user_id") or ""),
            )
        )
    return sorted(out, key=lambda h: h.start_ns)


class JaegerStore:
    """The span store of request search, read from Jaeger (see :class:`search.SpanStore`)."""

    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self.http = http
        self.url = url.rstrip("/")
        self._found: dict[str, list[Hop]] = {}

    async def _get(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        try:
            r = await self.http.get(f"{self.url}{path}", params=params)
        except httpx.HTTPError as exc:
            raise Unavailable(f"the trace backend did not answer ({exc})") from None
        if r.status_code == 404:
            return []
        if r.status_code != 200:
            raise Unavailable(f"the trace backend answered {r.status_code}")
        data: list[dict[str, Any]] = r.json().get("data") or []
        return data

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
        key, value = next(
            (k, v)
            for k, v in (
                ("lokos.submission_ref", submission_ref),
                ("lokos.user_id", user_id),
                ("lokos.cbo_code", cbo_code),
            )
            if v
        )
        params = {"tags": json.dumps({key: value}), "limit": str(limit)}
        if since_ns:
            params["start"] = str(since_ns // 1000)
        if until_ns:
            params["end"] = str(until_ns // 1000)
        found: dict[str, int] = {}
        for service in _TAGGED_SERVICES:
            for trace in await self._get("/api/traces", {**params, "service": service}):
                trace_id = str(trace.get("traceID", "")).rjust(32, "0")
                hops = hops_of(trace)
                self._found[trace_id] = hops
                found.setdefault(trace_id, min((h.start_ns for h in hops), default=0))
        return sorted(found, key=lambda t: -found[t])[:limit]

    async def entry_hops(self, ids: list[str]) -> dict[str, Hop]:
        out: dict[str, Hop] = {}
        for trace_id in ids:
            hops = self._found.get(trace_id) or await self.hops(trace_id)
            known = {h.span_id for h in hops}
            roots = [h for h in hops if h.parent_id not in known]
            if roots:
                out[trace_id] = roots[0]
        return out

    async def hops(self, trace_id: str) -> list[Hop]:
        data = await self._get(f"/api/traces/{trace_id}")
        return hops_of(data[0]) if data else []
