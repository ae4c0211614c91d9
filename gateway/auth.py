"""Who is calling: the bearer token verified locally, then the principal from identity.

The token proves the user and realm; roles with their block/district scope come from the
identity service (kept out of tokens to keep them small) and are cached briefly per token
subject, so a warm request makes no call to the identity provider nor to identity.
"""

from __future__ import annotations

import time

from cachetools import TTLCache
from fastapi import Request

from gateway.clients import Clients
from gateway.tokens import TokenVerifier
from lokos.errors import Unauthenticated
from lokos.identity.v1 import identity_pb2
from lokos.principal import Principal
from lokos.rpc import call_metadata
from lokos.telemetry import current_trace_id


class PrincipalResolver:
    def __init__(
        self, verifier: TokenVerifier, clients: Clients, *, ttl: float, maxsize: int
    ) -> None:
        self.verifier = verifier
        self.clients = clients
        self.cache: TTLCache[tuple[str, str], Principal] = TTLCache(
            maxsize=maxsize, ttl=ttl, timer=time.monotonic
        )

    async def resolve(self, authorization: str | None) -> Principal:
        token = _bearer(authorization)
        verified = await self.verifier.verify(token)
        key = (verified.realm, verified.user_id)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        msg = await self.clients.identity.GetPrincipal(
            identity_pb2.GetPrincipalRequest(realm=verified.realm, user_id=verified.user_id),
            metadata=call_metadata(None, current_trace_id()),
            timeout=self.clients.deadline,
        )
        principal = Principal.from_proto(msg)
        if principal.realm != verified.realm:
            raise Unauthenticated(
                "token realm does not match the user's realm", code="realm_mismatch"
            )
        self.cache[key] = principal
        return principal

    def forget(self, realm: str, user_id: str) -> None:
        self.cache.pop((realm, user_id), None)


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise Unauthenticated("an Authorization: Bearer token is required", code="token_missing")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(
            "the Authorization header must be 'Bearer <token>'", code="token_malformed"
        )
    return token.strip()


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the authenticated principal of this request."""
    resolver: PrincipalResolver = request.app.state.principals
    return await resolver.resolve(request.headers.get("authorization"))
