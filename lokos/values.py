"""Values every service reads from requests and writes into its messages the same way."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time

from google.protobuf.timestamp_pb2 import Timestamp

from lokos.errors import ValidationFailed


def parse_uuid(value: str, field: str) -> uuid.UUID:
    """A record's id from a request; 422 naming ``field`` when it is not a UUID."""
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        raise ValidationFailed.one(field, "must be a UUID", "format") from None


def timestamp(value: date | datetime | None) -> Timestamp | None:
    """A contract's Timestamp of a date (its midnight, UTC) or a time (naive means UTC)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(), UTC)
    out = Timestamp()
    out.FromDatetime(value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC))
    return out
