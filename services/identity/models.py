"""Tables of the identity database."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lokos.audit import audit_table
from lokos.consumer import inbox_table
from lokos.db import new_metadata
from lokos.outbox import outbox_table


class IdentityBase(DeclarativeBase):
    metadata = new_metadata()


metadata = IdentityBase.metadata
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
audit_log = audit_table(metadata)


class User(IdentityBase):
    __tablename__ = "app_user"

    # Upper-case user ID with the state prefix (UP_ALAPURSHGBK); unique within the instance.
    user_id: Mapped[str] = mapped_column(String(48), primary_key=True)
    realm: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128))
    mobile: Mapped[str] = mapped_column(String(10), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    designation: Mapped[str] = mapped_column(String(128), default="")
    # "staff" or "community", from the roles held.
    category: Mapped[str] = mapped_column(String(16), default="staff")
    # Where the user works (deepest unit of the grants): filters and admins' reach.
    district_lgd_code: Mapped[str] = mapped_column(String(16), default="")
    block_lgd_code: Mapped[str] = mapped_column(String(16), default="")
    # "active", "inactive", "deleted" (soft).
    status: Mapped[str] = mapped_column(String(16), default="active")
    version: Mapped[int] = mapped_column(BigInteger, default=1)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    # An admin set a temporary password; the user must choose her own before anything else.
    password_change_required: Mapped[bool] = mapped_column(Boolean, default=False)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Locks in a row (reset by a successful login or an admin's unlock): each lasts longer.
    lockouts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    __table_args__ = (
        Index("ix_app_user_block", "state", "block_lgd_code"),
        Index("ix_app_user_district", "state", "district_lgd_code"),
    )


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
    revoked_by: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (Index("ix_role_grant_user", "user_id", "valid_to"),)


class Cbo(IdentityBase):
    """Identity's copy of the CBOs (from profiles events), for mapping them to users."""

    __tablename__ = "cbo"

    cbo_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    cbo_type: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))
    district_lgd_code: Mapped[str] = mapped_column(String(16))
    block_lgd_code: Mapped[str] = mapped_column(String(16))
    panchayat_lgd_code: Mapped[str] = mapped_column(String(16), default="")
    village_lgd_code: Mapped[str] = mapped_column(String(16), default="")

    __table_args__ = (
        Index(
            "ix_cbo_block", "cbo_type", "block_lgd_code", "panchayat_lgd_code", "village_lgd_code"
        ),
    )


class CboMapping(IdentityBase):
    """A CBO linked to a community user, with dated history."""

    __tablename__ = "cbo_mapping"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("app_user.user_id"))
    cbo_id: Mapped[str] = mapped_column(ForeignKey("cbo.cbo_id"))
    cbo_type: Mapped[str] = mapped_column(String(8))
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    mapped_by: Mapped[str] = mapped_column(String(64))
    unmapped_by: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (
        Index("ix_cbo_mapping_user", "user_id", "valid_to"),
        # A CBO is linked to a user at most once at a time.
        Index(
            "uq_cbo_mapping_open",
            "user_id",
            "cbo_id",
            unique=True,
            postgresql_where=text("valid_to IS NULL"),
        ),
        Index("ix_cbo_mapping_cbo_open", "cbo_id", postgresql_where=text("valid_to IS NULL")),
    )


class Device(IdentityBase):
    """The one device a user may use the mobile app on."""

    __tablename__ = "device"

    user_id: Mapped[str] = mapped_column(ForeignKey("app_user.user_id"), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(128))
    # "bound" (verified by OTP) or "approved" (a replacement approved by a Block Admin).
    status: Mapped[str] = mapped_column(String(16))
    bound_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class EndedSession(IdentityBase):
    """A provider session (token ``sid``) ended by a logout: its access tokens, which run until
    they expire, are refused by the gateway. Kept a while longer than an access token lives."""

    __tablename__ = "ended_session"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("app_user.user_id"), index=True)
    ended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DeviceSession(IdentityBase):
    """A provider session (token ``sid``) issued to a user's device through a mobile login."""

    __tablename__ = "device_session"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("app_user.user_id"), index=True)
    device_id: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OtpChallenge(IdentityBase):
    __tablename__ = "otp_challenge"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[str] = mapped_column(ForeignKey("app_user.user_id"))
    device_id: Mapped[str] = mapped_column(String(128))
    # Keyed hash of the code; the code itself is never stored.
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_otp_challenge_user", "user_id", "created_at"),)


class ApiClient(IdentityBase):
    """A department or bank registered as a client of the state's realm (service account,
    client-credentials grant). The secret lives only at the identity provider."""

    __tablename__ = "api_client"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    realm: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(24))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    # "active" or "revoked" (for good: a revoked client is never re-enabled).
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    secret_rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str] = mapped_column(String(64), default="")
    # Requests a minute the gateway lets the client send.
    rate_per_minute: Mapped[int] = mapped_column(Integer)


class ApiCall(IdentityBase):
    """Every call of a registered API client, allowed or refused: who, what, under which
    consent, from which request."""

    __tablename__ = "api_call"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    client_id: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(512))
    consent_id: Mapped[str] = mapped_column(String(64), default="")
    request_id: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))

    __table_args__ = (
        Index("ix_api_call_client", "client_id", "at"),
        Index("ix_api_call_consent", "consent_id", "at", postgresql_where=text("consent_id <> ''")),
    )


class Consent(IdentityBase):
    """A member's consent to one API client, after the DEPA consent artefact (X2, X3)."""

    __tablename__ = "consent"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    member_id: Mapped[str] = mapped_column(String(36))
    # Filled when the consent is captured (the bookkeeper's read of the member).
    shg_id: Mapped[str] = mapped_column(String(36), default="")
    block_lgd_code: Mapped[str] = mapped_column(String(16), default="")
    purpose_code: Mapped[str] = mapped_column(String(16))
    purpose_text: Mapped[str] = mapped_column(String(256))
    data_scope: Mapped[list[str]] = mapped_column(ARRAY(String(24)))
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date] = mapped_column(Date)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    mode: Mapped[str] = mapped_column(String(8))
    # "requested", "active", "revoked" (expiry is read from expires_at).
    status: Mapped[str] = mapped_column(String(16))
    # The member's registered mobile the OTP went to (masked) and the OTP's keyed hash.
    otp_hash: Mapped[str] = mapped_column(String(64), default="")
    otp_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    otp_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    otp_attempts: Mapped[int] = mapped_column(Integer, default=0)
    captured_by: Mapped[str] = mapped_column(String(80), default="")
    captured_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str] = mapped_column(String(80), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_consent_member", "member_id"),
        Index("ix_consent_block", "state", "block_lgd_code"),
    )
