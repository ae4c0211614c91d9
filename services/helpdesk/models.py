"""Tables of the help desk database: tickets, their history, and the span index that request
search reads (built from the processes' trace files; no personal data in it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lokos.audit import audit_table
from lokos.db import new_metadata
from lokos.outbox import outbox_table


class HelpdeskBase(DeclarativeBase):
    metadata = new_metadata()


metadata = HelpdeskBase.metadata
outbox = outbox_table(metadata)
audit_log = audit_table(metadata)


class Ticket(HelpdeskBase):
    __tablename__ = "ticket"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    category: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    request_id: Mapped[str] = mapped_column(String(32), default="", index=True)
    submission_ref: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[str] = mapped_column(String(64), default="")
    cbo_code: Mapped[str] = mapped_column(String(64), default="")
    trace_ids: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    raised_by: Mapped[str] = mapped_column(String(64))
    assignee: Mapped[str] = mapped_column(String(64), default="")
    escalation_level: Mapped[int] = mapped_column(SmallInteger, default=0)
    resolution: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (Index("ix_ticket_trace_ids", "trace_ids", postgresql_using="gin"),)


class TicketEntry(HelpdeskBase):
    """One step of a ticket's history, as its people read it (the audit log keeps before/after)."""

    __tablename__ = "ticket_entry"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(BigInteger, index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")


class Span(HelpdeskBase):
    """One hop of a request, indexed by the keys the help desk searches with.

    Times are Unix nanoseconds, as the exporters write them. The reference columns are empty
    on the hops that do not carry them (partial indexes skip those rows).
    """

    __tablename__ = "span"

    trace_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    span_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    parent_id: Mapped[str] = mapped_column(String(16), default="")
    service: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    start_ns: Mapped[int] = mapped_column(BigInteger)
    end_ns: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(8))
    error: Mapped[str] = mapped_column(Text, default="")
    http_status: Mapped[int] = mapped_column(SmallInteger, default=0)
    user_id: Mapped[str] = mapped_column(String(64), default="")
    cbo_code: Mapped[str] = mapped_column(String(64), default="")
    submission_ref: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (
        Index("ix_span_start", "start_ns"),
        Index(
            "ix_span_user",
            "user_id",
            "start_ns",
            postgresql_where=text("user_id <> ''"),
        ),
        Index("ix_span_cbo", "cbo_code", "start_ns", postgresql_where=text("cbo_code <> ''")),
        Index(
            "ix_span_submission",
            "submission_ref",
            postgresql_where=text("submission_ref <> ''"),
        ),
    )


class SpanSource(HelpdeskBase):
    """How far each trace file has been read into the index (by inode: files rotate)."""

    __tablename__ = "span_source"

    path: Mapped[str] = mapped_column(String(255), primary_key=True)
    inode: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger)
