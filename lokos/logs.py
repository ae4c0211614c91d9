"""Structured JSON logs with trace id, user and state; identifiers are redacted.

Aadhaar (12 digits), bank account numbers (9–18 digits) and mobile numbers never reach a log
line: every run of 9 or more digits is masked to its last 4, whatever logged it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from opentelemetry import trace

from lokos import context

_LONG_DIGITS = re.compile(r"(?<!\d)(\d[\d ]{7,}\d)(?!\d)")


def redact(text: str) -> str:
    """Mask every run of 9+ digits (spaces allowed inside) except its last four."""

    def mask(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(1))
        if len(digits) < 9:
            return m.group(1)
        return "X" * (len(digits) - 4) + digits[-4:]

    return _LONG_DIGITS.sub(mask, text)


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str, state: str) -> None:
        super().__init__()
        self.service = service
        self.state = state

    def format(self, record: logging.LogRecord) -> str:
        span = trace.get_current_span().get_span_context()
        principal = context.current_principal.get()
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "state": self.state,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        if span.is_valid:
            entry["trace_id"] = format(span.trace_id, "032x")
        if principal is not None:
            entry["user_id"] = principal.user_id
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(service: str, state: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service, state))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("nats", "alembic", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
