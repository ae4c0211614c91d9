"""Read models of the reports database, maintained only by event consumers.

Rows copied from events (``cbo``, ``member``, ``meeting``, ``loan_position``, ``app_user``,
``user_cbo``) are snapshots, last event wins. From them the consumer recomputes, for the SHGs
and blocks an event batch touched, ``shg_stats`` (one row per SHG: the dashboard's numbers of
that SHG) and ``block_rollup`` (the sums of a block per month of formation), so that a
dashboard of a whole state reads a few thousand rollup rows, never crores of members.
``applied`` records per source the last event applied: the reports' "as of" and lag.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lokos.consumer import inbox_table
from lokos.db import new_metadata


class ReportsBase(DeclarativeBase):
    metadata = new_metadata()


metadata = ReportsBase.metadata
inbox = inbox_table(metadata)

_CODE = String(16)
_ID = String(64)

# Free room (percent filled) in the pages of tables every batch updates in place: an update
# then stays in its page without touching the indexes (HOT). Set by migration 0005 and by a
# rebuild on its fresh tables; SQLAlchemy's table options cannot say it.
FILLFACTOR = {"shg_stats": 85, "block_rollup": 70, "district_rollup": 70}


class Cbo(ReportsBase):
    """An SHG, VO or CLF as its last profiles event left it."""

    __tablename__ = "cbo"
    __table_args__ = (
        Index("ix_cbo_block", "state", "block_lgd_code", "cbo_type"),
        Index("ix_cbo_parent", "parent_id"),
    )

    cbo_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    cbo_type: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(_CODE)
    district_lgd_code: Mapped[str] = mapped_column(_CODE)
    block_lgd_code: Mapped[str] = mapped_column(_CODE)
    code: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    migrated: Mapped[bool] = mapped_column(Boolean, default=False)
    has_bank_account: Mapped[bool] = mapped_column(Boolean, default=False)
    formed_on: Mapped[date] = mapped_column(Date)
    # The open federation link: the VO of an SHG, the CLF of a VO.
    parent_id: Mapped[str] = mapped_column(_ID, default="")
    # The stream sequence of the event that last wrote the row: an event not newer changes
    # nothing (the consumer keeps these events out of its inbox).
    seq: Mapped[int] = mapped_column(BigInteger, server_default=text("0"), default=0)


class Member(ReportsBase):
    __tablename__ = "member"
    __table_args__ = (Index("ix_member_shg", "shg_id"),)

    member_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    shg_id: Mapped[str] = mapped_column(_ID)
    social_category: Mapped[str] = mapped_column(String(8), default="")
    status: Mapped[str] = mapped_column(String(16))
    # The stream sequence of the event that last wrote the row: an event not newer changes
    # nothing (the consumer keeps these events out of its inbox).
    seq: Mapped[int] = mapped_column(BigInteger, server_default=text("0"), default=0)


class Meeting(ReportsBase):
    """A meeting of a CBO's books, by number; a rejected and re-entered meeting keeps its
    number, so the row carries the last attempt's status."""

    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_block", "block_lgd_code", "cbo_type"),)

    cbo_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    cbo_type: Mapped[str] = mapped_column(String(8))
    district_lgd_code: Mapped[str] = mapped_column(_CODE)
    block_lgd_code: Mapped[str] = mapped_column(_CODE)
    held_on: Mapped[date] = mapped_column(Date)
    # CLOSED (waiting for the approver), APPROVED, REJECTED (back with the bookkeeper).
    status: Mapped[str] = mapped_column(String(16))
    compulsory: Mapped[int] = mapped_column(BigInteger, default=0)
    voluntary: Mapped[int] = mapped_column(BigInteger, default=0)
    loans_outstanding: Mapped[int] = mapped_column(BigInteger, default=0)
    maker: Mapped[str] = mapped_column(String(64), default="")
    checker: Mapped[str] = mapped_column(String(64), default="")
    # How often the approver sent this meeting back.
    rejections: Mapped[int] = mapped_column(Integer, default=0)
    # When the meeting was last closed (entered) and last decided: the bookkeeper's month.
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CutOff(ReportsBase):
    __tablename__ = "cutoff"

    cbo_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    cutoff_date: Mapped[date] = mapped_column(Date)
    total_assets: Mapped[int] = mapped_column(BigInteger, default=0)
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoanPosition(ReportsBase):
    """A loan as a closed meeting left it (paise); a rejected meeting's rows are removed, and
    only the rows of approved meetings count in the loan reports."""

    __tablename__ = "loan_position"
    __table_args__ = (Index("ix_loan_position_cbo", "cbo_id", "meeting_number"),)

    loan_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    meeting_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    cbo_id: Mapped[str] = mapped_column(_ID)
    member_id: Mapped[str] = mapped_column(_ID, default="")
    source: Mapped[str] = mapped_column(String(16), default="")
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    outstanding_principal: Mapped[int] = mapped_column(BigInteger, default=0)
    due_principal: Mapped[int] = mapped_column(BigInteger, default=0)
    due_interest: Mapped[int] = mapped_column(BigInteger, default=0)
    collected_principal: Mapped[int] = mapped_column(BigInteger, default=0)
    collected_interest: Mapped[int] = mapped_column(BigInteger, default=0)
    overdue_principal: Mapped[int] = mapped_column(BigInteger, default=0)
    overdue_interest: Mapped[int] = mapped_column(BigInteger, default=0)
    days_overdue: Mapped[int] = mapped_column(Integer, default=0)


