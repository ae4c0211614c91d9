"""a member leaves her SHG: the last day she is a member and why (approved like any change)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("member", sa.Column("left_on", sa.Date(), nullable=True))
    op.add_column(
        "member",
        sa.Column("leaving_reason", sa.String(length=16), server_default="", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("member", "leaving_reason")
    op.drop_column("member", "left_on")
