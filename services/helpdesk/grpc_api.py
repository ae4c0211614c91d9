"""HelpdeskService over gRPC: translate proto ↔ domain, no rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import grpc
from sqlalchemy.ext.asyncio import AsyncSession

from lokos import context
from lokos.errors import ValidationFailed
from lokos.helpdesk.v1 import helpdesk_pb2, helpdesk_pb2_grpc
from services.helpdesk import convert, repository, search, service
from services.helpdesk.deps import Deps
from services.helpdesk.jaeger import JaegerStore


def _time(field: str, value: str) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.one(field, "an RFC 3339 date-time") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _ticket_id(value: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise ValidationFailed.one("id", "a ticket id is a number")
    return int(value)


class HelpdeskServicer(helpdesk_pb2_grpc.HelpdeskServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def _store(self, session: AsyncSession) -> search.SpanStore:
        if self.deps.jaeger is not None and self.deps.policy.trace_query_url:
            return JaegerStore(self.deps.jaeger, self.deps.policy.trace_query_url)
        return search.IndexStore(session)

    async def RaiseTicket(
        self, request: helpdesk_pb2.RaiseTicketRequest, ctx: grpc.aio.ServicerContext[Any, Any]
    ) -> helpdesk_pb2.Ticket:
        refs = request.references
        new = service.NewTicket(
            client_id=request.client_id,
            state=request.state,
            category=request.category,
            severity=request.severity,
            title=request.title,
            description=request.description,
            request_id=refs.request_id.lower(),
            submission_ref=refs.submission_ref,
            user_id=refs.user_id,
            cbo_code=refs.cbo_code,
        )
        async with self.deps.db.session() as session:
            t = await service.raise_ticket(session, context.principal(), self.deps.policy, new)
            await session.commit()
            return convert.ticket(t)

    async def GetTicket(
        self, request: helpdesk_pb2.GetTicketRequest, ctx: grpc.aio.ServicerContext[Any, Any]
    ) -> helpdesk_pb2.TicketDetail:
        async with self.deps.db.session() as session:
            t = await service.get_ticket(session, context.principal(), _ticket_id(request.id))
            history = await repository.history(session, t.id)
            return helpdesk_pb2.TicketDetail(
                ticket=convert.ticket(t),
                history=[
                    helpdesk_pb2.TicketEntry(
                        at=convert.rfc3339(e.at), actor=e.actor, action=e.action, text=e.text
                    )
                    for e in history
                ],
            )

    async def ListTickets(
        self, request: helpdesk_pb2.ListTicketsRequest, ctx: grpc.aio.ServicerContext[Any, Any]
    ) -> helpdesk_pb2.TicketList:
        async with self.deps.db.session() as session:
            found = await service.list_tickets(
                session,
                context.principal(),
                state=request.state,
                status=request.status,
                category=request.category,
                assignee=request.assignee,
                breached_only=request.breached_only,
                limit=request.limit,
            )
            at = service.now()
            return helpdesk_pb2.TicketList(tickets=[convert.ticket(t, at=at) for t in found])

    async def ActOnTicket(
        self, request: helpdesk_pb2.TicketActionRequest, ctx: grpc.aio.ServicerContext[Any, Any]
    ) -> helpdesk_pb2.Ticket:
        async with self.deps.db.session() as session:
            t = await service.act(
                session,
                context.principal(),
                self.deps.policy,
                _ticket_id(request.id),
                action=request.action,
                version=request.version,
                assignee=request.assignee,
                text=request.text,
                trace_ids=[t.lower() for t in request.trace_ids],
            )
            await session.commit()
            return convert.ticket(t)

    async def TicketReport(
        self, request: helpdesk_pb2.TicketReportRequest, ctx: grpc.aio.ServicerContext[Any, Any]
    ) -> helpdesk_pb2.TicketReportResult:
        async with self.deps.db.session() as session:
            rows = await service.report(session, context.principal(), request.state)
        return helpdesk_pb2.TicketReportResult(
            rows=[
                helpdesk_pb2.TicketReportRow(
                    state=r.state,
                    category=r.category,
                    status=r.status,
                    age_band=r.age_band,
                    tickets=r.tickets,
                    breached=r.breached,
                    mean_hours_to_resolve=r.mean_hours_to_resolve,
                )
                for r in rows
            ]
        )

    async def SearchRequests(
        self, request: helpdesk_pb2.SearchRequestsRequest, ctx: grpc.aio.ServicerContext[Any, Any]
    ) -> helpdesk_pb2.RequestList:
        q = search.Query(
            request_id=request.request_id,
            submission_ref=request.submission_ref,
            user_id=request.user_id,
            cbo_code=request.cbo_code,
            since=_time("since", request.since),
            until=_time("until", request.until),
            limit=request.limit,
        )
        async with self.deps.db.session() as session:
            found = await search.search(context.principal(), q, self._store(session))
        return helpdesk_pb2.RequestList(
            requests=[
                helpdesk_pb2.RequestSummary(
                    request_id=trace_id,
                    started_at=convert.rfc3339(datetime.fromtimestamp(h.start_ns / 1e9, UTC)),
                    name=h.name,
                    service=h.service,
                    status=h.status,
                    http_status=h.http_status,
                    duration_ms=h.duration_ms,
                    user_id=h.user_id,
                )
                for trace_id, h in found
            ]
        )

    async def GetRequestTrace(
        self, request: helpdesk_pb2.GetRequestTraceRequest, ctx: grpc.aio.ServicerContext[Any, Any]
    ) -> helpdesk_pb2.RequestTrace:
        async with self.deps.db.session() as session:
            v = await search.request_trace(
                session, context.principal(), request.request_id, self._store(session)
            )
        return helpdesk_pb2.RequestTrace(
            request_id=v.request_id,
            started_at=convert.rfc3339(datetime.fromtimestamp(v.started_ns / 1e9, UTC)),
            duration_ms=v.duration_ms,
            hops=[
                helpdesk_pb2.Hop(
                    span_id=h.span_id,
                    parent_id=h.parent_id,
                    service=h.service,
                    name=h.name,
                    kind=h.kind,
                    offset_ms=(h.start_ns - v.started_ns) / 1e6,
                    duration_ms=h.duration_ms,
                    status=h.status,
                    error=h.error,
                    http_status=h.http_status,
                    depth=depth,
                )
                for h, depth in v.hops
            ],
            services=v.services,
            failed=v.failed,
            ticket_ids=[str(i) for i in v.ticket_ids],
        )
