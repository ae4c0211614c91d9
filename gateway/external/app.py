"""The external API application, mounted by the gateway at ``/external/v1``.

A FastAPI application of its own so that its OpenAPI document (``/external/v1/openapi.json``)
holds only what departments and banks may call, with the OAuth 2.0 client-credentials flow a
client needs to get a token, and so that its limits (body size, page size, per-client rate)
cannot leak onto the apps' API or the other way round.
"""

from __future__ import annotations

from fastapi import FastAPI, Security
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import OAuth2
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import problems
from gateway.config import GatewaySettings
from gateway.external import aggregates, members
from gateway.request_layer import NO_FASTAPI_TELEMETRY
from lokos import catalogue
from lokos.errors import LokosError

PREFIX = "/external/v1"


class PayloadTooLarge(LokosError):
    code = "payload_too_large"
    http_status = 413


class BodyLimit:
    """Refuses request bodies over ``max_bytes`` (413), by Content-Length or as they stream."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for key, value in scope.get("headers", ()):
            if key == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise PayloadTooLarge(f"request bodies are limited to {self.max_bytes} bytes")
            return message

        await self.app(scope, counted, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problems.problem(
            413, f"request bodies are limited to {self.max_bytes} bytes", code="payload_too_large"
        )
        await response(scope, receive, send)


def token_url(settings: GatewaySettings) -> str:
    realm = f"{settings.idp_url.rstrip('/')}/realms/lokos-{settings.state}"
    return f"{realm}/protocol/openid-connect/token"


def create_external_app(settings: GatewaySettings) -> FastAPI:
    app = FastAPI(
        telemetry=NO_FASTAPI_TELEMETRY,  # the main app's RequestIdMiddleware traces its requests
        title="LokOS external report API",
        version="1.0.0",
        description=(
            "For departments, banks and service providers registered by the State Admin. "
            "Get a token by the OAuth 2.0 client-credentials grant at the state realm's token "
            "endpoint, then call with `Authorization: Bearer <token>`. Aggregates withhold "
            "small cells; member-level data needs the member's consent. Every call is "
            "recorded with the client id. Errors are RFC 9457 application/problem+json; "
            "429 carries Retry-After. Guide: docs/external-api.md."
        ),
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        servers=[{"url": PREFIX}],
    )
    scheme = OAuth2(
        flows=OAuthFlows(
            clientCredentials=OAuthFlowClientCredentials(
                tokenUrl=token_url(settings),
                scopes={
                    scope: f"granted at registration ({scope})" for scope in catalogue.API_SCOPES
                },
            )
        ),
        scheme_name="clientCredentials",
        auto_error=False,
    )
    problems.install(app)
    responses: dict[int | str, dict[str, object]] = {
        code: {"description": text, "content": {problems.PROBLEM_JSON: {}}}
        for code, text in (
            (401, "Missing, expired or untrusted token, or not a registered client"),
            (403, "Revoked client, scope not granted, or no consent"),
            (404, "No such record (or none this client may see)"),
            (413, "Request body too large"),
            (422, "Invalid input; `errors` names each field"),
            (429, "Over the client's rate; retry after Retry-After seconds"),
            (503, "A service is unavailable; retry after Retry-After"),
        )
    }
    for router in (aggregates.router, members.router):
        app.include_router(router, dependencies=[Security(scheme)], responses=responses)
    problems.document(app)
    app.add_middleware(BodyLimit, max_bytes=settings.external_max_body_bytes)
    return app
