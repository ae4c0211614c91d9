"""The API gateway: authenticate, map REST to gRPC, return problem+json on every error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from gateway import console, docs, problems
from gateway.auth import PrincipalResolver, document_bearer
from gateway.clients import Clients
from gateway.config import GatewaySettings
from gateway.external.app import PREFIX as EXTERNAL_PREFIX
from gateway.external.app import create_external_app
from gateway.external.auth import ExternalAuth
from gateway.external.limits import ClientLimiter
from gateway.invalidation import PrincipalInvalidation
from gateway.ratelimit import LoginLimiter
from gateway.request_layer import NO_FASTAPI_TELEMETRY, GatewayApp
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
from gateway.tokens import TokenVerifier
from lokos import rpc
from lokos.process import freeze_startup_heap

DOCS_URL = "/v1/docs"
UNTRACED = frozenset({"/healthz", "/readyz"})


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

    app = GatewayApp(
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
        telemetry=NO_FASTAPI_TELEMETRY,  # the span is RequestIdMiddleware's
        request_layer={
            "docs_prefix": DOCS_URL,
            "console_prefix": console.PREFIX,
            "console_csp": console.content_security_policy(settings),
            "untraced": UNTRACED,
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
    document_bearer(app)
    console.install(app, settings)
    return app
