"""Spans written by one process's exporter read back as one tree."""

from __future__ import annotations

from pathlib import Path

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from lokos.telemetry import JsonLinesSpanExporter
from lokosctl.tracestore import build_tree, load_trace


def _tracer(path: Path, service: str) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(
        SimpleSpanProcessor(JsonLinesSpanExporter(path / f"{service}.jsonl", service))
    )
    return provider


def test_tree_across_two_processes(tmp_path: Path) -> None:
    gateway, profiles = _tracer(tmp_path, "gateway"), _tracer(tmp_path, "profiles")
    with gateway.get_tracer("t").start_as_current_span("POST /v1/shgs") as root:
        trace_id = format(root.get_span_context().trace_id, "032x")
        # Another process continues the same trace (as a gRPC server or NATS consumer would).
        with profiles.get_tracer("t").start_as_current_span("CreateShg"):
            try:
                with profiles.get_tracer("t").start_as_current_span("INSERT shg"):
                    raise ValueError("duplicate key")
            except ValueError:
                pass
    with gateway.get_tracer("t").start_as_current_span("unrelated"):
        pass

    spans = load_trace(tmp_path, trace_id)
    assert {s.name for s in spans} == {"POST /v1/shgs", "CreateShg", "INSERT shg"}
    (root_node,) = build_tree(spans)
    assert root_node.service == "gateway"
    (child,) = root_node.children
    assert child.service == "profiles" and child.name == "CreateShg"
    (leaf,) = child.children
    assert leaf.status == "ERROR" and "duplicate key" in leaf.error
    assert leaf.duration_ms >= 0


def test_unknown_trace_is_empty(tmp_path: Path) -> None:
    assert load_trace(tmp_path, "0" * 32) == []
