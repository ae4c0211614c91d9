"""consents for member-level data (DEPA-style artefacts)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consent",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("shg_id", sa.String(length=36), nullable=False),
        sa.Column("block_lgd_code", sa.String(length=16), nullable=False),
        sa.Column("purpose_code", sa.String(length=16), nullable=False),
        sa.Column("purpose_text", sa.String(length=256), nullable=False),
        sa.Column("data_scope", sa.ARRAY(sa.String(length=24)), nullable=False),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("otp_hash", sa.String(length=64), nullable=False),
        sa.Column("otp_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("otp_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("otp_attempts", sa.Integer(), nullable=False),
        sa.Column("captured_by", sa.String(length=80), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=80), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    op.create_index("ix_consent_member", "consent", ["member_id"], unique=False)
    op.create_index("ix_consent_block", "consent", ["state", "block_lgd_code"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_consent_block", table_name="consent")
    op.drop_index("ix_consent_member", table_name="consent")
    op.drop_table("consent")
