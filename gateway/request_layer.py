"""The layer every request of the gateway passes first: its span, its request id and headers,
its language."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.security_headers import console_headers, security_headers, with_headers
from lokos import i18n
from lokos.telemetry import parent_of

_tracer = trace.get_tracer(__name__)


class RequestIdMiddleware:
    """The outermost layer of every request: its server span, ``X-Request-Id`` (the span's
    trace id) and the security headers of :mod:`gateway.security_headers` on every response,
    the 500 of an unexpected error included (this wraps Starlette's error middleware).

    It also sets :data:`lokos.i18n.current_language` from ``Accept-Language`` for the request,
    so the calls to services carry it and their messages come back in that language, and the
    gateway's own problems (:mod:`gateway.messages`) are in it too.

    The span is made here rather than by FastAPI's built-in telemetry, which cost an eighth of
    the gateway's CPU on a cached read (two extra middleware layers, a propagator round,
    per-request logger and metric look-ups). It keeps what the help desk and a collector
    read: named by method and route template, child of the client's ``traceparent``, the
    status code, and an error status for 5xx and exceptions.
    """

    def __init__(
        self,
        app: ASGIApp,
        docs_prefix: str = "/v1/docs",
        console_prefix: str = "",
        console_csp: str = "",
        untraced: frozenset[str] = frozenset(),
        tracer: trace.Tracer | None = None,
    ) -> None:
        self.app = app
        self.tracer = tracer or _tracer
        self.docs_prefix = docs_prefix
        # The web console's pages: their own scripts and styles, and the IdP's token endpoint.
        self.console_prefix = f"{console_prefix}/" if console_prefix else ""
        self.console_headers = console_headers(console_csp)
        self.untraced = untraced

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if self.console_prefix and path.startswith(self.console_prefix):
            added = self.console_headers
        else:
            added = security_headers(path, scope.get("scheme", ""), self.docs_prefix)
        # Repeated header lines are one comma-separated list (RFC 9110 §5.3).
        language = b""
        parent = ""
        for key, value in scope.get("headers", ()):
            if key == b"accept-language":
                language = value if not language else language + b"," + value
            elif key == b"traceparent":
                parent = value.decode("latin-1")
        method: str = scope.get("method", "")
        span = (
            None
            if path in self.untraced
            else self.tracer.start_span(
                method,
                parent_of(parent) if parent else None,
                SpanKind.SERVER,
                {"http.request.method": method, "url.path": path},
            )
        )
        request_id = b""
        if span is not None and (ctx := span.get_span_context()).is_valid:
            request_id = format(ctx.trace_id, "032x").encode()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = with_headers(list(message.get("headers", ())), added)
                if request_id:
                    headers.append((b"x-request-id", request_id))
                message["headers"] = headers
            await send(message)

        token = i18n.current_language.set(i18n.pick_language(language.decode("latin-1")))
        try:
            if span is None:
                await self.app(scope, receive, send_with_id)
                return
            with trace.use_span(span, record_exception=False, set_status_on_exception=False):
                try:
                    await self.app(scope, receive, send_with_id)
                except BaseException as exc:
                    span.record_exception(exc)
                    status = status or 500
                    raise
                finally:
                    _finish(span, scope, method, status)
        finally:
            i18n.current_language.reset(token)


def _finish(span: Span, scope: Scope, method: str, status: int) -> None:
    """Name the span by its route and set what the request turned out to be, at once."""
    path_params = scope.get("path_params") or {}
    attributes: dict[str, str | int] = references(path_params)
    if "route" in scope:  # matched: named by its template, not by the ids in its path
        route = route_template(scope.get("path", ""), path_params)
        span.update_name(f"{method} {route}")
        attributes["http.route"] = route
    if status:
        attributes["http.response.status_code"] = status
    span.set_attributes(attributes)
    if not status or status >= 500:
        span.set_status(Status(StatusCode.ERROR, str(status or "incomplete_response")))
    span.end()


def route_template(path: str, path_params: dict[str, Any]) -> str:
    """``/v1/cbos/4f…/members`` with ``{"cbo_id": UUID("4f…")}`` → ``/v1/cbos/{cbo_id}/members``
    (routers included with a prefix keep only their own part of the template on the route)."""
    if not path_params:
        return path
    names = {str(value): name for name, value in path_params.items()}
    return "/".join(f"{{{names[part]}}}" if part in names else part for part in path.split("/"))


# Path parameters that name a record the help desk searches requests by (lokos.telemetry).
_REFERENCE_PARAMS = {"cbo_id": "cbo_code", "shg_id": "cbo_code", "submission_id": "submission_ref"}


def references(path_params: dict[str, object]) -> dict[str, str | int]:
    """The span attributes naming the CBO or submission the request's path names
    (:data:`lokos.telemetry.REFERENCE_KEYS`: the help desk searches requests by them)."""
    return {
        f"lokos.{key}": str(path_params[param])
        for param, key in _REFERENCE_PARAMS.items()
        if path_params.get(param)
    }


# FastAPI's own OpenTelemetry is off: RequestIdMiddleware makes the request's span.
NO_FASTAPI_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}


class GatewayApp(FastAPI):
    """FastAPI with :class:`RequestIdMiddleware` outside Starlette's own error middleware, so
    that the 500 of an unexpected error is answered inside the request's span (its body
    names the request id) and carries the same headers as every other response."""

    def __init__(self, *args: Any, request_layer: dict[str, Any], **kwargs: Any) -> None:
        self.request_layer = request_layer
        super().__init__(*args, **kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        return RequestIdMiddleware(super().build_middleware_stack(), **self.request_layer)
