"""Every error leaves the gateway as RFC 9457 ``application/problem+json``.

Domain errors (raised here or carried back from a service in gRPC status details) are
mapped once, here. Field errors appear as ``errors: [{field, message, code}]``.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.inputs import TEXT_PATTERN
from gateway.messages import MESSAGES
from lokos.errors import LokosError, RateLimited, Unauthenticated, ValidationFailed
from lokos.rpc import error_from_rpc
from lokos.telemetry import current_trace_id

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid input",
    423: "Locked",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}
# What a 503 tells clients to wait before retrying (a service or its database restarting is
# back within seconds; the mobile app's upload queue retries with the same client ids).
RETRY_AFTER_SECONDS = 5


def problem(
    status: int,
    detail: str,
    *,
    code: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://lokos.in/problems/{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    trace_id = current_trace_id()
    if trace_id:
        body["request_id"] = trace_id
    if errors:
        body["errors"] = errors
    for k, v in (extra or {}).items():
        body.setdefault(k, v)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def from_error(err: LokosError) -> JSONResponse:
    errors = None
    if isinstance(err, ValidationFailed):
        errors = [
            {"field": e.field, "message": e.message, "code": e.code} for e in err.field_errors
        ]
    headers: dict[str, str] = {}
    if isinstance(err, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    if err.http_status == 503:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if isinstance(err, RateLimited) and err.extra and err.extra.get("retry_after"):
        headers["Retry-After"] = err.extra["retry_after"]
    resp = problem(
        err.http_status,
        err.detail,
        code=err.code,
        errors=errors,
        headers=headers or None,
        extra=err.extra,
    )
    return resp


_METHODS = ("get", "put", "post", "delete", "patch", "options", "head")


@functools.cache
def _path_pattern(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)))


def _allowed_methods(request: Request) -> str:
    """Every method the contract has at this path (Starlette's 405 names only the methods of
    the first route whose path matched)."""
    doc = request.app.openapi()
    matching = [
        (template.count("{"), item)
        for template, item in doc.get("paths", {}).items()
        if _path_pattern(template).fullmatch(request.url.path)
    ]
    # The most literal templates win: /v1/cbos/unlinked, not /v1/cbos/{cbo_id}.
    fewest = min((n for n, _ in matching), default=0)
    methods = {m.upper() for n, item in matching if n == fewest for m in item if m in _METHODS}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


def document(app: FastAPI) -> None:
    """Add to the OpenAPI document the answer every operation with a JSON body may give: 400
    when the body cannot be read as JSON text at all (not UTF-8)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = build()
            for item in doc.get("paths", {}).values():
                for op in item.values():
                    if isinstance(op, dict) and "requestBody" in op:
                        op.setdefault("responses", {}).setdefault(
                            "400",
                            {
                                "description": "The body is not readable JSON (e.g. not UTF-8)",
                                "content": {PROBLEM_JSON: {}},
                            },
                        )
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _field_error(e: Mapping[str, Any]) -> dict[str, str]:
    """One of pydantic's errors as ``{field, message, code}``: the field by its name (a JSON
    body that cannot be parsed is the field ``body``, not a character offset), the message
    in the request's language."""
    code = str(e.get("type", "invalid"))
    ctx = e.get("ctx") or {}
    if code == "string_pattern_mismatch" and ctx.get("pattern") == TEXT_PATTERN:
        code = "control_characters"
    parts = [p for p in e.get("loc", ()) if p not in ("body", "query", "path", "header")]
    if code == "json_invalid":
        parts = []
    message = MESSAGES.text(code, **ctx) if code in MESSAGES else str(e.get("msg", ""))
    return {"field": ".".join(str(p) for p in parts) or "body", "message": message, "code": code}


def install(app: FastAPI) -> None:
    @app.exception_handler(LokosError)
    async def _domain(_: Request, exc: LokosError) -> JSONResponse:
        return from_error(exc)

    @app.exception_handler(grpc.aio.AioRpcError)
    async def _rpc(_: Request, exc: grpc.aio.AioRpcError) -> JSONResponse:
        return from_error(error_from_rpc(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_field_error(e) for e in exc.errors()]
        fields = ", ".join(e["field"] for e in errors)
        detail = MESSAGES.text("validation_failed", fields=fields)
        return problem(422, detail, code="validation_failed", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405 and (allowed := _allowed_methods(request)):
            headers["Allow"] = allowed
        code = f"http_{exc.status_code}"
        detail = MESSAGES.text(code) if code in MESSAGES else str(exc.detail)
        return problem(exc.status_code, detail, code=code, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return problem(
            500, "internal error; quote the request_id to the help desk", code="internal"
        )
