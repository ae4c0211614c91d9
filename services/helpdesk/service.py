"""Rules of tickets: who raises, sees and works them, the workflow, and the SLA clock.

Workflow (docs/helpdesk.md)::

    raise ──► open ──assign──► assigned ──escalate──► escalated ──resolve (lead)──► resolved
                │                  │                                                  │
                └──────────────────┴──────────resolve (agent)────────────────────────►│
    resolved ──reopen──► open (or assigned, when it has an assignee); the SLA clock restarts

Comments may be added in every status. Agents and the lead assign, escalate and resolve; an
escalated ticket is resolved by the lead. The state's staff raise, comment, escalate and
reopen their own state's tickets. Each step is audited and emitted as an event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lokos.audit import record_audit
from lokos.catalogue import HELPDESK_AGENTS, HELPDESK_LEADS, TICKET_RAISERS
from lokos.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from lokos.principal import Principal
from services.helpdesk import events, repository
from services.helpdesk.models import Ticket, audit_log
from services.helpdesk.redaction import mask_numbers

CATEGORIES = (
    "login",
    "user_management",
    "profile",
    "duplicate",
    "meeting",
    "loan",
    "report",
    "data_migration",
    "other",
)
SEVERITIES = ("critical", "high", "medium", "low")
STATUSES = ("open", "assigned", "escalated", "resolved")
ACTIONS = ("assign", "comment", "escalate", "resolve", "reopen")
_STATE = re.compile(r"^[a-z]{2,16}$")
_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
_USER_ID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


@dataclass(frozen=True)
class Policy:
    """What the process was configured with: its state, and hours to resolve per severity."""

    state: str
    sla_hours: dict[str, float]
    # Jaeger's query API, when request search reads an OTLP backend (empty: the local index).
    trace_query_url: str = ""


def now() -> datetime:
    return datetime.now(UTC)


def is_agent(p: Principal) -> bool:
    return p.has_any_role(HELPDESK_AGENTS)


def may_use_helpdesk(p: Principal) -> bool:
    return p.has_any_role(HELPDESK_AGENTS | TICKET_RAISERS)


def _require_helpdesk(p: Principal) -> None:
    if not may_use_helpdesk(p):
        raise PermissionDenied("your roles do not include the help desk", code="helpdesk_denied")


def visible_state(p: Principal) -> str:
    """The one state whose tickets ``p`` sees; empty for the help desk (every state)."""
    return "" if is_agent(p) else p.state


def _check_refs(request_id: str, trace_ids: list[str]) -> None:
    for field, value in [("references.request_id", request_id)] + [
        (f"trace_ids[{i}]", t) for i, t in enumerate(trace_ids)
    ]:
        if value and not _TRACE_ID.match(value):
            raise ValidationFailed.one(field, "a request id is 32 hex digits", "invalid_request_id")


@dataclass(frozen=True)
class NewTicket:
    client_id: str
    state: str
    category: str
    severity: str
    title: str
    description: str
    request_id: str = ""
    submission_ref: str = ""
    user_id: str = ""
    cbo_code: str = ""


def _snapshot(t: Ticket) -> dict[str, object]:
    return {
        "status": t.status,
        "assignee": t.assignee,
        "escalation_level": t.escalation_level,
        "severity": t.severity,
        "due_at": t.due_at.isoformat(),
        "resolved_at": t.resolved_at.isoformat() if t.resolved_at else None,
        "trace_ids": list(t.trace_ids),
        "version": t.version,
    }


async def raise_ticket(
    session: AsyncSession, p: Principal, policy: Policy, new: NewTicket
) -> Ticket:
    """Raise a ticket (idempotent by ``client_id``). State staff raise for their own state;
    the help desk raises on a state's behalf and names it."""
    _require_helpdesk(p)
    state = new.state
    if is_agent(p):
        if not state:
            raise ValidationFailed.one("state", "name the state the issue is in", "required")
    elif not p.has_any_role(TICKET_RAISERS):
        raise PermissionDenied("your roles do not raise tickets", code="helpdesk_denied")
    elif state and state != p.state:
        raise PermissionDenied(
            "you raise tickets for your own state only", code="ticket_out_of_scope"
        )
    state = state or p.state
    if not _STATE.match(state):
        raise ValidationFailed.one("state", "a state code is 2-16 lower-case letters")
    if new.category not in CATEGORIES:
        raise ValidationFailed.one("category", f"one of {', '.join(CATEGORIES)}")
    if new.severity not in SEVERITIES:
        raise ValidationFailed.one("severity", f"one of {', '.join(SEVERITIES)}")
    if not new.title.strip():
        raise ValidationFailed.one("title", "a ticket needs a title", "required")
    if new.user_id and not _USER_ID.match(new.user_id):
        raise ValidationFailed.one("references.user_id", "not a user ID")
    _check_refs(new.request_id, [])
    existing = await repository.ticket_by_client_id(session, new.client_id)
    if existing is not None:
        return existing
    at = now()
    t = Ticket(
        client_id=new.client_id,
        state=state,
        category=new.category,
        severity=new.severity,
        status="open",
        title=mask_numbers(new.title.strip()),
        description=mask_numbers(new.description),
        request_id=new.request_id,
        submission_ref=new.submission_ref,
        user_id=new.user_id,
        cbo_code=new.cbo_code,
        trace_ids=[new.request_id] if new.request_id else [],
        raised_by=p.user_id,
        assignee="",
        escalation_level=0,
        resolution="",
        created_at=at,
        updated_at=at,
        due_at=at + timedelta(hours=policy.sla_hours[new.severity]),
        version=1,
    )
    session.add(t)
    await session.flush()
    await repository.add_entry(session, t.id, p.user_id, "raised", t.title)
    await record_audit(
        session,
        audit_log,
        action="raised",
        entity="ticket",
        entity_id=str(t.id),
        after=_snapshot(t),
    )
    await events.ticket_changed(session, policy.state, t, "raised", p.user_id)
    return t


