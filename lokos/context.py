"""Per-request context: the principal and request id of the RPC or event being handled.

Set once by the gRPC server interceptor (or the consumer) and read by the outbox and logs,
so they need not be threaded through every call.
"""

from __future__ import annotations

from contextvars import ContextVar

from lokos.errors import PermissionDenied, Unauthenticated
from lokos.principal import Principal

current_principal: ContextVar[Principal | None] = ContextVar("lokos_principal", default=None)
current_request_id: ContextVar[str] = ContextVar("lokos_request_id", default="")


def principal() -> Principal:
    """The caller; raises :class:`Unauthenticated` when the request carried none."""
    p = current_principal.get()
    if p is None:
        raise Unauthenticated("no principal on this request", code="principal_missing")
    return p


def service_caller() -> Principal:
    """The caller, when it is a LokOS process acting as itself (a signed system principal,
    such as the gateway's before it knows the user); others are refused."""
    p = principal()
    if not p.is_system:
        raise PermissionDenied(
            "only LokOS services may call this", code="service_identity_required"
        )
    return p


def request_id() -> str:
    return current_request_id.get()
