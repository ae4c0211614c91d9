"""registered API clients (departments, banks) and the log of their calls

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


def upgrade() -> None:
    op.create_table(
        "api_client",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("realm", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("scopes", sa.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("secret_rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=False),
        sa.Column("rate_per_minute", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_api_client")),
    )
    op.create_table(
        "api_call",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("consent_id", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_call")),
    )
    op.create_index("ix_api_call_client", "api_call", ["client_id", "at"], unique=False)
    op.create_index(
        "ix_api_call_consent",
        "api_call",
        ["consent_id", "at"],
        unique=False,
        postgresql_where=sa.text("consent_id <> ''"),
    )


def downgrade() -> None:
    op.drop_index("ix_api_call_consent", table_name="api_call")
    op.drop_index("ix_api_call_client", table_name="api_call")
    op.drop_table("api_call")
    op.drop_table("api_client")
