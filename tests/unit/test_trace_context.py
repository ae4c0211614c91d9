"""The traceparent internal calls carry: written from the current span, read back as its
remote parent, and anything malformed read as no parent (the callee starts its own trace)."""

from __future__ import annotations

import pytest
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import TracerProvider

from lokos.telemetry import parent_of, traceparent

tracer = TracerProvider().get_tracer("test")


def test_the_callees_parent_is_the_callers_span() -> None:
    assert traceparent() == ""
    with tracer.start_as_current_span("caller") as span:
        value = traceparent()
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
    assert value == carrier["traceparent"]  # what the W3C propagator writes
    parent = parent_of(value)
    assert parent is not None
    remote = trace.get_current_span(parent).get_span_context()
    assert (remote.trace_id, remote.span_id, remote.is_remote) == (
        span.get_span_context().trace_id,
        span.get_span_context().span_id,
        True,
    )


@pytest.mark.parametrize(
    "value",
    [
        "",
        "00-abc",
        "01-" + "1" * 32 + "-" + "1" * 16 + "-01",
        "00-" + "0" * 32 + "-" + "1" * 16 + "-01",
        "00-" + "g" * 32 + "-" + "1" * 16 + "-01",
    ],
)
def test_a_malformed_traceparent_is_no_parent(value: str) -> None:
    assert parent_of(value) is None
