"""OpenTelemetry for every process.

With ``LOKOS_OTLP_ENDPOINT`` set, spans go to that collector over OTLP/gRPC. Otherwise each
process appends its spans as JSON lines to ``<data_dir>/traces/<service>.jsonl`` so that
``lokos trace <request-id>`` can print one request's tree across all processes.

The request id a client sees (``X-Request-Id``) is the trace id; NATS messages carry the
W3C ``traceparent`` header so a consumer's span joins the producer's trace.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from lokos.config import LokosSettings

# Rotate a process's span file past this size (keeps one older file).
MAX_TRACE_FILE_BYTES = 64 * 1024 * 1024
# The reference ids a hop may carry, as span attributes (``lokos.<name>``), which the help desk
# searches requests by. Identifiers of records and users only, never personal data.
REFERENCE_KEYS = ("user_id", "cbo_code", "submission_ref")
_STATUS_KEYS = ("http.status_code", "http.response.status_code")


class JsonLinesSpanExporter(SpanExporter):
    """Appends finished spans as JSON lines to one file per process."""

    def __init__(self, path: Path, service: str) -> None:
        self.path = path
        self.service = service
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(json.dumps(self._record(s), separators=(",", ":")) + "\n" for s in spans)
        with self._lock:
            try:
                if self.path.exists() and self.path.stat().st_size > MAX_TRACE_FILE_BYTES:
                    os.replace(self.path, self.path.with_suffix(".jsonl.1"))
                with self.path.open("a", encoding="utf-8") as f:
                    f.write(lines)
            except OSError:
                return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def _record(self, span: ReadableSpan) -> dict[str, object]:
        ctx = span.get_span_context()
        parent = span.parent
        error = ""
        for event in span.events:
            if event.name == "exception" and event.attributes:
                error = f"{event.attributes.get('exception.type', '')}: " + str(
                    event.attributes.get("exception.message", "")
                )
        status = span.status
        attributes = span.attributes or {}
        refs: dict[str, object] = {
            key: str(attributes[f"lokos.{key}"])
            for key in REFERENCE_KEYS
            if attributes.get(f"lokos.{key}")
        }
        for key in _STATUS_KEYS:
            if isinstance(attributes.get(key), int):
                refs["http_status"] = attributes[key]
        return {
            "trace_id": format(ctx.trace_id, "032x") if ctx else "",
            "span_id": format(ctx.span_id, "016x") if ctx else "",
            "parent_id": format(parent.span_id, "016x") if parent else "",
            "service": self.service,
            "name": span.name,
            "kind": span.kind.name,
            "start": span.start_time,
            "end": span.end_time,
            "status": status.status_code.name,
            "error": error or (status.description or ""),
            **refs,
        }

    def shutdown(self) -> None:
        return None


def setup_telemetry(settings: LokosSettings) -> TracerProvider:
    """Install the tracer provider of this process (call once, at start)."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.service_name}),
        sampler=ParentBased(TraceIdRatioBased(settings.trace_sample_ratio)),
    )
    exporters: list[SpanExporter] = []
    if settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        exporters.append(OTLPSpanExporter(endpoint=settings.otlp_endpoint, insecure=True))
    if not settings.otlp_endpoint or settings.trace_local_copy:
        exporters.append(
            JsonLinesSpanExporter(
                settings.trace_dir / f"{settings.service_name}.jsonl", settings.service_name
            )
        )
    for exporter in exporters:
        # Small batches: the export runs on a thread holding the GIL, and 512 spans (the
        # default) held it for milliseconds while the event loop's requests waited.
        provider.add_span_processor(
            BatchSpanProcessor(exporter, schedule_delay_millis=200, max_export_batch_size=64)
        )
    trace.set_tracer_provider(provider)
    return provider


def tag(**refs: str) -> None:
    """Mark the current hop with reference ids (``REFERENCE_KEYS``) request search finds it by."""
    span = trace.get_current_span()
    for key, value in refs.items():
        if key not in REFERENCE_KEYS:
            raise ValueError(f"{key} is not a reference key of a span")
        if value:
            span.set_attribute(f"lokos.{key}", value)


def current_trace_id() -> str:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else ""


def inject_headers(headers: dict[str, str] | None = None) -> dict[str, str]:
    """W3C trace headers of the current span, for a NATS message or an outbox row."""
    carrier: dict[str, str] = {} if headers is None else headers
    propagate.inject(carrier)
    return carrier


def extract_context(headers: Mapping[str, str] | None) -> otel_context.Context:
    return propagate.extract(dict(headers or {}))


# The W3C traceparent of internal calls, written and read directly: the generic propagators
# (trace context and baggage, through carriers) cost tens of microseconds a call, more than
# the rest of a cached read's plumbing. Baggage and tracestate are not used between services.
def traceparent() -> str:
    """The current span as a W3C ``traceparent`` value ("" outside a span)."""
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return ""
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{ctx.trace_flags:02x}"


def parent_of(value: str) -> otel_context.Context | None:
    """The remote parent a ``traceparent`` value names; None when it is malformed."""
    parts = value.split("-")
    if len(parts) != 4 or parts[0] != "00" or len(parts[1]) != 32 or len(parts[2]) != 16:
        return None
    try:
        trace_id, span_id, flags = int(parts[1], 16), int(parts[2], 16), int(parts[3], 16)
    except ValueError:
        return None
    if not trace_id or not span_id:
        return None
    span = trace.NonRecordingSpan(
        trace.SpanContext(trace_id, span_id, is_remote=True, trace_flags=trace.TraceFlags(flags))
    )
    return trace.set_span_in_context(span)
