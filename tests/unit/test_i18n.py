"""Languages: choosing one from Accept-Language, carrying it across calls, rendering catalogues."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import grpc
import pytest

from lokos import i18n
from lokos.i18n import Catalog, current_language, language, pick_language
from lokos.principal import METADATA_KEY, KeyRing, system_principal
from lokos.rpc import CallContext, call_metadata


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    token = current_language.set("en")
    yield
    current_language.reset(token)


# --- pick_language ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("hi", "hi"),
        ("HI", "hi"),
        ("en", "en"),
        # A region or script subtag falls back to its language.
        ("hi-IN", "hi"),
        ("hi-Deva-IN", "hi"),
        ("en-IN", "en"),
        # Quality values order the ranges, whatever their place in the header.
        ("en;q=0.5, hi;q=0.9", "hi"),
        ("hi;q=0.4, en", "en"),
        ("en-IN,en;q=0.9,hi-IN;q=0.8,hi;q=0.7", "en"),
        ("hi-IN,hi;q=0.9,en-US;q=0.8,en;q=0.7", "hi"),
        ("hi ; Q=0.8 , en ; q=0.7", "hi"),
        # Ties keep header order.
        ("hi;q=0.8, en;q=0.8", "hi"),
        # Unsupported languages are passed over; nothing supported gives English.
        ("ta-IN, hi;q=0.5", "hi"),
        ("ta, bn;q=0.9", "en"),
        ("fr", "en"),
        # q=0 refuses a language.
        ("hi;q=0", "en"),
        ("hi;q=0, en;q=0", "en"),
        ("en;q=0, *", "hi"),
        ("hi;q=0, *", "en"),
        ("*", "en"),
        ("ta, *;q=0.1", "en"),
        # Malformed ranges or weights are skipped, not fatal.
        ("hi;q=2, en;q=0.5", "en"),
        ("hi;q=abc", "en"),
        ("hi;q=0.1234, en;q=0.1", "en"),
        ("h!, hi;q=0.3", "hi"),
        (",,;,", "en"),
        ("hi;q=1.000", "hi"),
        ("en;q=0.001, hi;q=0.002", "hi"),
    ],
)
def test_pick_language(header: str | None, expected: str) -> None:
    assert pick_language(header) == expected


def test_pick_language_survives_a_huge_header() -> None:
    assert pick_language("ta;q=0.1," * 10_000 + "hi") == "en"
    assert pick_language("hi," + "x" * 100_000) == "hi"


def test_language_defaults_to_english_and_follows_the_context_var() -> None:
    assert language() == "en"
    token = current_language.set("hi")
    try:
        assert language() == "hi"
    finally:
        current_language.reset(token)
    assert language() == "en"


# --- Catalog ---------------------------------------------------------------------------------

CATALOG = Catalog(
    {
        "greeting": {"en": "Hello, {name}.", "hi": "नमस्ते, {name}।"},
        "only_english": {"en": "Only in English."},
        "blank_hindi": {"en": "English text.", "hi": ""},
    }
)


def test_catalog_renders_in_the_current_language() -> None:
    assert CATALOG.text("greeting", name="Sunita") == "Hello, Sunita."
    token = current_language.set("hi")
    try:
        assert CATALOG.text("greeting", name="सुनीता") == "नमस्ते, सुनीता।"
    finally:
        current_language.reset(token)


def test_catalog_falls_back_to_english_then_to_the_code() -> None:
    assert CATALOG.text_in("hi", "only_english") == "Only in English."
    assert CATALOG.text_in("hi", "blank_hindi") == "English text."
    assert CATALOG.text_in("ta", "greeting", name="x") == "Hello, x."
    assert CATALOG.text("no_such_code") == "no_such_code"


def test_catalog_keeps_missing_placeholders_and_takes_a_code_param() -> None:
    assert CATALOG.text("greeting") == "Hello, {name}."
    assert CATALOG.text("greeting", name="A", code="ignored") == "Hello, A."


def test_catalog_reports_untranslated_codes() -> None:
    assert CATALOG.untranslated("hi") == ["blank_hindi", "only_english"]
    assert CATALOG.untranslated("en") == []
    assert "greeting" in CATALOG and "nope" not in CATALOG
    assert CATALOG.codes() == {"greeting", "only_english", "blank_hindi"}


def test_catalog_needs_english_and_supported_languages() -> None:
    with pytest.raises(ValueError, match="no 'en'"):
        Catalog({"x": {"hi": "केवल हिंदी"}})
    with pytest.raises(ValueError, match="unsupported"):
        Catalog({"x": {"en": "x", "ta": "x"}})


# --- across the wire ------------------------------------------------------------------------


def test_call_metadata_carries_the_language_when_given() -> None:
    assert call_metadata(None, "r1") == (("x-request-id", "r1"),)
    assert call_metadata(None, "r1", "hi") == (("x-request-id", "r1"), (i18n.LANGUAGE_KEY, "hi"))


async def _language_seen_by_handler(md: tuple[tuple[str, str], ...]) -> str:
    seen: list[str] = []

    async def behavior(request: Any, ctx: Any) -> str:
        seen.append(language())
        return "ok"

    handler = grpc.unary_unary_rpc_method_handler(behavior)
    keys = KeyRing([("k1", bytes(32))])
    signed = keys.sign(system_principal("test", "up"), "r1")
    invocation = (*md, ("x-request-id", "r1"), (METADATA_KEY, signed))
    ctx = SimpleNamespace(invocation_metadata=lambda: invocation)
    wrapped = CallContext(keys).wrap("/lokos.test/Call", handler)
    assert await wrapped.unary_unary(object(), ctx) == "ok"
    return seen[0]


@pytest.mark.parametrize(
    ("md", "expected"),
    [
        ((), "en"),
        (((i18n.LANGUAGE_KEY, "hi"),), "hi"),
        (((i18n.LANGUAGE_KEY, "hi-IN,en;q=0.5"),), "hi"),
        (((i18n.LANGUAGE_KEY, "fr"),), "en"),
    ],
)
async def test_interceptor_sets_the_language_for_the_call(
    md: tuple[tuple[str, str], ...], expected: str
) -> None:
    assert await _language_seen_by_handler(md) == expected
    assert language() == "en"  # reset after the call


async def test_gateway_middleware_sets_the_language_of_the_request() -> None:
    from gateway.request_layer import RequestIdMiddleware

    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(language())

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    async def send(message: Any) -> None:
        return None

    middleware = RequestIdMiddleware(app)
    for headers, expected in (
        ([(b"accept-language", b"hi-IN,hi;q=0.9,en;q=0.8")], "hi"),
        ([(b"accept-language", b"ta"), (b"accept-language", b"hi;q=0.5")], "hi"),
        ([(b"accept-language", "fr-FR,é".encode())], "en"),
        ([], "en"),
    ):
        await middleware({"type": "http", "headers": headers}, receive, send)
        assert seen.pop() == expected
        assert language() == "en"
