"""stream sequence on snapshot rows; room for in-place updates of the counted tables

The consumer leaves profiles and identity events out of its inbox: each row they write keeps
the stream sequence of the event that wrote it (``seq``), and an event not newer than the row
changes nothing (services/reports/ingest.py). Existing rows get 0, so any event applies to them.

``shg_stats`` and the rollups are updated in place by every batch; free room in their pages
lets PostgreSQL update a row where it lies without touching the indexes (HOT), the columns
updated being in none of them. Only pages written from now on get the room.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEQUENCED = ("cbo", "member", "app_user")
# As services.reports.models.FILLFACTOR says.
_FILLFACTOR = {"shg_stats": 85, "block_rollup": 70, "district_rollup": 70}


def upgrade() -> None:
    for table in _SEQUENCED:
        op.add_column(table, sa.Column("seq", sa.BigInteger(), server_default="0", nullable=False))
    for table, percent in _FILLFACTOR.items():
        op.execute(f"ALTER TABLE {table} SET (fillfactor = {percent})")


def downgrade() -> None:
    for table in _FILLFACTOR:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
    for table in _SEQUENCED:
        op.drop_column(table, "seq")
