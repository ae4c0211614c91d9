"""Small helpers the profiles servicers share: proto field presence → dicts, dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from lokos import context
from lokos.db import Database
from lokos.principal import Principal


def present(msg: Message) -> dict[str, Any]:
    """The fields the client set (proto3 ``optional``), timestamps as dates."""
    out: dict[str, Any] = {}
    for field in msg.DESCRIPTOR.fields:
        if not msg.HasField(field.name):
            continue
        value = getattr(msg, field.name)
        out[field.name] = (
            value.ToDatetime(tzinfo=UTC).date() if isinstance(value, Timestamp) else value
        )
    return out


def today() -> date:
    return datetime.now(UTC).date()


def caller() -> Principal:
    return context.principal()


__all__ = ["Database", "caller", "present", "today"]
