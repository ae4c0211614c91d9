"""Tickets as the contract carries them."""

from __future__ import annotations

from datetime import UTC, datetime

from lokos.helpdesk.v1 import helpdesk_pb2
from services.helpdesk.models import Ticket
from services.helpdesk.sla import breached


def rfc3339(at: datetime | None) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z") if at else ""


def ticket(t: Ticket, *, at: datetime | None = None) -> helpdesk_pb2.Ticket:
    at = at or datetime.now(UTC)
    return helpdesk_pb2.Ticket(
        id=str(t.id),
        state=t.state,
        category=t.category,
        severity=t.severity,
        status=t.status,
        title=t.title,
        description=t.description,
        references=helpdesk_pb2.References(
            request_id=t.request_id,
            submission_ref=t.submission_ref,
            user_id=t.user_id,
            cbo_code=t.cbo_code,
        ),
        raised_by=t.raised_by,
        assignee=t.assignee,
        escalation_level=t.escalation_level,
        created_at=rfc3339(t.created_at),
        updated_at=rfc3339(t.updated_at),
        due_at=rfc3339(t.due_at),
        resolved_at=rfc3339(t.resolved_at),
        sla_breached=breached(t, at),
        resolution=t.resolution,
        version=t.version,
        trace_ids=list(t.trace_ids),
    )
