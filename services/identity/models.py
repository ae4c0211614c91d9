"""Tables of the identity database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ARRAY, BigInteger, DateTime, ForeignKey, Index, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lokos.audit import audit_table
from lokos.db import new_metadata
from lokos.outbox import outbox_table


class IdentityBase(DeclarativeBase):
    metadata = new_metadata()


metadata = IdentityBase.metadata
outbox = outbox_table(metadata)
audit_log = audit_table(metadata)


class User(IdentityBase):
    __tablename__ = "app_user"

    # Upper-case user ID with the state prefix (UP_ALAPURSHGBK); unique within the instance.
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    realm: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RoleGrant(IdentityBase):
    """A role held over a scope, with dated history: open grants have no ``valid_to``."""

    __tablename__ = "role_grant"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("app_user.user_id"))
    role: Mapped[str] = mapped_column(String(64))
    scope_level: Mapped[str] = mapped_column(String(16))
    scope_codes: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    granted_by: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_role_grant_user_open", "user_id", "valid_to"),)
