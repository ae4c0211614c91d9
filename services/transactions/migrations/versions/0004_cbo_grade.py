"""Panchasutra grades as computed from the books, with the values used (K1–K3)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 19:45:00.000000
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
        "cbo_grade",
        sa.Column("grade_id", sa.UUID(), nullable=False),
        sa.Column("cbo_id", sa.UUID(), nullable=False),
        sa.Column("cbo_type", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("score", sa.String(length=16), nullable=False),
        sa.Column("grade", sa.String(length=4), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("indicators", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("policy", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "computed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("computed_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("grade_id", name=op.f("pk_cbo_grade")),
    )
    op.create_index("ix_cbo_grade_cbo_period", "cbo_grade", ["cbo_id", "period_end"])


def downgrade() -> None:
    op.drop_index("ix_cbo_grade_cbo_period", table_name="cbo_grade")
    op.drop_table("cbo_grade")
