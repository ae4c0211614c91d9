"""Tables of the profiles database."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lokos.audit import audit_table
from lokos.consumer import inbox_table
from lokos.db import new_metadata
from lokos.outbox import outbox_table


class ProfilesBase(DeclarativeBase):
    metadata = new_metadata()


metadata = ProfilesBase.metadata
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
audit_log = audit_table(metadata)


class District(ProfilesBase):
    __tablename__ = "district"

    lgd_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128))


class Block(ProfilesBase):
    __tablename__ = "block"

    lgd_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    district_lgd_code: Mapped[str] = mapped_column(ForeignKey("district.lgd_code"), index=True)
    name: Mapped[str] = mapped_column(String(128))


class Shg(ProfilesBase):
    __tablename__ = "shg"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # Client-generated id of the create: the idempotency key of offline uploads.
    client_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))
    district_lgd_code: Mapped[str] = mapped_column(String(16))
    block_lgd_code: Mapped[str] = mapped_column(ForeignKey("block.lgd_code"))
    status: Mapped[str] = mapped_column(String(24), default="new")
    formed_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(BigInteger, default=1)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("ix_shg_block", "block_lgd_code", "created_at"),)
