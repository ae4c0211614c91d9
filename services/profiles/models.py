"""Tables of the profiles database.

Geography is one table of LGD units (state → district → block → gram panchayat → village),
each row carrying its ancestors so scope checks and filters need no joins. SHGs, VOs and CLFs
are one ``cbo`` table (the maker-checker rules are the same for all three); members have their
own. Every submission for approval is a ``submission`` row whose id is the reference a
bookkeeper or the help desk looks up.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
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
from sqlalchemy.dialects.postgresql import JSONB
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

GEO_LEVELS = ("state", "district", "block", "panchayat", "village")
CBO_TYPES = ("SHG", "VO", "CLF")
# Lifecycle of CBOs and members (DOMAIN.md "Status lifecycle").
STATUSES = ("new", "pending", "approved", "rejected", "modified", "inactive", "incomplete")


class GeoUnit(ProfilesBase):
    """One LGD unit. Codes are unique within a level, not across levels."""

    __tablename__ = "geo_unit"

    level: Mapped[str] = mapped_column(String(12), primary_key=True)
    lgd_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    # The parent's LGD code (its level is the one above); empty for a state.
    parent_code: Mapped[str] = mapped_column(String(16), default="")
    # Lower-case state code ("up") the unit belongs to.
    state: Mapped[str] = mapped_column(String(16))
    district_lgd_code: Mapped[str] = mapped_column(String(16), default="")
    block_lgd_code: Mapped[str] = mapped_column(String(16), default="")
    panchayat_lgd_code: Mapped[str] = mapped_column(String(16), default="")
    name_en: Mapped[str] = mapped_column(String(128))
    name_local: Mapped[str] = mapped_column(String(128), default="")

    __table_args__ = (Index("ix_geo_unit_children", "level", "parent_code", "name_en"),)


class Cbo(ProfilesBase):
    """An SHG, VO or CLF profile."""

    __tablename__ = "cbo"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # Client-generated id of the create: the idempotency key of offline uploads.
    client_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    # Keyed hash of the create request: a repeat of the client id must carry the same request.
    create_fingerprint: Mapped[str] = mapped_column(String(64), default="", server_default="")
    cbo_type: Mapped[str] = mapped_column(String(4))
    # Generated when the CBO is first approved (format in services/profiles/codes.py).
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_local: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(16))
    district_lgd_code: Mapped[str] = mapped_column(String(16))
    block_lgd_code: Mapped[str] = mapped_column(String(16))
    panchayat_lgd_code: Mapped[str] = mapped_column(String(16), default="")
    village_lgd_code: Mapped[str] = mapped_column(String(16), default="")
    # SHGs only: general, elderly, pwd, pvtg, … (decides the member limits).
    shg_type: Mapped[str] = mapped_column(String(16), default="general")
    formed_on: Mapped[date | None] = mapped_column(Date)
    bank_account_masked: Mapped[str] = mapped_column(String(24), default="")
    bank_account_hash: Mapped[str] = mapped_column(String(64), default="")
    ifsc: Mapped[str] = mapped_column(String(11), default="")
    status: Mapped[str] = mapped_column(String(12), default="new")
    version: Mapped[int] = mapped_column(BigInteger, default=1)
    # The open submission while pending (the reference id).
    submission_id: Mapped[uuid.UUID | None] = mapped_column()
    # Changes to an approved CBO wait here until approved: only approved data is the record.
    draft: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    migrated: Mapped[bool] = mapped_column(Boolean, default=False)
    approved_on: Mapped[date | None] = mapped_column(Date)
    approved_by: Mapped[str] = mapped_column(String(64), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    # SHGs: the de-duplication service's flag (a similar SHG in the village, members shared
    # with another SHG), with its reasons and the version of its last report.
    duplicate_flag: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    duplicate_reasons: Mapped[list[str]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    duplicate_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    __table_args__ = (
        Index("ix_cbo_block", "cbo_type", "block_lgd_code", "status", "created_at"),
        Index("ix_cbo_village", "village_lgd_code", "name"),
    )


class Member(ProfilesBase):
    """A member of an SHG. Aadhaar is kept only masked and as a keyed hash."""

    __tablename__ = "member"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    # Keyed hash of the create request (see Cbo.create_fingerprint).
    create_fingerprint: Mapped[str] = mapped_column(String(64), default="", server_default="")
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    shg_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cbo.id"))
    state: Mapped[str] = mapped_column(String(16))
    district_lgd_code: Mapped[str] = mapped_column(String(16))
    block_lgd_code: Mapped[str] = mapped_column(String(16))
    panchayat_lgd_code: Mapped[str] = mapped_column(String(16), default="")
    village_lgd_code: Mapped[str] = mapped_column(String(16), default="")
    name: Mapped[str] = mapped_column(String(100))
    name_local: Mapped[str] = mapped_column(String(100), default="")
    gender: Mapped[str] = mapped_column(String(1), default="F")
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    social_category: Mapped[str] = mapped_column(String(8), default="")
    relative_name: Mapped[str] = mapped_column(String(100), default="")
    relation: Mapped[str] = mapped_column(String(16), default="")
    household_code: Mapped[str] = mapped_column(String(32), default="")
    # Leaving the SHG: the last day she is a member and why; set by an approved change, which
    # makes her "inactive" (transactions refuses her in meetings after that day).
    left_on: Mapped[date | None] = mapped_column(Date)
    leaving_reason: Mapped[str] = mapped_column(String(16), default="", server_default="")
    mobile: Mapped[str] = mapped_column(String(10), default="")
    bank_account_masked: Mapped[str] = mapped_column(String(24), default="")
    bank_account_hash: Mapped[str] = mapped_column(String(64), default="")
    ifsc: Mapped[str] = mapped_column(String(11), default="")
    voter_id: Mapped[str] = mapped_column(String(10), default="")
    aadhaar_masked: Mapped[str] = mapped_column(String(14), default="")
    aadhaar_hash: Mapped[str] = mapped_column(String(64), default="")
    # Keyed hashes of the voter ID and mobile too: de-duplication matches on hashes only.
    voter_id_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")
    mobile_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # As the de-duplication service last reported it (unchecked, none, potential,
    # confirmed); the version orders its reports.
    duplication_status: Mapped[str] = mapped_column(
        String(12), default="unchecked", server_default="unchecked"
    )
    duplication_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Checker's verdict per identifier: {"mobile": {"status": "approved"}, "aadhaar":
    # {"status": "rejected", "remark": "R03"}}.
    verification: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    status: Mapped[str] = mapped_column(String(12), default="new")
    version: Mapped[int] = mapped_column(BigInteger, default=1)
    submission_id: Mapped[uuid.UUID | None] = mapped_column()
    # Changes to an approved member wait here until approved.
    draft: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    migrated: Mapped[bool] = mapped_column(Boolean, default=False)
    approved_on: Mapped[date | None] = mapped_column(Date)
    approved_by: Mapped[str] = mapped_column(String(64), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    __table_args__ = (
        Index("ix_member_shg", "shg_id", "status"),
        Index("ix_member_block", "block_lgd_code", "status", "created_at"),
    )


class MembershipHistory(ProfilesBase):
    """Which SHG a member belonged to, when: one open row per member."""

    __tablename__ = "membership"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("member.id"))
    shg_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cbo.id"))
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index(
            "uq_membership_open",
            "member_id",
            unique=True,
            postgresql_where=text("valid_to IS NULL"),
        ),
    )


class FederationLink(ProfilesBase):
    """SHG → VO and VO → CLF, with history (a move closes the old link)."""

    __tablename__ = "federation_link"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cbo.id"))
    parent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cbo.id"))
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    linked_by: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index(
            "uq_federation_open", "child_id", unique=True, postgresql_where=text("valid_to IS NULL")
        ),
        Index("ix_federation_parent", "parent_id", "valid_to"),
    )


class Submission(ProfilesBase):
    """One maker → checker round trip; its id is the reference the maker is given."""

    __tablename__ = "submission"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    entity_type: Mapped[str] = mapped_column(String(8))  # shg, vo, clf, member
    entity_id: Mapped[uuid.UUID] = mapped_column()
    block_lgd_code: Mapped[str] = mapped_column(String(16))
    # pending → approved | rejected
    status: Mapped[str] = mapped_column(String(12), default="pending")
    maker: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    checker: Mapped[str] = mapped_column(String(64), default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Remark codes from the master list, and the checker's per-identifier verdicts.
    remarks: Mapped[list[Any]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    request_id: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (
        Index("ix_submission_entity", "entity_type", "entity_id", "submitted_at"),
        # My Task: pending work in a block, oldest first.
        Index(
            "ix_submission_pending",
            "block_lgd_code",
            "entity_type",
            "submitted_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )


class CodeCounter(ProfilesBase):
    """Next serial number per code prefix (codes are issued on activation)."""

    __tablename__ = "code_counter"

    prefix: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_value: Mapped[int] = mapped_column(Integer, default=1)


class ShgTypeRule(ProfilesBase):
    """Per-state member limits by SHG type (DOMAIN: approval needs at least 5 by default)."""

    __tablename__ = "shg_type_rule"

    state: Mapped[str] = mapped_column(String(16), primary_key=True)
    shg_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    min_members: Mapped[int] = mapped_column(Integer, default=5)
    max_members: Mapped[int] = mapped_column(Integer, default=20)


class ImportBatch(ProfilesBase):
    """One CSV import (geography or migration). ``import_key`` makes a re-run a no-op."""

    __tablename__ = "import_batch"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(16))  # geography, migration
    import_key: Mapped[str] = mapped_column(String(128), unique=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16))  # imported, rejected
    rows: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
