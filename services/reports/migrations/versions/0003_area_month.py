"""area_month and counted_member: the external aggregates read model

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTS = (
    "shgs_formed",
    "members_sc",
    "members_st",
    "members_obc",
    "members_general",
    "members_other",
    "meetings_approved",
    "savings",
    "loans_disbursed",
    "principal_repaid",
    "interest_repaid",
)


def upgrade() -> None:
    op.create_table(
        "area_month",
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("district_lgd_code", sa.String(length=16), nullable=False),
        sa.Column("block_lgd_code", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in _COUNTS),
        sa.PrimaryKeyConstraint(
            "state", "district_lgd_code", "block_lgd_code", "period", name=op.f("pk_area_month")
        ),
    )
    op.create_table(
        "counted_member",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_counted_member")),
    )


def downgrade() -> None:
    op.drop_table("counted_member")
    op.drop_table("area_month")
