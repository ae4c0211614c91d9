"""Languages of messages: which one a request asked for, and catalogues of texts per code.

The gateway picks the language from the client's ``Accept-Language`` header and passes it
on in call metadata (``accept-language``); the gRPC interceptor sets :data:`current_language`
for the call, and a service's :class:`Catalog` renders its messages in that language.
Codes stay stable whatever the language: clients branch on codes, people read texts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextvars import ContextVar

SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "hi")
DEFAULT_LANGUAGE = "en"
# Metadata key of internal calls; the value is one of SUPPORTED_LANGUAGES.
LANGUAGE_KEY = "accept-language"

current_language: ContextVar[str] = ContextVar("lokos_language", default=DEFAULT_LANGUAGE)

# Guards against pathological headers: nobody sends more than a handful of ranges.
_MAX_HEADER = 1024
_MAX_RANGES = 32
_RANGE = re.compile(r"^(\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)$")
_QVALUE = re.compile(r"^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$")


def language() -> str:
    """The language of the request being handled (``"en"`` when none was asked for)."""
    return current_language.get()


def pick_language(accept_language: str | None) -> str:
    """The supported language an ``Accept-Language`` header prefers (RFC 9110 §12.5.4).

    Ranges are tried by descending quality value, ties in header order; ``hi-IN`` falls back
    to ``hi`` (RFC 4647 lookup); ``*`` means any language not refused with ``q=0``.
    Malformed ranges are skipped. Anything else, or no header, gives ``"en"``.
    """
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranges: list[tuple[float, int, str]] = []
    for index, item in enumerate(accept_language[:_MAX_HEADER].split(",")[:_MAX_RANGES]):
        tag, _, params = item.partition(";")
        tag = tag.strip().lower()
        if not _RANGE.match(tag):
            continue
        quality = _quality(params)
        if quality is None:
            continue
        ranges.append((quality, index, tag))
    refused = {tag for q, _, tag in ranges if q == 0}
    for quality, _, tag in sorted(ranges, key=lambda r: (-r[0], r[1])):
        if quality == 0:
            break
        if tag == "*":
            for lang in SUPPORTED_LANGUAGES:
                if lang not in refused:
                    return lang
            continue
        match = _lookup(tag)
        if match is not None:
            return match
    return DEFAULT_LANGUAGE


def _quality(params: str) -> float | None:
    """The ``q`` parameter (1 when absent), or None when it is malformed."""
    quality = 1.0
    for param in params.split(";"):
        name, sep, value = param.partition("=")
        if name.strip().lower() != "q":
            continue
        value = value.strip()
        if not sep or not _QVALUE.match(value):
            return None
        quality = float(value)
    return quality


def _lookup(tag: str) -> str | None:
    subtags = tag.split("-")
    while subtags:
        candidate = "-".join(subtags)
        if candidate in SUPPORTED_LANGUAGES:
            return candidate
        subtags.pop()
    return None


class _KeepMissing(dict[str, object]):
    """Format parameters that leave an unknown ``{name}`` as it is instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Catalog:
    """Texts by code, each in English (required) and other supported languages.

    ``text(code, **params)`` renders in the current language, falling back to English, then
    to the code itself; ``{name}`` placeholders are filled from ``params``.
    """

    def __init__(self, entries: Mapping[str, Mapping[str, str]]) -> None:
        for code, texts in entries.items():
            if DEFAULT_LANGUAGE not in texts:
                raise ValueError(f"catalogue entry {code!r} has no {DEFAULT_LANGUAGE!r} text")
            unknown = set(texts) - set(SUPPORTED_LANGUAGES)
            if unknown:
                raise ValueError(f"catalogue entry {code!r} has unsupported {sorted(unknown)}")
        self._entries: dict[str, dict[str, str]] = {
            str(code): dict(texts) for code, texts in entries.items()
        }

    def text(self, code: str, /, **params: object) -> str:
        return self.text_in(language(), code, **params)

    def text_in(self, lang: str, code: str, /, **params: object) -> str:
        """Like :meth:`text` in a given language (English details, tests)."""
        texts = self._entries.get(str(code))
        if texts is None:
            return str(code)
        template = texts.get(lang) or texts[DEFAULT_LANGUAGE]
        return template.format_map(_KeepMissing(params))

    def codes(self) -> frozenset[str]:
        return frozenset(self._entries)

    def untranslated(self, lang: str) -> list[str]:
        """Codes without a text in ``lang`` (for a test that keeps a catalogue complete)."""
        return sorted(code for code, texts in self._entries.items() if not texts.get(lang))

    def __contains__(self, code: object) -> bool:
        return code in self._entries


__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGE_KEY",
    "SUPPORTED_LANGUAGES",
    "Catalog",
    "current_language",
    "language",
    "pick_language",
]
