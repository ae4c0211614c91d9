"""Read models of the reports database, maintained only by event consumers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, String
from sqlalchemy.dialects.postgresql import JSONB
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
