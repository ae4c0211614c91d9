"""What CBOs and members share: versions, the maker's lock, and where changes go.

A record waiting for approval (``submission_id`` set) is locked for the maker. Changes to a
record that was never approved apply to it directly (a rejected one becomes "modified"); changes
to an approved record wait in its ``draft`` until a checker approves them, so only approved data
is ever the system of record.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import Any, Protocol

from lokos.errors import Conflict, Locked, ValidationFailed

DIRECT_STATUSES = frozenset({"new", "rejected", "modified", "incomplete"})


class Record(Protocol):
    id: uuid.UUID
    status: str
    version: int
    submission_id: uuid.UUID | None
    draft: dict[str, Any]


def check_version(record: Record, version: int, what: str) -> None:
    if version != record.version:
        raise Conflict(
            f"{what} changed since version {version}; reload it",
            code="version_conflict",
            extra={"current_version": str(record.version)},
        )


def check_unlocked(record: Record, what: str) -> None:
    if record.submission_id is not None:
        raise Locked(
            f"{what} is waiting for approval and cannot be changed until the checker acts",
            code="pending_approval",
            extra={"submission_id": str(record.submission_id)},
        )


def apply_changes(record: Record, changes: dict[str, Any], by: str) -> None:
    """Apply column changes (already validated and transformed) the way the lifecycle says."""
    if not changes:
        return
    if record.status in DIRECT_STATUSES:
        for column, value in changes.items():
            setattr(record, column, value)
        if record.status == "rejected":
            record.status = "modified"
    elif record.status == "approved":
        record.draft = {**(record.draft or {}), **{k: _jsonable(v) for k, v in changes.items()}}
    else:
        raise Conflict(f"a record that is {record.status} cannot be changed", code="not_editable")
    setattr(record, "updated_by", by)  # noqa: B010 - both record kinds have it
    record.version += 1


def apply_draft(record: Record, convert: dict[str, Any]) -> None:
    """On approval, the approved record takes the draft's values."""
    for column, value in (record.draft or {}).items():
        setattr(record, column, convert.get(column, lambda v: v)(value))
    record.draft = {}


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def create_fingerprint(key: bytes, request: dict[str, Any]) -> str:
    """What a create asked for, as a keyed hash (the request may hold an Aadhaar or account
    number, so a plain hash would be guessable): equal for the same request sent again."""
    canonical = json.dumps(request, sort_keys=True, default=str, ensure_ascii=False)
    return hmac.new(key, b"create\x1f" + canonical.encode(), hashlib.sha256).hexdigest()


def check_same_create(stored: str, fingerprint: str) -> None:
    """A create repeated under a client id must be the same create: a different one is a
    client bug (a reused or colliding id), refused rather than answered with the first record.
    Records created before fingerprints were kept (empty) are replayed as before."""
    if stored and not hmac.compare_digest(stored, fingerprint):
        raise ValidationFailed.one(
            "client_id", "client id reused with different content", "client_id_reused"
        )
