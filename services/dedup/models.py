"""Tables of the dedup database.

The index keeps keyed hashes of identifiers only, as ``uuid`` columns: the first 128 bits
of profiles' HMAC-SHA256 (collisions are out of reach at crore scale, and a 16-byte fixed
type makes the four identifier indexes half the size of hex text and fast to compare).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    Index,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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

_IDENTIFIERS = ("aadhaar", "bank_account", "voter_id", "mobile")


class MemberIndex(DedupBase):
    """What de-duplication knows of a member: where she is, her names, her identifiers'
    keyed hashes, and the result of her last check."""

    __tablename__ = "member_index"

    member_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), default="", server_default=text("''"))
    shg_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    state: Mapped[str] = mapped_column(String(16))
    district_lgd_code: Mapped[str] = mapped_column(
        String(16), default="", server_default=text("''")
    )
    block_lgd_code: Mapped[str] = mapped_column(String(16), default="", server_default=text("''"))
    panchayat_lgd_code: Mapped[str] = mapped_column(
        String(16), default="", server_default=text("''")
    )
    village_lgd_code: Mapped[str] = mapped_column(String(16), default="", server_default=text("''"))
    name: Mapped[str] = mapped_column(String(200), default="", server_default=text("''"))
    relative_name: Mapped[str] = mapped_column(String(200), default="", server_default=text("''"))
    household_code: Mapped[str] = mapped_column(String(32), default="", server_default=text("''"))
    name_keys: Mapped[list[str]] = mapped_column(
        ARRAY(Text), default=list, server_default=text("'{}'")
    )
    status: Mapped[str] = mapped_column(String(12), default="new", server_default=text("'new'"))
    migrated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Counts as "another active member" for the identifier rules.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    version: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    aadhaar: Mapped[uuid.UUID | None] = mapped_column(UUID)
    bank_account: Mapped[uuid.UUID | None] = mapped_column(UUID)
    voter_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    mobile: Mapped[uuid.UUID | None] = mapped_column(UUID)
    # Digest of the names and identifiers: a "not a duplicate" decision holds while both
    # records' fingerprints stay what they were.
    fingerprint: Mapped[uuid.UUID | None] = mapped_column(UUID)
    # F, M, T or "" (unknown): records of different genders are never name duplicates.
    gender: Mapped[str] = mapped_column(String(1), default="", server_default=text("''"))
    dup_status: Mapped[str] = mapped_column(
        String(12), default="unchecked", server_default=text("'unchecked'")
    )
    status_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        *(
            Index(f"ix_member_index_{c}", c, postgresql_where=text(f"{c} IS NOT NULL"))
            for c in _IDENTIFIERS
        ),
        Index("ix_member_index_block", "state", "block_lgd_code", "status"),
        Index("ix_member_index_shg", "shg_id"),
    )


class MemberNameKey(DedupBase):
    """Blocking keys: a member's phonetic name keys within her panchayat."""

    __tablename__ = "member_name_key"

    panchayat_lgd_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(16), primary_key=True)
    member_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)


class DuplicateMatch(DedupBase):
    """The duplicates a member's last check found."""

    __tablename__ = "duplicate_match"

    member_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    other_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    rules: Mapped[list[str]] = mapped_column(ARRAY(Text))
    name_score: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0.0"))
    relative_score: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0.0"))
    found_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("ix_duplicate_match_other", "other_id"),)


class PairDecision(DedupBase):
    """The Block Program Manager's word on a pair (ids ordered low, high)."""

    __tablename__ = "pair_decision"

    member_low: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    member_high: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500), default="", server_default=text("''"))
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    fingerprint_low: Mapped[uuid.UUID | None] = mapped_column(UUID)
    fingerprint_high: Mapped[uuid.UUID | None] = mapped_column(UUID)


class ShgIndex(DedupBase):
    """SHGs, for the SHG duplicate flag (a similar name in the same village, shared members)."""

    __tablename__ = "shg_index"

    shg_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), default="", server_default=text("''"))
    state: Mapped[str] = mapped_column(String(16))
    block_lgd_code: Mapped[str] = mapped_column(String(16), default="", server_default=text("''"))
    village_lgd_code: Mapped[str] = mapped_column(String(16), default="", server_default=text("''"))
    name: Mapped[str] = mapped_column(String(200), default="", server_default=text("''"))
    name_folded: Mapped[str] = mapped_column(String(200), default="", server_default=text("''"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    version: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    reasons: Mapped[list[str]] = mapped_column(
        ARRAY(Text), default=list, server_default=text("'{}'")
    )
    flag_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))

    __table_args__ = (Index("ix_shg_index_village", "state", "village_lgd_code"),)


class RefreshJob(DedupBase):
    """A "Refresh Duplicate" run over a block's pending members."""

    __tablename__ = "refresh_job"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    state: Mapped[str] = mapped_column(String(16))
    block_lgd_code: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(
        String(12), default="queued", server_default=text("'queued'")
    )
    total: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    done: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    confirmed: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    potential: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    requested_by: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(String(64), default="", server_default=text("''"))
    requested_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str] = mapped_column(String(500), default="", server_default=text("''"))

    __table_args__ = (
        # One running refresh per block: asking again returns it.
        Index(
            "uq_refresh_job_running",
            "state",
            "block_lgd_code",
            unique=True,
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )


class DedupRule(DedupBase):
    """A state's rule, as data (defaults in :mod:`services.dedup.rules` until set)."""

    __tablename__ = "dedup_rule"

    state: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    name_threshold: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0.0"))
    relative_threshold: Mapped[float] = mapped_column(
        Float, default=0.0, server_default=text("0.0")
    )
    within: Mapped[str] = mapped_column(String(12), default="", server_default=text("''"))
    exempt_same_household: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    updated_by: Mapped[str] = mapped_column(String(64), default="", server_default=text("''"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
