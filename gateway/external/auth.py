"""Who is calling the external API: a registered API client, checked on every call.

The bearer token must be an access token of a trusted realm, issued to its client by the
client-credentials grant (``azp`` is the client id). Its signature alone is not enough: a
revoked client's tokens stay valid until they expire, so identity is asked on every call
(:rpc:`AuthoriseApiCall`: one primary-key read and one insert, which is also the call's audit
row). External traffic is small and rate-limited per client, so this costs little and makes a
revocation take effect at once on every gateway replica.

The client's scopes become grants of its principal at state scope (``lokos.catalogue``
``API_SCOPES``), signed like any principal, so services check them as they check roles.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from gateway.clients import Clients
from gateway.external.limits import ClientLimiter
from gateway.tokens import TokenVerifier
from lokos import catalogue
from lokos.errors import PermissionDenied, Unauthenticated
from lokos.identity.v1 import identity_pb2
from lokos.principal import Principal, RoleGrant, Scope
from lokos.rpc import service_metadata
from lokos.telemetry import current_trace_id

CLIENT_PREFIX = "client:"


@dataclass(frozen=True)
class ApiCaller:
    client_id: str
    name: str
    scopes: frozenset[str]
    principal: Principal
    # The consent the call reads member-level data under (checked by identity), if any.
    consent: identity_pb2.ConsentView | None = None

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise PermissionDenied(
                f"this client was not granted the {scope!r} scope", code="api_scope_missing"
            )


@dataclass
class ExternalAuth:
    verifier: TokenVerifier
    clients: Clients
    limiter: ClientLimiter

    async def caller(
        self, request: Request, *, consent_id: str = "", member_id: str = ""
    ) -> ApiCaller:
        header = request.headers.get("authorization", "")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise Unauthenticated(
                "send 'Authorization: Bearer <token>' (client-credentials grant)",
                code="token_missing",
            )
        token = await self.verifier.verify(raw.strip())
        # Spent before identity is asked, so a flood never reaches identity's database.
        self.limiter.take(token.client_id)
        answer = await self.clients.identity.AuthoriseApiCall(
            identity_pb2.AuthoriseApiCallRequest(
                realm=token.realm,
                client_id=token.client_id,
                method=request.method,
                path=request.url.path,
                consent_id=consent_id,
                member_id=member_id,
            ),
            metadata=service_metadata(current_trace_id()),
            timeout=self.clients.deadline,
        )
        client = answer.client
        self.limiter.learn(client.client_id, client.rate_per_minute)
        scopes = frozenset(s for s in client.scopes if s in catalogue.API_SCOPES)
        grants = [RoleGrant(catalogue.API_SCOPES[s], Scope("state")) for s in sorted(scopes)]
        consent = answer.consent if answer.HasField("consent") else None
        if consent is not None and "member-history" in scopes:
            # Member-level reads reach only the consenting member's SHG books.
            member_role = catalogue.API_SCOPES["member-history"]
            grants = [g for g in grants if g.role != member_role]
            grants.append(RoleGrant(member_role, Scope("cbo", frozenset({consent.shg_id}))))
        principal = Principal(
            user_id=f"{CLIENT_PREFIX}{client.client_id}",
            state=client.state,
            realm=client.realm,
            roles=tuple(grants),
        )
        return ApiCaller(client.client_id, client.name, scopes, principal, consent)


async def api_caller(request: Request) -> ApiCaller:
    """FastAPI dependency: the registered client calling (any scope)."""
    auth: ExternalAuth = request.app.state.external_auth
    return await auth.caller(request)
