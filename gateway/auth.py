"""Who is calling: the bearer token verified locally, then the principal from identity.

The token proves the user and realm; roles with their block/district scope, CBO mapping and the
bound device come from the identity service (kept out of tokens to keep them small), cached per
user and dropped when identity announces a change (``identity.user.changed`` over NATS), so a
warm request calls neither the identity provider nor identity.

Mobile tokens (client ``lokos-mobile``) are bound to one device: the request must name it in
``X-Device-Id``, it must be the user's bound device, and the token's session must have been
issued to that device. Anything else is refused with ``device_not_bound``.

Whatever issued the token (a gateway login or the provider's token endpoint directly), the
user must be active and not locked, the token's session must not have ended (logout), and the
token's client must be a channel all of the user's roles may use (``lokos.catalogue``). Identity
answers these facts with the principal and announces their changes, so the warm path checks
them from the cache without any call.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache
from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.routing import APIRoute, iter_route_contexts

from gateway.clients import Clients
from gateway.tokens import TokenVerifier, VerifiedToken
from lokos import catalogue, telemetry
from lokos.errors import Locked, PermissionDenied, Unauthenticated
from lokos.identity.v1 import identity_pb2
from lokos.principal import Principal
from lokos.rpc import service_metadata
from lokos.telemetry import current_trace_id

MOBILE_CLIENT = "lokos-mobile"
DEVICE_HEADER = "x-device-id"

# The bearer scheme every operation that authenticates declares in the OpenAPI document
# (:func:`document_bearer`); the header itself is read and checked by :func:`current_principal`.
BEARER_SCHEME = "bearer"
_BEARER = HTTPBearerModel(
    bearerFormat="JWT",
    description="An access token of the caller's state realm (or the national realm)",
)


@dataclass(frozen=True)
class _Known:
    """A cached answer of identity: the principal and what each request is checked against."""

    principal: Principal
    status: str
    # Epoch seconds until which the user is locked; 0 when not locked.
    locked_until: float
    ended_sessions: frozenset[str]
    channels: frozenset[str]

    def check(self, token: VerifiedToken) -> None:
        if self.status != "active":
            raise PermissionDenied(f"user {token.user_id} is {self.status}", code="user_inactive")
        if self.locked_until > time.time():
            raise Locked(
                "too many wrong passwords: the account is locked; try later or ask your admin",
                code="account_locked",
            )
        sid = token.claims.get("sid")
        if isinstance(sid, str) and sid in self.ended_sessions:
            raise Unauthenticated("this session has ended; log in again", code="session_ended")
        channel = catalogue.CLIENT_CHANNELS.get(token.client_id)
        if channel is None or channel not in self.channels:
            raise PermissionDenied(
                f"your roles may not be used through {channel or token.client_id}",
                code="channel_not_allowed",
            )


class PrincipalResolver:
    def __init__(
        self, verifier: TokenVerifier, clients: Clients, *, ttl: float, maxsize: int
    ) -> None:
        self.verifier = verifier
        self.clients = clients
        self.cache: TTLCache[tuple[str, str], _Known] = TTLCache(
            maxsize=maxsize, ttl=ttl, timer=time.monotonic
        )

    async def resolve(self, authorization: str | None, device_id: str | None = None) -> Principal:
        token = await self.verifier.verify(_bearer(authorization))
        principal = await self._principal(token, fresh=False)
        if token.client_id != MOBILE_CLIENT:
            return principal
        if not device_id:
            raise Unauthenticated("mobile requests must send X-Device-Id", code="device_missing")
        if not _device_ok(principal, token, device_id):
            # The cache may predate a login on this device: ask identity once more.
            principal = await self._principal(token, fresh=True)
            if not _device_ok(principal, token, device_id):
                raise Unauthenticated(
                    "this device is not the one bound to the user; log in again (OTP)",
                    code="device_not_bound",
                )
        return principal

    async def _principal(self, token: VerifiedToken, *, fresh: bool) -> Principal:
        key = (token.realm, token.user_id)
        known = None if fresh else self.cache.get(key)
        if known is None:
            known = await self._ask_identity(token)
            self.cache[key] = known
        known.check(token)
        return known.principal

    async def _ask_identity(self, token: VerifiedToken) -> _Known:
        msg = await self.clients.identity.GetPrincipal(
            identity_pb2.GetPrincipalRequest(realm=token.realm, user_id=token.user_id),
            metadata=service_metadata(current_trace_id()),
            timeout=self.clients.deadline,
        )
        principal = Principal.from_proto(msg.principal)
        if principal.realm != token.realm:
            raise Unauthenticated(
                "token realm does not match the user's realm", code="realm_mismatch"
            )
        return _Known(
            principal=principal,
            status=msg.status,
            locked_until=msg.locked_until.seconds if msg.HasField("locked_until") else 0.0,
            ended_sessions=frozenset(msg.ended_sessions),
            channels=catalogue.channels_of(principal.role_names),
        )

    def forget(self, realm: str, user_id: str) -> None:
        self.cache.pop((realm, user_id), None)

    def forget_user(self, user_id: str) -> None:
        """Drop ``user_id`` in every trusted realm (a login answer names no realm)."""
        for realm in self.verifier.realms:
            self.cache.pop((realm, user_id), None)


def _device_ok(principal: Principal, token: VerifiedToken, device_id: str) -> bool:
    sid = token.claims.get("sid")
    return (
        bool(principal.device_id)
        and principal.device_id == device_id
        and isinstance(sid, str)
        and sid in principal.device_sessions
    )


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise Unauthenticated("an Authorization: Bearer token is required", code="token_missing")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(
            "the Authorization header must be 'Bearer <token>'", code="token_malformed"
        )
    return token.strip()


# Open to a user whose password is temporary: only reading and changing her own profile.
PASSWORD_CHANGE_PATHS = frozenset({"/v1/me", "/v1/me/password"})


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the authenticated principal of this request (any role)."""
    resolver: PrincipalResolver = request.app.state.principals
    principal = await resolver.resolve(
        request.headers.get("authorization"), request.headers.get(DEVICE_HEADER)
    )
    telemetry.tag(user_id=principal.user_id)  # the help desk finds a user's requests by it
    if principal.password_change_required and request.scope["path"] not in PASSWORD_CHANGE_PATHS:
        raise PermissionDenied(
            "your password is temporary: change it first (POST /v1/me/password)",
            code="password_change_required",
        )
    return principal


