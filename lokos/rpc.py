"""gRPC plumbing: the server every service runs, channels to call other services, and the one
place where domain errors become gRPC status (and back).

Metadata every internal call carries:
- ``x-lokos-principal-bin``: the serialized :class:`lokos.common.v1.principal_pb2.Principal`;
- ``x-request-id``: the request (trace) id;
- ``accept-language``: the language of messages for people (``en``, ``hi``), when known;
- ``traceparent``: added by the OpenTelemetry interceptors.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from opentelemetry.instrumentation.grpc import aio_client_interceptors, aio_server_interceptor

from lokos import context, i18n
from lokos.errors import (
    Conflict,
    FieldError,
    Locked,
    LokosError,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)
from lokos.principal import METADATA_KEY, Principal

log = logging.getLogger(__name__)

REQUEST_ID_KEY = "x-request-id"
ERROR_DOMAIN = "lokos"

_GRPC_CODE: dict[type[LokosError], grpc.StatusCode] = {
    ValidationFailed: grpc.StatusCode.INVALID_ARGUMENT,
    NotFound: grpc.StatusCode.NOT_FOUND,
    Conflict: grpc.StatusCode.ABORTED,
    Locked: grpc.StatusCode.FAILED_PRECONDITION,
    PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    Unavailable: grpc.StatusCode.UNAVAILABLE,
    RateLimited: grpc.StatusCode.RESOURCE_EXHAUSTED,
}
_ERROR_CLASS: dict[str, type[LokosError]] = {cls.__name__: cls for cls in _GRPC_CODE}


# --- errors ---------------------------------------------------------------------------------


def error_to_status(err: LokosError) -> status_pb2.Status:
    """A domain error as google.rpc.Status with ErrorInfo and, for bad input, BadRequest."""
    code = _GRPC_CODE.get(_ERROR_CLASS.get(_class_name(err), LokosError), grpc.StatusCode.UNKNOWN)
    info = error_details_pb2.ErrorInfo(
        reason=err.code,
        domain=ERROR_DOMAIN,
        metadata={
            **{f"x-{k}": v for k, v in err.extra.items()},
            "class": _class_name(err),
            "http_status": str(err.http_status),
        },
    )
    details = [_pack(info)]
    if isinstance(err, ValidationFailed):
        bad = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(
                    field=e.field, description=e.message, reason=e.code
                )
                for e in err.field_errors
            ]
        )
        details.append(_pack(bad))
    return status_pb2.Status(code=code.value[0], message=err.detail, details=details)


def _class_name(err: LokosError) -> str:
    for cls in _GRPC_CODE:
        if isinstance(err, cls):
            return cls.__name__
    return "LokosError"


def _pack(msg: Any) -> any_pb2.Any:
    a = any_pb2.Any()
    a.Pack(msg)
    return a


def error_from_rpc(exc: grpc.aio.AioRpcError) -> LokosError:
    """Turn a failed call back into the domain error the callee raised."""
    status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    if status is not None:
        info = error_details_pb2.ErrorInfo()
        fields: list[FieldError] = []
        found = False
        for d in status.details:
            if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                d.Unpack(info)
                found = info.domain == ERROR_DOMAIN
            elif d.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                d.Unpack(bad)
                fields = [
                    FieldError(v.field, v.description, v.reason or "invalid")
                    for v in bad.field_violations
                ]
        if found:
            cls = _ERROR_CLASS.get(info.metadata.get("class", ""), LokosError)
            extra = {k[2:]: v for k, v in info.metadata.items() if k.startswith("x-")}
            err: LokosError
            if cls is ValidationFailed:
                err = ValidationFailed(fields, status.message)
            else:
                err = cls(status.message, code=info.reason, extra=extra)
            # Subclasses outside the table (e.g. a 503 of the identity provider) keep their status.
            err.http_status = int(info.metadata.get("http_status", err.http_status))
            return err
    code = exc.code()
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return Unavailable(
            f"a service did not answer ({code.name.lower()})", code="upstream_unavailable"
        )
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return Unauthenticated(exc.details() or "unauthenticated")
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return PermissionDenied(exc.details() or "permission denied")
    if code == grpc.StatusCode.NOT_FOUND:
        return NotFound(exc.details() or "not found")
    return LokosError("internal error", code="internal")


# --- server ---------------------------------------------------------------------------------


# Reads an unexpected error as the domain error it stands for (a database outage → Unavailable),
# or None when it is a bug.
ErrorTranslator = Callable[[Exception], LokosError | None]


class ContextInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]
    """Sets the principal, request id and language for the call and maps domain errors to status."""

    def __init__(self, translate: ErrorTranslator | None = None) -> None:
        self.translate = translate

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
        details: grpc.HandlerCallDetails,
    ) -> Any:
        handler = await continuation(details)
        if handler is None:
            return handler
        metadata = dict(details.invocation_metadata or ())
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                _in_context(handler.unary_unary, metadata, details.method, self.translate),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_unary is not None:  # uploads: the request is an iterator of chunks
            return grpc.stream_unary_rpc_method_handler(
                _in_context(handler.stream_unary, metadata, details.method, self.translate),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler


def _in_context(
    behavior: Callable[[Any, Any], Awaitable[Any]],
    metadata: dict[str, Any],
    method: str,
    translate: ErrorTranslator | None = None,
) -> Callable[[Any, Any], Awaitable[Any]]:
    """Run ``behavior`` with the caller's principal, request id and language set, and turn
    domain errors into status with details."""

    async def wrapped(request: Any, ctx: Any) -> Any:
        raw = metadata.get(METADATA_KEY)
        tokens = (
            context.current_principal.set(
                Principal.from_metadata(raw) if isinstance(raw, bytes) else None
            ),
            context.current_request_id.set(str(metadata.get(REQUEST_ID_KEY, ""))),
            i18n.current_language.set(i18n.pick_language(str(metadata.get(i18n.LANGUAGE_KEY, "")))),
        )
        try:
            return await behavior(request, ctx)
        except LokosError as err:
            await ctx.abort_with_status(rpc_status.to_status(error_to_status(err)))
        except grpc.aio.AbortError:
            raise
        except Exception as exc:
            known = translate(exc) if translate is not None else None
            if known is None:
                log.exception("unhandled error in %s", method)
                await ctx.abort(grpc.StatusCode.INTERNAL, "internal error")
            else:
                log.warning("%s: %s (%s)", method, known.detail, type(exc).__name__)
                await ctx.abort_with_status(rpc_status.to_status(error_to_status(known)))
        finally:
            context.current_principal.reset(tokens[0])
            context.current_request_id.reset(tokens[1])
            i18n.current_language.reset(tokens[2])

    return wrapped


async def start_server(
    host: str,
    port: int,
    register: Callable[[grpc.aio.Server], None],
    service_names: Sequence[str],
    translate: ErrorTranslator | None = None,
) -> tuple[grpc.aio.Server, Any]:
    """Start a gRPC server with tracing, context, error mapping and the health service.

    Health reports SERVING for every name in ``service_names`` (and the empty name).
    ``translate`` reads unexpected errors as domain ones (services pass
    :func:`lokos.db.outage`: a database outage answers UNAVAILABLE, not INTERNAL).
    """
    server = grpc.aio.server(
        interceptors=[aio_server_interceptor(), ContextInterceptor(translate)],  # type: ignore[no-untyped-call]
        options=[("grpc.so_reuseport", 0)],
    )
    register(server)
    health_servicer = health.aio.HealthServicer()  # type: ignore[attr-defined]
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot bind gRPC port {host}:{port}")
    await server.start()
    for name in ("", *service_names):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return server, health_servicer


# --- client ---------------------------------------------------------------------------------


def channel(target: str) -> grpc.aio.Channel:
    """A traced channel to another service (one per target per process, reused)."""
    return grpc.aio.insecure_channel(
        target,
        interceptors=aio_client_interceptors(),  # type: ignore[no-untyped-call]
        options=[
            ("grpc.keepalive_time_ms", 30_000),
            ("grpc.enable_retries", 1),
        ],
    )


def call_metadata(
    principal: Principal | None, request_id: str, language: str = ""
) -> tuple[tuple[str, str | bytes], ...]:
    md: list[tuple[str, str | bytes]] = [(REQUEST_ID_KEY, request_id)]
    if principal is not None:
        md.append((METADATA_KEY, principal.to_metadata()))
    if language:
        md.append((i18n.LANGUAGE_KEY, language))
    return tuple(md)


async def check_health(ch: grpc.aio.Channel, service: str = "", timeout: float = 1.0) -> bool:
    stub = health_pb2_grpc.HealthStub(ch)
    try:
        resp = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
    except grpc.aio.AioRpcError:
        return False
    return bool(resp.status == health_pb2.HealthCheckResponse.SERVING)


__all__ = [
    "ContextInterceptor",
    "call_metadata",
    "channel",
    "check_health",
    "error_from_rpc",
    "error_to_status",
    "start_server",
]
