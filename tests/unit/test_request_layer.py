"""The gateway's outermost layer: one server span per request, named by its route template and
child of the client's traceparent, and X-Request-Id with the security headers on every
response — the 500 of an unexpected error included."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi import APIRouter
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from gateway import problems
from gateway.request_layer import NO_FASTAPI_TELEMETRY, GatewayApp, route_template

CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c"
CLIENT_TRACEPARENT = f"00-{CLIENT_TRACE}-b7ad6b7169203331-01"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    exporter.clear()


def _client(exporter: InMemorySpanExporter) -> httpx.AsyncClient:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    router = APIRouter()

    @router.get("/cbos/{cbo_id}")
    async def read_cbo(cbo_id: uuid.UUID) -> dict[str, str]:
        return {"id": str(cbo_id)}

    @router.get("/broken")
    async def broken() -> None:
        raise RuntimeError("a bug")

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app = GatewayApp(
        telemetry=NO_FASTAPI_TELEMETRY,
        request_layer={
            "untraced": frozenset({"/v1/healthz"}),
            "tracer": provider.get_tracer("test"),
        },
    )
    problems.install(app)
    app.include_router(router, prefix="/v1")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://gateway")


def _only(exporter: InMemorySpanExporter) -> ReadableSpan:
    [span] = exporter.get_finished_spans()
    return span


async def test_a_request_is_one_span_named_by_its_route_under_the_clients_trace(
    spans: InMemorySpanExporter,
) -> None:
    cbo = uuid.uuid4()
    async with _client(spans) as client:
        r = await client.get(f"/v1/cbos/{cbo}", headers={"traceparent": CLIENT_TRACEPARENT})
    assert r.status_code == 200
    span = _only(spans)
    assert span.name == "GET /v1/cbos/{cbo_id}"
    assert span.attributes is not None
    assert span.attributes["http.route"] == "/v1/cbos/{cbo_id}"
    assert span.attributes["http.response.status_code"] == 200
    assert span.attributes["lokos.cbo_code"] == str(cbo)  # the help desk finds it by the CBO
    assert format(span.context.trace_id, "032x") == CLIENT_TRACE
    assert span.parent is not None and format(span.parent.span_id, "016x") == "b7ad6b7169203331"
    assert r.headers["x-request-id"] == CLIENT_TRACE
    assert r.headers["x-content-type-options"] == "nosniff"
    assert span.status.status_code == StatusCode.UNSET


async def test_an_unexpected_error_is_a_500_problem_inside_the_span_with_every_header(
    spans: InMemorySpanExporter,
) -> None:
    async with _client(spans) as client:
        r = await client.get("/v1/broken")
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    span = _only(spans)
    request_id = format(span.context.trace_id, "032x")
    assert r.headers["x-request-id"] == request_id
    assert r.json()["request_id"] == request_id
    assert r.headers["x-content-type-options"] == "nosniff"
    assert span.status.status_code == StatusCode.ERROR
    assert [e.name for e in span.events] == ["exception"]
    assert span.attributes is not None
    assert span.attributes["http.response.status_code"] == 500


async def test_an_unknown_path_keeps_its_ids_out_of_the_span_name(
    spans: InMemorySpanExporter,
) -> None:
    async with _client(spans) as client:
        r = await client.get(f"/v1/nothing/{uuid.uuid4()}")
    assert r.status_code == 404
    span = _only(spans)
    assert span.name == "GET"
    assert span.attributes is not None
    assert "http.route" not in span.attributes
    assert span.status.status_code == StatusCode.UNSET


async def test_probes_are_not_traced(spans: InMemorySpanExporter) -> None:
    async with _client(spans) as client:
        r = await client.get("/v1/healthz")
    assert r.status_code == 200
    assert spans.get_finished_spans() == ()
    assert "x-request-id" not in r.headers
    assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("path", "params", "template"),
    [
        ("/v1/cbos", {}, "/v1/cbos"),
        ("/v1/cbos/abc/members", {"cbo_id": "abc"}, "/v1/cbos/{cbo_id}/members"),
        (
            "/v1/books/7/bank-loans/SB-1",
            {"cbo_id": 7, "account": "SB-1"},
            "/v1/books/{cbo_id}/bank-loans/{account}",
        ),
    ],
)
def test_route_template(path: str, params: dict[str, object], template: str) -> None:
    assert route_template(path, params) == template
