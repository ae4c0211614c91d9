"""gRPC plumbing: the server every service runs, channels to call other services, and the one
place where domain errors become gRPC status (and back).

Metadata every internal call carries:
- ``x-lokos-signed-principal-bin``: a :class:`lokos.common.v1.principal_pb2.SignedPrincipal`,
  bound to the request id and short-lived; every RPC but the health check refuses a call
  without a valid one (UNAUTHENTICATED) before anything else runs;
- ``x-request-id``: the request (trace) id;
- ``accept-language``: the language of messages for people (``en``, ``hi``), when known;
- ``traceparent``: the caller's span (W3C trace context); the callee's server span is its child.

Tracing is done here rather than by OpenTelemetry's gRPC interceptors: one server span per
call opened by :class:`CallContext`, and the caller's context put in the metadata by
:func:`call_metadata`. The interceptors cost more per call (an intercepted call object and a
client span on the caller, a second wrapped handler on the callee) than the rest of a cached
read; the trace keeps the same tree (gateway → service → service, consumers).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from lokos import context, i18n
from lokos.config import LokosSettings
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
from lokos.principal import (
    METADATA_KEY,
    UNSIGNED_METADATA_KEY,
    KeyRing,
    Principal,
    system_principal,
)
from lokos.telemetry import parent_of, traceparent

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

REQUEST_ID_KEY = "x-request-id"
TRACEPARENT_KEY = "traceparent"
ERROR_DOMAIN = "lokos"
# Load balancers and compose probe health without a principal (and, with mTLS on, with a
# certificate like any caller).
HEALTH_METHOD_PREFIX = "/grpc.health.v1.Health/"

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


# --- internal trust -------------------------------------------------------------------------


@dataclass(frozen=True)
class TlsFiles:
    """This process's certificate and key, and the CA every LokOS process's certificate has."""

    cert: Path
    key: Path
    ca: Path

    def server_credentials(self) -> grpc.ServerCredentials:
        return grpc.ssl_server_credentials(
            [(self.key.read_bytes(), self.cert.read_bytes())],
            root_certificates=self.ca.read_bytes(),
            require_client_auth=True,
        )

    def channel_credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(
            root_certificates=self.ca.read_bytes(),
            private_key=self.key.read_bytes(),
            certificate_chain=self.cert.read_bytes(),
        )


@dataclass(frozen=True)
class Trust:
    """What one process needs to call and to be called: the deployment's principal keys, its
    own system principal (for work it starts itself) and, with mTLS on, its certificate."""

    keys: KeyRing
    identity: Principal
    tls: TlsFiles | None = None


_trust: Trust | None = None


def configure(settings: LokosSettings) -> Trust:
    """Load this process's :class:`Trust` from its settings, once, at start (like logging and
    telemetry it is process-wide: every channel, server and call of the process uses it)."""
    global _trust
    tls = None
    if settings.grpc_tls:
        files = (settings.grpc_tls_cert, settings.grpc_tls_key, settings.grpc_tls_ca)
        if any(f is None for f in files):
            raise ValueError("LOKOS_GRPC_TLS needs LOKOS_GRPC_TLS_CERT, _KEY and _CA")
        cert, key, ca = (Path(str(f)) for f in files)
        tls = TlsFiles(cert, key, ca)
    _trust = Trust(
        KeyRing.load(settings.data_dir, settings.principal_keys, settings.principal_ttl_seconds),
        system_principal(settings.service_name, settings.state),
        tls,
    )
    return _trust


def trust() -> Trust:
    if _trust is None:
        raise RuntimeError("internal trust is not configured: call lokos.rpc.configure first")
    return _trust


@dataclass(frozen=True)
class _Received:
    """The verified principal of the call being served, as it came (to forward unchanged)."""

    principal: Principal
    request_id: str
    signed: bytes


_received: ContextVar[_Received | None] = ContextVar("lokos_signed_principal", default=None)


def _verify(keys: KeyRing, metadata: dict[str, Any]) -> _Received:
    raw = metadata.get(METADATA_KEY)
    request_id = str(metadata.get(REQUEST_ID_KEY, ""))
    if not isinstance(raw, bytes):
        if UNSIGNED_METADATA_KEY in metadata:
            raise Unauthenticated(
                "unsigned principals are refused: calls carry a signed principal",
                code="principal_unsigned",
            )
        raise Unauthenticated("this call carries no signed principal", code="principal_missing")
    return _Received(keys.verify(raw, request_id), request_id, raw)


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


class CallContext:
    """Every method handler of a server, wrapped once when it is registered: per call the
    wrapper verifies the signed principal first (refusing the call without a valid one), then
    sets the principal, request id and language, opens the server span and maps domain errors
    to status.

    Wrapping at registration rather than in a ``grpc.aio.ServerInterceptor`` keeps the server
    on gRPC's direct lookup of registered methods: an interceptor runs a coroutine and builds a
    new handler for every call (≈15 µs of a 0.3 ms call). A call to a method the server does
    not have is still refused without a valid principal (:meth:`unknown_methods`) before it is
    answered UNIMPLEMENTED, so an unsigned caller learns nothing about what exists.
    """

    def __init__(self, keys: KeyRing, translate: ErrorTranslator | None = None) -> None:
        self.keys = keys
        # Turns an unexpected exception into a domain error (e.g. a database outage → 503).
        self.translate = translate

    def wrap(self, method: str, handler: Any) -> Any:
        """``handler`` (of ``/package.Service/Method``) run in the call's context."""
        if method.startswith(HEALTH_METHOD_PREFIX):
            return handler
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                _in_context(handler.unary_unary, method, self.keys, self.translate),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_unary is not None:  # uploads: the request is an iterator of chunks
            return grpc.stream_unary_rpc_method_handler(
                _in_context(handler.stream_unary, method, self.keys, self.translate),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:  # downloads: the answer is a stream of chunks
            return grpc.unary_stream_rpc_method_handler(
                _streaming_in_context(handler.unary_stream, method, self.keys, self.translate),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler  # streams both ways: none yet; context.principal() refuses there

    def registrar(self, server: grpc.aio.Server) -> _Registrar:
        """What a service's ``register`` gets in place of the server: the generated
        ``add_…Servicer_to_server`` functions register through it, wrapped."""
        return _Registrar(server, self)

    def unknown_methods(self) -> grpc.GenericRpcHandler[Any, Any]:
        """The last handler of a server: refuses an unsigned call to a method it lacks."""
        return _UnknownMethods(self.keys)


class _Registrar:
    """The two registration methods of ``grpc.aio.Server`` that generated code calls; each
    handler is wrapped once (the same wrapper for both paths)."""

    def __init__(self, server: grpc.aio.Server, calls: CallContext) -> None:
        self._server = server
        self._calls = calls
        self._wrapped: dict[str, Any] = {}

    def _wrap(self, method: str, handler: Any) -> Any:
        if handler is None:
            return None
        held = self._wrapped.get(method)
        if held is None:
            held = self._wrapped[method] = self._calls.wrap(method, handler)
        return held

    def add_registered_method_handlers(self, service: str, handlers: dict[str, Any]) -> None:
        wrapped = {name: self._wrap(f"/{service}/{name}", h) for name, h in handlers.items()}
        self._server.add_registered_method_handlers(service, wrapped)  # type: ignore[attr-defined]

    def add_generic_rpc_handlers(
        self, handlers: Sequence[grpc.GenericRpcHandler[Any, Any]]
    ) -> None:
        self._server.add_generic_rpc_handlers([_WrappedGeneric(h, self._wrap) for h in handlers])


class _WrappedGeneric(grpc.GenericRpcHandler):  # type: ignore[type-arg]
    def __init__(
        self, inner: grpc.GenericRpcHandler[Any, Any], wrap: Callable[[str, Any], Any]
    ) -> None:
        self._inner = inner
        self._wrap = wrap

    def service(self, details: grpc.HandlerCallDetails) -> Any:
        return self._wrap(details.method, self._inner.service(details))


class _UnknownMethods(grpc.GenericRpcHandler):  # type: ignore[type-arg]
    def __init__(self, keys: KeyRing) -> None:
        self._keys = keys

    def service(self, details: grpc.HandlerCallDetails) -> Any:
        if details.method.startswith(HEALTH_METHOD_PREFIX):
            return None
        try:
            _verify(self._keys, dict(details.invocation_metadata or ()))
        except Unauthenticated as err:
            return _refusal(None, err)
        return None  # signed: UNIMPLEMENTED, as gRPC answers


def _refusal(handler: Any, err: LokosError) -> Any:
    """A handler of the same kind that answers only ``err`` (the request is never handled)."""
    status = rpc_status.to_status(error_to_status(err))

    async def refuse(request: Any, ctx: Any) -> Any:
        await ctx.abort_with_status(status)

    if handler is None:  # no such method: the bytes are not even decoded
        return grpc.unary_unary_rpc_method_handler(refuse)
    kind = (
        grpc.unary_unary_rpc_method_handler
        if handler.unary_unary is not None
        else grpc.stream_unary_rpc_method_handler
        if handler.stream_unary is not None
        else grpc.unary_stream_rpc_method_handler
        if handler.unary_stream is not None
        else grpc.stream_stream_rpc_method_handler
    )
    return kind(
        refuse,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


def _received_or_refuse(keys: KeyRing, metadata: dict[str, Any]) -> _Received | LokosError:
    try:
        return _verify(keys, metadata)
    except Unauthenticated as err:
        return err


def _in_context(
    behavior: Callable[[Any, Any], Awaitable[Any]],
    method: str,
    keys: KeyRing,
    translate: ErrorTranslator | None = None,
) -> Callable[[Any, Any], Awaitable[Any]]:
    """Run ``behavior`` in a server span (child of the caller's) with the caller's verified
    principal, request id and language set, and turn domain errors into status with details.
    A call without a valid principal is refused before ``behavior`` runs."""
    service, _, name = method[1:].rpartition("/")
    attributes = {"rpc.system": "grpc", "rpc.service": service, "rpc.method": name}

    async def wrapped(request: Any, ctx: Any) -> Any:
        metadata = dict(ctx.invocation_metadata() or ())
        received = _received_or_refuse(keys, metadata)
        if isinstance(received, LokosError):
            await ctx.abort_with_status(rpc_status.to_status(error_to_status(received)))
            return None
        tokens = (
            context.current_principal.set(received.principal),
            context.current_request_id.set(received.request_id),
            i18n.current_language.set(i18n.pick_language(str(metadata.get(i18n.LANGUAGE_KEY, "")))),
            _received.set(received),
        )
        parent = parent_of(str(metadata.get(TRACEPARENT_KEY, "")))
        span = tracer.start_span(method, parent, SpanKind.SERVER, attributes)
        try:
            with trace.use_span(span, end_on_exit=True, record_exception=False):
                try:
                    return await behavior(request, ctx)
                except LokosError as err:
                    if err.http_status >= 500:
                        span.set_status(Status(StatusCode.ERROR, err.detail))
                    await ctx.abort_with_status(rpc_status.to_status(error_to_status(err)))
                except grpc.aio.AbortError:
                    raise
                except Exception as exc:
                    span.record_exception(exc)
                    span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                    await _abort_unexpected(exc, ctx, method, translate)
        finally:
            context.current_principal.reset(tokens[0])
            context.current_request_id.reset(tokens[1])
            i18n.current_language.reset(tokens[2])
            _received.reset(tokens[3])

    return wrapped


async def _abort_unexpected(
    exc: Exception, ctx: Any, method: str, translate: ErrorTranslator | None
) -> None:
    """End the call for an exception that is not a LokosError: a known database or driver
    failure with its own status (e.g. 503 while PostgreSQL is down), anything else INTERNAL."""
    known = translate(exc) if translate is not None else None
    if known is None:
        log.exception("unhandled error in %s", method)
        await ctx.abort(grpc.StatusCode.INTERNAL, "internal error")
    else:
        log.warning("%s: %s (%s)", method, known.detail, type(exc).__name__)
        await ctx.abort_with_status(rpc_status.to_status(error_to_status(known)))


def _streaming_in_context(
    behavior: Callable[[Any, Any], AsyncIterator[Any]],
    method: str,
    keys: KeyRing,
    translate: ErrorTranslator | None = None,
) -> Callable[[Any, Any], AsyncIterator[Any]]:
    """:func:`_in_context` for a method that answers with a stream: the context holds while
    the stream is written; an error ends the stream with its status."""

    async def wrapped(request: Any, ctx: Any) -> AsyncIterator[Any]:
        metadata = dict(ctx.invocation_metadata() or ())
        received = _received_or_refuse(keys, metadata)
        if isinstance(received, LokosError):
            await ctx.abort_with_status(rpc_status.to_status(error_to_status(received)))
            return
        tokens = (
            context.current_principal.set(received.principal),
            context.current_request_id.set(received.request_id),
            i18n.current_language.set(i18n.pick_language(str(metadata.get(i18n.LANGUAGE_KEY, "")))),
            _received.set(received),
        )
        try:
            async for item in behavior(request, ctx):
                yield item
        except LokosError as err:
            await ctx.abort_with_status(rpc_status.to_status(error_to_status(err)))
        except grpc.aio.AbortError:
            raise
        except Exception as exc:
            await _abort_unexpected(exc, ctx, method, translate)
        finally:
            context.current_principal.reset(tokens[0])
            context.current_request_id.reset(tokens[1])
            i18n.current_language.reset(tokens[2])
            _received.reset(tokens[3])

    return wrapped


# The signed principal travels in metadata and grows with the CBOs mapped to its user (a
# bookkeeper of 500 SHGs signs ≈ 20 KB); gRPC's 16 KiB default refused such calls with
# RESOURCE_EXHAUSTED before they reached the service. Both ends accept 256 KiB.
METADATA_OPTIONS: tuple[tuple[str, int], ...] = (
    ("grpc.max_metadata_size", 256 * 1024),
    ("grpc.absolute_max_metadata_size", 256 * 1024),
)


async def start_server(
    host: str,
    port: int,
    register: Callable[[grpc.aio.Server], None],
    service_names: Sequence[str],
    translate: ErrorTranslator | None = None,
) -> tuple[grpc.aio.Server, Any]:
    """Start a gRPC server with tracing, principal verification, context, error mapping and
    the health service, with mTLS when this process's trust has certificates.

    Health reports SERVING for every name in ``service_names`` (and the empty name).
    ``translate`` reads unexpected errors as domain ones (services pass
    :func:`lokos.db.outage`: a database outage answers UNAVAILABLE, not INTERNAL).
    """
    own = trust()
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0), *METADATA_OPTIONS])
    calls = CallContext(own.keys, translate)
    register(calls.registrar(server))  # type: ignore[arg-type]
    server.add_generic_rpc_handlers([calls.unknown_methods()])
    health_servicer = health.aio.HealthServicer()  # type: ignore[attr-defined]
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    address = f"{host}:{port}"
    bound = (
        server.add_secure_port(address, own.tls.server_credentials())
        if own.tls is not None
        else server.add_insecure_port(address)
    )
    if bound == 0:
        raise OSError(f"cannot bind gRPC port {host}:{port}")
    await server.start()
    for name in ("", *service_names):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return server, health_servicer


