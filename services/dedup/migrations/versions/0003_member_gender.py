"""member gender in the index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Unknown ("") for members indexed before: the next event or check fills it in.
    op.add_column(
        "member_index",
        sa.Column("gender", sa.String(length=1), server_default=sa.text("''"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("member_index", "gender")
