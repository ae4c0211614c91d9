"""create fingerprint of CBOs and members (a client id repeated with another request is refused)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 14:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("cbo", "member"):
        op.add_column(
            table,
            sa.Column(
                "create_fingerprint", sa.String(length=64), server_default="", nullable=False
            ),
        )


def downgrade() -> None:
    for table in ("member", "cbo"):
        op.drop_column(table, "create_fingerprint")
