"""lockouts in a row (growing lock) and ended sessions (logout refuses their access tokens)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 14:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "app_user", sa.Column("lockouts", sa.Integer(), server_default="0", nullable=False)
    )
    op.create_table(
        "ended_session",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=48), nullable=False),
        sa.Column(
            "ended_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.user_id"], name=op.f("fk_ended_session_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_ended_session")),
    )
    op.create_index(op.f("ix_ended_session_user_id"), "ended_session", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ended_session_user_id"), table_name="ended_session")
    op.drop_table("ended_session")
    op.drop_column("app_user", "lockouts")