class AppUser(ReportsBase):
    __tablename__ = "app_user"
    __table_args__ = (Index("ix_app_user_state", "state"),)

    user_id: Mapped[str] = mapped_column(String(48), primary_key=True)
    state: Mapped[str] = mapped_column(_CODE)
    category: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    district_lgd_code: Mapped[str] = mapped_column(_CODE, default="")
    block_lgd_code: Mapped[str] = mapped_column(_CODE, default="")
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    # Districts and blocks of the user's role scopes (for the caller's reach).
    districts: Mapped[list[str]] = mapped_column(ARRAY(String(16)), default=list)
    blocks: Mapped[list[str]] = mapped_column(ARRAY(String(16)), default=list)
    last_login: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The stream sequence of the event that last wrote the row: an event not newer changes
    # nothing (the consumer keeps these events out of its inbox).
    seq: Mapped[int] = mapped_column(BigInteger, server_default=text("0"), default=0)


class UserCbo(ReportsBase):
    __tablename__ = "user_cbo"
    __table_args__ = (Index("ix_user_cbo_cbo", "cbo_id"),)

    user_id: Mapped[str] = mapped_column(String(48), primary_key=True)
    cbo_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    cbo_type: Mapped[str] = mapped_column(String(8))


class ShgStats(ReportsBase):
    """One SHG's contribution to the dashboard, recomputed when one of its events arrives."""

    __tablename__ = "shg_stats"
    __table_args__ = (
        Index("ix_shg_stats_block", "block_lgd_code", "shg_id"),
        Index("ix_shg_stats_vo", "vo_id"),
        Index("ix_shg_stats_clf", "clf_id"),
        # SHGs without a bank account by date of formation: the boundary months of the bank
        # status panel.
        Index(
            "ix_shg_stats_no_bank",
            "state",
            "formed_on",
            postgresql_where=text("NOT has_bank_account"),
        ),
    )

    shg_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    state: Mapped[str] = mapped_column(_CODE)
    district_lgd_code: Mapped[str] = mapped_column(_CODE)
    block_lgd_code: Mapped[str] = mapped_column(_CODE)
    vo_id: Mapped[str] = mapped_column(_ID, default="")
    clf_id: Mapped[str] = mapped_column(_ID, default="")
    formed_on: Mapped[date] = mapped_column(Date)
    has_bank_account: Mapped[bool] = mapped_column(Boolean)
    members: Mapped[int] = mapped_column(Integer, default=0)
    sc: Mapped[int] = mapped_column(Integer, default=0)
    st: Mapped[int] = mapped_column(Integer, default=0)
    obc: Mapped[int] = mapped_column(Integer, default=0)
    general: Mapped[int] = mapped_column(Integer, default=0)
    other: Mapped[int] = mapped_column(Integer, default=0)
    has_transactions: Mapped[bool] = mapped_column(Boolean, default=False)
    compulsory: Mapped[int] = mapped_column(BigInteger, default=0)
    voluntary: Mapped[int] = mapped_column(BigInteger, default=0)
    loan_outstanding: Mapped[int] = mapped_column(BigInteger, default=0)


