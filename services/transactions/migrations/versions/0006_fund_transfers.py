"""Community-fund transfers between the books (F1–F5): one row per movement, both books' entries

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    empty = sa.text("''")
    op.create_table(
        "fund_transfer",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("movement", sa.String(length=16), nullable=False),
        sa.Column("fund", sa.String(length=16), nullable=False),
        sa.Column("giver_id", sa.UUID(), nullable=True),
        sa.Column("giver_tier", sa.String(length=8), nullable=False),
        sa.Column("receiver_id", sa.UUID(), nullable=False),
        sa.Column("receiver_tier", sa.String(length=8), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("principal", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("interest", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("giver_account", sa.String(length=64), server_default=empty, nullable=False),
        sa.Column("transfer_date", sa.Date(), nullable=False),
        sa.Column("reference", sa.Text(), server_default=empty, nullable=False),
        sa.Column("loan_id", sa.String(length=64), server_default=empty, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("confirmed_amount", sa.BigInteger(), nullable=True),
        sa.Column("confirmed_on", sa.Date(), nullable=True),
        sa.Column("confirmed_by", sa.String(length=64), server_default=empty, nullable=False),
        sa.Column("matched", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("giver_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("receiver_entry_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "undo",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("maker", sa.String(length=64), nullable=False),
        sa.Column("checker", sa.String(length=64), server_default=empty, nullable=False),
        sa.Column("remarks", sa.Text(), server_default=empty, nullable=False),
        sa.Column("block_lgd_code", sa.String(length=16), server_default=empty, nullable=False),
        sa.Column("district_lgd_code", sa.String(length=16), server_default=empty, nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["giver_entry_id"],
            ["journal_entry.id"],
            name=op.f("fk_fund_transfer_giver_entry_id_journal_entry"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["receiver_entry_id"],
            ["journal_entry.id"],
            name=op.f("fk_fund_transfer_receiver_entry_id_journal_entry"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_transfer")),
    )
    op.create_index("uq_fund_transfer_client", "fund_transfer", ["client_id"], unique=True)
    op.create_index("ix_fund_transfer_giver", "fund_transfer", ["giver_id"])
    op.create_index("ix_fund_transfer_receiver", "fund_transfer", ["receiver_id", "loan_id"])
    op.create_index(
        "ix_fund_transfer_open",
        "fund_transfer",
        ["state", "block_lgd_code", "transfer_date"],
        postgresql_where=sa.text("NOT matched AND status <> 'REJECTED'"),
    )


def downgrade() -> None:
    op.drop_index("ix_fund_transfer_open", table_name="fund_transfer")
    op.drop_index("ix_fund_transfer_receiver", table_name="fund_transfer")
    op.drop_index("ix_fund_transfer_giver", table_name="fund_transfer")
    op.drop_index("uq_fund_transfer_client", table_name="fund_transfer")
    op.drop_table("fund_transfer")