async def get_ticket(session: AsyncSession, p: Principal, ticket_id: int) -> Ticket:
    """The ticket, when ``p`` may see it (another state's ticket is not found, not forbidden:
    its existence is not hers to know)."""
    _require_helpdesk(p)
    t = await repository.ticket(session, ticket_id)
    scope = visible_state(p)
    if t is None or (scope and t.state != scope):
        raise NotFound(f"no ticket {ticket_id}", code="ticket_not_found")
    return t


async def list_tickets(
    session: AsyncSession,
    p: Principal,
    *,
    state: str = "",
    status: str = "",
    category: str = "",
    assignee: str = "",
    breached_only: bool = False,
    limit: int = 100,
) -> list[Ticket]:
    _require_helpdesk(p)
    scope = visible_state(p)
    if scope and state and state != scope:
        raise PermissionDenied("you see your own state's tickets only", code="ticket_out_of_scope")
    if status and status not in STATUSES:
        raise ValidationFailed.one("status", f"one of {', '.join(STATUSES)}")
    found = await repository.tickets(
        session,
        state=scope or state,
        status=status,
        category=category,
        assignee=assignee,
        breached_at=now() if breached_only else None,
        limit=max(1, min(limit or 100, 500)),
    )
    return list(found)


async def act(
    session: AsyncSession,
    p: Principal,
    policy: Policy,
    ticket_id: int,
    *,
    action: str,
    version: int,
    assignee: str = "",
    text: str = "",
    trace_ids: list[str] | None = None,
) -> Ticket:
    """One workflow step on a ticket (see the module docstring)."""
    _require_helpdesk(p)
    if action not in ACTIONS:
        raise ValidationFailed.one("action", f"one of {', '.join(ACTIONS)}")
    links = list(trace_ids or [])
    _check_refs("", links)
    t = await repository.ticket(session, ticket_id, for_update=True)
    scope = visible_state(p)
    if t is None or (scope and t.state != scope):
        raise NotFound(f"no ticket {ticket_id}", code="ticket_not_found")
    if version != t.version:
        raise Conflict(f"the ticket changed (version {t.version}); reload it", code="stale_version")
    before = _snapshot(t)
    text = mask_numbers(text.strip())
    agent = is_agent(p)
    at = now()
    if action == "assign":
        if not agent:
            raise PermissionDenied("only the help desk assigns tickets", code="helpdesk_denied")
        _not_resolved(t)
        who = assignee or p.user_id
        if not _USER_ID.match(who):
            raise ValidationFailed.one("assignee", "not a user ID")
        t.assignee = who
        if t.status == "open":
            t.status = "assigned"
        text = text or who
    elif action == "comment":
        if not text:
            raise ValidationFailed.one("text", "a comment needs text", "required")
    elif action == "escalate":
        _not_resolved(t)
        if not text:
            raise ValidationFailed.one("text", "say why it is escalated", "required")
        t.status = "escalated"
        t.escalation_level += 1
    elif action == "resolve":
        if not agent:
            raise PermissionDenied("only the help desk resolves tickets", code="helpdesk_denied")
        _not_resolved(t)
        if t.status == "escalated" and not p.has_any_role(HELPDESK_LEADS):
            raise PermissionDenied(
                "an escalated ticket is resolved by the help desk lead", code="lead_required"
            )
        if not text:
            raise ValidationFailed.one("text", "say how it was resolved", "required")
        t.status = "resolved"
        t.resolution = text
        t.resolved_at = at
    else:  # reopen
        if t.status != "resolved":
            raise Conflict("only a resolved ticket can be reopened", code="ticket_not_resolved")
        if not text:
            raise ValidationFailed.one("text", "say why it is reopened", "required")
        t.status = "assigned" if t.assignee else "open"
        t.resolved_at = None
        t.resolution = ""
        t.due_at = at + timedelta(hours=policy.sla_hours[t.severity])
    for trace_id in links:
        if trace_id not in t.trace_ids:
            t.trace_ids = [*t.trace_ids, trace_id]
    t.version += 1
    t.updated_at = at
    past = _PAST[action]
    await repository.add_entry(session, t.id, p.user_id, past, text)
    await record_audit(
        session,
        audit_log,
        action=past,
        entity="ticket",
        entity_id=str(t.id),
        before=before,
        after=_snapshot(t),
    )
    await events.ticket_changed(session, policy.state, t, past, p.user_id)
    return t


_PAST = {
    "assign": "assigned",
    "comment": "commented",
    "escalate": "escalated",
    "resolve": "resolved",
    "reopen": "reopened",
}


def _not_resolved(t: Ticket) -> None:
    if t.status == "resolved":
        raise Conflict("the ticket is resolved; reopen it first", code="ticket_resolved")


@dataclass(frozen=True)
class ReportRow:
    state: str
    category: str
    status: str
    age_band: str
    tickets: int
    breached: int
    mean_hours_to_resolve: float


async def report(session: AsyncSession, p: Principal, state: str = "") -> list[ReportRow]:
    _require_helpdesk(p)
    scope = visible_state(p)
    if scope and state and state != scope:
        raise PermissionDenied("you see your own state's tickets only", code="ticket_out_of_scope")
    rows = await repository.report(session, now(), scope or state)
    return [
        ReportRow(
            r.state,
            r.category,
            r.status,
            r.age_band,
            int(r.tickets),
            int(r.breached or 0),
            round(float(r.mean_hours), 2) if r.status == "resolved" else 0.0,
        )
        for r in rows
    ]
