"""The SLA rule: when a ticket counts as breached (shared by the rules and the contract)."""

from __future__ import annotations

from datetime import datetime

from services.helpdesk.models import Ticket


def breached(t: Ticket, at: datetime) -> bool:
    """The clock ran out: still unresolved past due at ``at``, or resolved after it."""
    return (t.resolved_at or at) > t.due_at
