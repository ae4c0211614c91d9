"""The API gateway: authenticate, map REST to gRPC, return problem+json on every error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import docs, problems
from gateway.auth import PrincipalResolver
from gateway.clients import Clients
from gateway.config import GatewaySettings
from gateway.invalidation import PrincipalInvalidation
from gateway.ratelimit import LoginLimiter
from gateway.routes import (
    auth,
    duplicates,
    geography,
    health,
    imports,
    masters,
    profiles,
    reports,
    shgs,
    transactions,
    users,
)
from gateway.security_headers import SecurityHeadersMiddleware
from gateway.tokens import TokenVerifier
from lokos import i18n, rpc
from lokos.telemetry import current_trace_id


class RequestIdMiddleware:
    """Every response carries ``X-Request-Id``: the trace id of the request.

    It also sets :data:`lokos.i18n.current_language` from ``Accept-Language`` for the request,
    so the calls to services carry it and their messages come back in that language. The
    gateway's own 422 bodies (pydantic validation of the request shape) stay English: they
    name schema fields for the client's developers; what a bookkeeper reads comes from the
    services, which localise.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                trace_id = current_trace_id()
                if trace_id:
                    message.setdefault("headers", [])
                    message["headers"] = [*message["headers"], (b"x-request-id", trace_id.encode())]
            await send(message)

        # Repeated header lines are one comma-separated list (RFC 9110 §5.3).
        header = b",".join(v for k, v in scope.get("headers", ()) if k == b"accept-language")
        token = i18n.current_language.set(i18n.pick_language(header.decode("latin-1")))
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            i18n.current_language.reset(token)


DOCS_URL = "/v1/docs"


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
        invalidation = PrincipalInvalidation(settings, app.state.principals)
        invalidation.start()
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
    )
    problems.install(app)
    docs.install(app, DOCS_URL)
    app.include_router(health.router)
    app.include_router(auth.router, prefix="/v1")
    app.include_router(users.router, prefix="/v1")
    app.include_router(geography.router, prefix="/v1")
    app.include_router(masters.router, prefix="/v1")
    app.include_router(shgs.router, prefix="/v1")
    app.include_router(profiles.router, prefix="/v1")
    app.include_router(reports.router, prefix="/v1")
    app.include_router(imports.router, prefix="/v1")
    app.include_router(duplicates.router, prefix="/v1")
    app.include_router(transactions.router, prefix="/v1")
    problems.document(app)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, docs_prefix=DOCS_URL)
    # One server span per request; the ASGI receive/send sub-spans cost more than they tell.
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls="healthz,readyz", exclude_spans=["receive", "send"]
    )
    return app
