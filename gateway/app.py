"""The API gateway: authenticate, map REST to gRPC, return problem+json on every error."""

from __future__ import annotations

from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import console, docs, problems
from gateway.auth import PrincipalResolver
from gateway.clients import Clients
from gateway.config import GatewaySettings
from gateway.external.app import PREFIX as EXTERNAL_PREFIX
from gateway.external.app import create_external_app
from gateway.external.auth import ExternalAuth
from gateway.external.limits import ClientLimiter
from gateway.invalidation import PrincipalInvalidation
from gateway.ratelimit import LoginLimiter
from gateway.routes import (
    api_clients,
    auth,
    consents,
    duplicates,
    funds,
    geography,
    grading,
    health,
    helpdesk,
    imports,
    masters,
    profiles,
    reports,
    roles,
    transactions,
    users,
)
from gateway.security_headers import console_headers, security_headers, with_headers
from gateway.tokens import TokenVerifier
from lokos import i18n, rpc, telemetry
from lokos.process import freeze_startup_heap
from lokos.telemetry import current_trace_id


class RequestIdMiddleware:
    """Every response carries ``X-Request-Id``: the trace id of the request, and the security
    headers of :mod:`gateway.security_headers` (one wrapper of ``send`` for both: this runs
    on every request).

    It also sets :data:`lokos.i18n.current_language` from ``Accept-Language`` for the request,
    so the calls to services carry it and their messages come back in that language, and the
    gateway's own problems (:mod:`gateway.messages`) are in it too.
    """

    def __init__(
        self,
        app: ASGIApp,
        docs_prefix: str = "/v1/docs",
        console_prefix: str = "",
        console_csp: str = "",
    ) -> None:
        self.app = app
        self.docs_prefix = docs_prefix
        # The web console's pages: their own scripts and styles, and the IdP's token endpoint.
        self.console_prefix = f"{console_prefix}/" if console_prefix else ""
        self.console_headers = console_headers(console_csp)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if self.console_prefix and path.startswith(self.console_prefix):
            added = self.console_headers
        else:
            added = security_headers(path, scope.get("scheme", ""), self.docs_prefix)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Routed by now, and the request's span still open (it ends with the body).
                tag_references(scope.get("path_params") or {})
                trace_id = current_trace_id()
                headers = with_headers(list(message.get("headers", ())), added)
                if trace_id:
                    headers.append((b"x-request-id", trace_id.encode()))
                message["headers"] = headers
            await send(message)

        # Repeated header lines are one comma-separated list (RFC 9110 §5.3).
        header = b",".join(v for k, v in scope.get("headers", ()) if k == b"accept-language")
        token = i18n.current_language.set(i18n.pick_language(header.decode("latin-1")))
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            i18n.current_language.reset(token)


# Path parameters that name a record the help desk searches requests by (lokos.telemetry).
_REFERENCE_PARAMS = {"cbo_id": "cbo_code", "shg_id": "cbo_code", "submission_id": "submission_ref"}


def tag_references(path_params: dict[str, object]) -> None:
    """Mark the request's span with the CBO or submission its path names."""
    refs = {
        key: str(path_params[param])
        for param, key in _REFERENCE_PARAMS.items()
        if path_params.get(param)
    }
    if refs:
        telemetry.tag(**refs)


DOCS_URL = "/v1/docs"
UNTRACED = frozenset({"/healthz", "/readyz"})


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in UNTRACED


def create_app(settings: GatewaySettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rpc.configure(settings)  # principal keys and mTLS, before any channel is made
        http = httpx.AsyncClient(timeout=5.0)
        clients = Clients.connect(settings)
        verifier = TokenVerifier(
            settings.idp_url,
            settings.realms,
            http,
            audience=settings.token_audience,
            clients=settings.clients,
            discovery_base=settings.idp_internal_url,
        )
        app.state.settings = settings
        app.state.clients = clients
        app.state.principals = PrincipalResolver(
            verifier,
            clients,
            ttl=settings.principal_cache_seconds,
            maxsize=settings.principal_cache_size,
        )
        app.state.login_limiter = LoginLimiter(
            per_address=settings.login_failures_per_address,
            per_user=settings.login_failures_per_user,
            window_seconds=settings.login_window_seconds,
        )
        # The external API: its own verifier (any client of a trusted realm may hold a token;
        # identity says whether it is a registered one), the same service clients.
        external.state.clients = clients
        external.state.external_auth = ExternalAuth(
            TokenVerifier(
                settings.idp_url, settings.realms, http, audience=settings.token_audience
            ),
            clients,
            ClientLimiter(settings.external_rate_per_minute),
        )
        invalidation = PrincipalInvalidation(settings, app.state.principals)
        invalidation.start()
        freeze_startup_heap()
        yield
        await invalidation.close()
        await clients.close()
        await http.aclose()

    app = FastAPI(
        title="LokOS API",
        version="1.0.0",
        description=(
            "Public contract of LokOS for mobile and web clients and external departments. "
            "Every error is RFC 9457 application/problem+json; every response carries "
            "X-Request-Id, the id the help desk traces with `lokos trace`."
        ),
        lifespan=lifespan,
        openapi_url="/v1/openapi.json",
        docs_url=None,  # served by gateway.docs, without a CDN
        redoc_url=None,
        # FastAPI's own OpenTelemetry: one server span per request, named by its route,
        # child of the client's traceparent. No metrics, log records or per-dependency spans:
        # they cost more per request than they tell (the trace files are the help desk's).
        telemetry={
            "tracing": True,
            "metrics": False,
            "logs": False,
            "operation_spans": False,
            "exclude": _untraced,
        },
    )
    external = create_external_app(settings)
    problems.install(app)
    docs.install(app, DOCS_URL)
    # Routes are matched in order: the hot reads (SHG and profile pages) first.
    app.include_router(profiles.router, prefix="/v1")
    app.include_router(health.router)
    app.include_router(auth.router, prefix="/v1")
    app.include_router(users.router, prefix="/v1")
    app.include_router(roles.router, prefix="/v1")
    app.include_router(geography.router, prefix="/v1")
    app.include_router(masters.router, prefix="/v1")
    app.include_router(reports.router, prefix="/v1")
    app.include_router(imports.router, prefix="/v1")
    app.include_router(duplicates.router, prefix="/v1")
    app.include_router(transactions.router, prefix="/v1")
    app.include_router(funds.router, prefix="/v1")
    app.include_router(grading.router, prefix="/v1")
    app.include_router(api_clients.router, prefix="/v1")
    app.include_router(consents.router, prefix="/v1")
    app.include_router(helpdesk.router, prefix="/v1")
    app.mount(EXTERNAL_PREFIX, external)
    problems.document(app)
    console.install(app, settings)
    app.add_middleware(
        RequestIdMiddleware,
        docs_prefix=DOCS_URL,
        console_prefix=console.PREFIX,
        console_csp=console.content_security_policy(settings),
    )
    return app