class BlockRollup(ReportsBase):
    """The sums of a block's SHGs formed in one month: a state's dashboard in a few thousand
    rows. SHGs without a bank account are split by month of formation so that "> 3 months
    without" needs only the boundary month from ``shg_stats``."""

    __tablename__ = "block_rollup"

    state: Mapped[str] = mapped_column(_CODE, primary_key=True)
    district_lgd_code: Mapped[str] = mapped_column(_CODE, primary_key=True)
    block_lgd_code: Mapped[str] = mapped_column(_CODE, primary_key=True)
    formed_month: Mapped[date] = mapped_column(Date, primary_key=True)
    shgs: Mapped[int] = mapped_column(BigInteger, default=0)
    members: Mapped[int] = mapped_column(BigInteger, default=0)
    sc: Mapped[int] = mapped_column(BigInteger, default=0)
    st: Mapped[int] = mapped_column(BigInteger, default=0)
    obc: Mapped[int] = mapped_column(BigInteger, default=0)
    general: Mapped[int] = mapped_column(BigInteger, default=0)
    other: Mapped[int] = mapped_column(BigInteger, default=0)
    with_bank: Mapped[int] = mapped_column(BigInteger, default=0)
    with_transactions: Mapped[int] = mapped_column(BigInteger, default=0)
    compulsory: Mapped[int] = mapped_column(BigInteger, default=0)
    voluntary: Mapped[int] = mapped_column(BigInteger, default=0)
    loan_outstanding: Mapped[int] = mapped_column(BigInteger, default=0)


# The sums a block rollup keeps (and a district rollup, and what a state sends the nation).
ROLLUP_SUMS = (
    "shgs",
    "members",
    "sc",
    "st",
    "obc",
    "general",
    "other",
    "with_bank",
    "with_transactions",
    "compulsory",
    "voluntary",
    "loan_outstanding",
)


class DistrictRollup(ReportsBase):
    """The block rollups summed per district: a state's dashboard reads districts × months."""

    __tablename__ = "district_rollup"

    state: Mapped[str] = mapped_column(_CODE, primary_key=True)
    district_lgd_code: Mapped[str] = mapped_column(_CODE, primary_key=True)
    formed_month: Mapped[date] = mapped_column(Date, primary_key=True)
    shgs: Mapped[int] = mapped_column(BigInteger, default=0)
    members: Mapped[int] = mapped_column(BigInteger, default=0)
    sc: Mapped[int] = mapped_column(BigInteger, default=0)
    st: Mapped[int] = mapped_column(BigInteger, default=0)
    obc: Mapped[int] = mapped_column(BigInteger, default=0)
    general: Mapped[int] = mapped_column(BigInteger, default=0)
    other: Mapped[int] = mapped_column(BigInteger, default=0)
    with_bank: Mapped[int] = mapped_column(BigInteger, default=0)
    with_transactions: Mapped[int] = mapped_column(BigInteger, default=0)
    compulsory: Mapped[int] = mapped_column(BigInteger, default=0)
    voluntary: Mapped[int] = mapped_column(BigInteger, default=0)
    loan_outstanding: Mapped[int] = mapped_column(BigInteger, default=0)


class Applied(ReportsBase):
    """Per source service, the last event applied to the read models and what still waits."""

    __tablename__ = "applied"

    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_event_id: Mapped[str] = mapped_column(String(36))
    last_event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    pending: Mapped[int] = mapped_column(BigInteger, default=0)


class AreaMonth(ReportsBase):
    """Per block and month: what the external aggregates API serves (R1, R3, R5 columns the
    events carry). Money in paise. Fed by ``services.reports.aggregates``."""

    __tablename__ = "area_month"

    state: Mapped[str] = mapped_column(String(16), primary_key=True)
    district_lgd_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    block_lgd_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    # "YYYY-MM"
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    shgs_formed: Mapped[int] = mapped_column(BigInteger, default=0)
    members_sc: Mapped[int] = mapped_column(BigInteger, default=0)
    members_st: Mapped[int] = mapped_column(BigInteger, default=0)
    members_obc: Mapped[int] = mapped_column(BigInteger, default=0)
    members_general: Mapped[int] = mapped_column(BigInteger, default=0)
    members_other: Mapped[int] = mapped_column(BigInteger, default=0)
    meetings_approved: Mapped[int] = mapped_column(BigInteger, default=0)
    savings: Mapped[int] = mapped_column(BigInteger, default=0)
    loans_disbursed: Mapped[int] = mapped_column(BigInteger, default=0)
    principal_repaid: Mapped[int] = mapped_column(BigInteger, default=0)
    interest_repaid: Mapped[int] = mapped_column(BigInteger, default=0)


class CountedMember(ReportsBase):
    """Members already counted in ``area_month`` (a member is approved again after edits)."""

    __tablename__ = "counted_member"

    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class NationalBlockAggregate(ReportsBase):
    """The national instance's copy of one state's block numbers for one period, as the
    state last published them (services/reports/national.py). Counts only."""

    __tablename__ = "national_block_aggregate"

    state: Mapped[str] = mapped_column(String(16), primary_key=True)
    block_lgd_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    district_lgd_code: Mapped[str] = mapped_column(String(16))
    metrics: Mapped[dict[str, int]] = mapped_column(JSONB)
    # When the state computed them: a copy older than the stored one is ignored.
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