def allow(roles: Iterable[str]) -> Callable[[Request], Awaitable[Principal]]:
    """FastAPI dependency: the principal, when it holds one of ``roles`` (from the catalogue)."""
    allowed = frozenset(roles)

    async def dependency(request: Request) -> Principal:
        principal = await current_principal(request)
        if not principal.has_any_role(allowed):
            raise PermissionDenied("your roles do not allow this", code="role_not_allowed")
        return principal

    _AUTHENTICATING.add(dependency)
    return dependency


# The dependencies that authenticate the caller: an operation using one declares the scheme.
_AUTHENTICATING: set[Callable[..., Any]] = {current_principal}


def _authenticates(dependant: Dependant) -> bool:
    return any(d.call in _AUTHENTICATING or _authenticates(d) for d in dependant.dependencies)


def document_bearer(app: FastAPI) -> None:
    """Declare the bearer scheme on every operation that authenticates.

    Declared here rather than by a ``Security(HTTPBearer())`` sub-dependency of
    :func:`current_principal`: FastAPI solves each dependency on every request (≈12 µs of a
    request's 160 in the gateway), and the document needs the declaration only once."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = build()
            schemes = doc.setdefault("components", {}).setdefault("securitySchemes", {})
            schemes[BEARER_SCHEME] = _BEARER.model_dump(
                mode="json", by_alias=True, exclude_none=True
            )
            paths = doc.get("paths", {})
            for route in iter_route_contexts(app.routes):
                if isinstance(route.original_route, APIRoute) and _authenticates(route.dependant):
                    for method in route.methods or ():
                        op = paths.get(route.path_format, {}).get(method.lower())
                        if op is not None:
                            op.setdefault("security", []).append({BEARER_SCHEME: []})
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
