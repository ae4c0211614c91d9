"""Read models of the reports database, maintained only by event consumers."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lokos.consumer import inbox_table
from lokos.db import new_metadata


class ReportsBase(DeclarativeBase):
    metadata = new_metadata()


metadata = ReportsBase.metadata
inbox = inbox_table(metadata)


class ShgCount(ReportsBase):
    """SHGs formed per block: the dashboard's "SHGs information" counts."""

    __tablename__ = "shg_count"

    state: Mapped[str] = mapped_column(String(16), primary_key=True)
    district_lgd_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    block_lgd_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    shgs_formed: Mapped[int] = mapped_column(BigInteger, default=0)


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
