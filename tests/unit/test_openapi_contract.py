"""The gateway's OpenAPI document states every limit the gateway enforces on input, the bearer
scheme of every protected operation, and the problem answers each operation gives.

Walking the document (rather than the code) makes the rules hold for routes added later: a
free-text field without the no-control-characters pattern, or an integer without a maximum
that fits its gRPC field, fails here before it can reach a service as a 500.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.app import create_app
from gateway.config import GatewaySettings
from gateway.inputs import INT64_MAX, TEXT_PATTERN

# Strings whose values are already a closed set or a strict format.
_SAFE_FORMATS = {"uuid", "date", "date-time", "binary"}
# Open to anyone: the health checks and the login/refresh/logout entries.
_PUBLIC = ("/healthz", "/readyz", "/v1/auth/")


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    doc: dict[str, Any] = create_app(GatewaySettings()).openapi()
    return doc


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


def _loose(doc: dict[str, Any], schema: dict[str, Any], where: str) -> list[str]:
    """Every string without a pattern/enum/format and every integer without a maximum."""
    schema = _resolve(doc, schema)
    out: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, ()):
            out += _loose(doc, sub, where)
    kind = schema.get("type")
    if (
        kind == "string"
        and not ("enum" in schema or "const" in schema or schema.get("format") in _SAFE_FORMATS)
        and "pattern" not in schema
    ):
        out.append(f"{where}: string without a pattern")
    if kind == "integer" and schema.get("maximum", INT64_MAX + 1) > INT64_MAX:
        out.append(f"{where}: integer without a maximum")
    if kind == "array":
        out += _loose(doc, schema.get("items", {}), f"{where}[]")
    for name, sub in schema.get("properties", {}).items():
        out += _loose(doc, sub, f"{where}.{name}")
    return out


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def test_every_input_is_bounded(openapi: dict[str, Any]) -> None:
    loose: list[str] = []
    for path, method, op in _operations(openapi):
        for p in op.get("parameters", ()):
            loose += _loose(openapi, p["schema"], f"{method} {path} {p['in']} {p['name']}")
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            loose += _loose(openapi, body["schema"], f"{method} {path} body")
    assert loose == []


def test_free_text_refuses_control_characters() -> None:
    import re

    assert re.fullmatch(TEXT_PATTERN, "Lakshmi SHG\tनमस्ते\r\n")
    for bad in ("A\x00B", "\x1b[31m", "x\x7f"):
        assert not re.fullmatch(TEXT_PATTERN, bad)


def test_protected_operations_declare_the_bearer_scheme(openapi: dict[str, Any]) -> None:
    schemes = openapi["components"]["securitySchemes"]
    bearer = [name for name, s in schemes.items() if s.get("scheme") == "bearer"]
    assert len(bearer) == 1
    missing = [
        f"{method} {path}"
        for path, method, op in _operations(openapi)
        if not path.startswith(_PUBLIC) and {bearer[0]: []} not in op.get("security", [])
    ]
    assert missing == []
    public = [
        f"{method} {path}"
        for path, method, op in _operations(openapi)
        if path.startswith(_PUBLIC) and op.get("security")
    ]
    assert public == []


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("patch", "/v1/users/{user_id}", {"401", "403", "404", "409", "422", "503"}),
        ("patch", "/v1/cbos/{cbo_id}", {"401", "403", "404", "409", "422", "423", "503"}),
        ("post", "/v1/geography/districts", {"401", "403", "409", "422", "503"}),
        ("get", "/v1/cbos/{cbo_id}", {"401", "403", "404", "409", "422", "423", "503"}),
        ("post", "/v1/auth/state/login", {"422", "423", "503"}),
    ],
)
def test_operations_list_the_problems_they_give(
    openapi: dict[str, Any], method: str, path: str, statuses: set[str]
) -> None:
    op = openapi["paths"][path][method]
    assert statuses <= set(op["responses"])
    for status in statuses:
        assert "application/problem+json" in op["responses"][status]["content"]


@pytest.mark.parametrize("good", ["2023-04-01", "2023-04-01T10:00:00+05:30", "1985-01-31"])
def test_dates_are_read_from_iso_text(good: str) -> None:
    from pydantic import TypeAdapter

    from gateway.inputs import IsoDateTime

    assert TypeAdapter(IsoDateTime).validate_python(good).year in (1985, 2023)


@pytest.mark.parametrize("bad", [0, 1.5, "20230401", "-529645", "1e9", "0001-01-01", "9999-12-31"])
def test_numbers_and_implausible_years_are_not_dates(bad: object) -> None:
    from pydantic import TypeAdapter, ValidationError

    from gateway.inputs import IsoDate

    with pytest.raises(ValidationError):
        TypeAdapter(IsoDate).validate_python(bad)
