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
