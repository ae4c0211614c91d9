"""What every router needs: the clients, the principal and call metadata."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.auth import allow, current_principal
from gateway.clients import Clients
from lokos import catalogue, i18n
from lokos.principal import Principal
from lokos.rpc import call_metadata
from lokos.telemetry import current_trace_id

CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
# Route permissions, derived from the role catalogue; services check scope on their own data.
GeographyEditor = Annotated[Principal, Depends(allow(catalogue.BLOCK_EDITORS))]
Staff = Annotated[Principal, Depends(allow(catalogue.PROGRAM_STAFF))]
ProfileMaker = Annotated[Principal, Depends(allow(catalogue.PROGRAM_STAFF | catalogue.BOOKKEEPERS))]


async def clients(request: Request) -> Clients:  # async: no thread-pool hop per request
    c: Clients = request.app.state.clients
    return c


ServiceClients = Annotated[Clients, Depends(clients)]


def metadata(principal: Principal) -> tuple[tuple[str, str | bytes], ...]:
    """Call metadata: the principal, the request id and the language the client asked for."""
    return call_metadata(principal, current_trace_id(), i18n.language())


_PROBLEMS = {
    401: "Missing, expired or untrusted token",
    403: "Outside the caller's roles or scope",
    404: "No such record (or none the caller may see)",
    409: "Conflict: a stale version, a duplicate, or a state that does not allow it",
    422: "Invalid input; `errors` names each field",
    423: "Locked: waiting for a checker, or the account is locked",
    429: "Too many attempts; retry after the time in Retry-After",
    503: "A service behind the gateway is unavailable; retry after Retry-After",
}


def problem_responses(*extra: int) -> dict[int | str, dict[str, object]]:
    """The problem+json answers of a router's operations: those every authenticated operation
    may give (401, 403, 422, 503, and 423 while the caller's account is locked) and ``extra``
    ones it really gives (404, 409…)."""
    return {
        code: {"description": _PROBLEMS[code], "content": {"application/problem+json": {}}}
        for code in sorted({401, 403, 422, 423, 503, *extra})
    }


PROBLEM_RESPONSES = problem_responses()