# --- client ---------------------------------------------------------------------------------


def channel(target: str) -> grpc.aio.Channel:
    """A channel to another service (one per target per process, reused); with mTLS when
    this process's trust has certificates. Calls carry the trace in :func:`call_metadata`."""
    options = [("grpc.keepalive_time_ms", 30_000), ("grpc.enable_retries", 1), *METADATA_OPTIONS]
    tls = _trust.tls if _trust is not None else None
    if tls is not None:
        return grpc.aio.secure_channel(target, tls.channel_credentials(), options=options)
    return grpc.aio.insecure_channel(target, options=options)


def call_metadata(
    principal: Principal | None, request_id: str, language: str = ""
) -> tuple[tuple[str, str | bytes], ...]:
    """Metadata of a call made for ``principal`` during request ``request_id``.

    The principal of the call being served goes on exactly as it came (same signature, expiry
    and request id): a service calling another during a user's request speaks for that user
    and cannot widen what was signed. Any other principal is signed with this process's keys.
    """
    md: list[tuple[str, str | bytes]] = [(REQUEST_ID_KEY, request_id)]
    parent = traceparent()
    if parent:  # the current span: the callee's span is its child
        md.append((TRACEPARENT_KEY, parent))
    if principal is not None:
        received = _received.get()
        if (
            received is not None
            and received.principal is principal
            and received.request_id == request_id
        ):
            md.append((METADATA_KEY, received.signed))
        else:
            md.append((METADATA_KEY, trust().keys.sign(principal, request_id)))
    if language:
        md.append((i18n.LANGUAGE_KEY, language))
    return tuple(md)


def service_metadata(request_id: str, language: str = "") -> tuple[tuple[str, str | bytes], ...]:
    """Metadata of a call this process makes on its own behalf (its system principal):
    the gateway before it knows the user (logins, principal lookups), a service's own work."""
    return call_metadata(trust().identity, request_id, language)


async def check_health(ch: grpc.aio.Channel, service: str = "", timeout: float = 1.0) -> bool:
    stub = health_pb2_grpc.HealthStub(ch)
    try:
        resp = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
    except grpc.aio.AioRpcError:
        return False
    return bool(resp.status == health_pb2.HealthCheckResponse.SERVING)


__all__ = [
    "CallContext",
    "TlsFiles",
    "Trust",
    "call_metadata",
    "channel",
    "check_health",
    "configure",
    "error_from_rpc",
    "error_to_status",
    "service_metadata",
    "start_server",
    "trust",
]
