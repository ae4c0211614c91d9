"""Tables of the dedup database."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from lokos.audit import audit_table
from lokos.consumer import inbox_table
from lokos.db import new_metadata
from lokos.outbox import outbox_table


class DedupBase(DeclarativeBase):
    metadata = new_metadata()


metadata = DedupBase.metadata
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
audit_log = audit_table(metadata)
