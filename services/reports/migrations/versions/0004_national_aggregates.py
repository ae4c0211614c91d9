"""national aggregates: the national instance's copy of each state's block numbers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "national_block_aggregate",
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("block_lgd_code", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("district_lgd_code", sa.String(length=16), nullable=False),
        sa.Column("metrics", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "state", "block_lgd_code", "period", name=op.f("pk_national_block_aggregate")
        ),
    )


def downgrade() -> None:
    op.drop_table("national_block_aggregate")
