"""The SHG's loans from its bank (G1–G8): sanctions and the bank's own dated lines

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 20:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_loan",
        sa.Column("cbo_id", sa.UUID(), nullable=False),
        sa.Column("loan_account", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("facility", sa.String(length=2), nullable=False),
        sa.Column("sb_account", sa.String(length=64), nullable=False),
        sa.Column("sanctioned_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("drawing_power", sa.BigInteger(), nullable=False),
        sa.Column("rate", sa.Integer(), nullable=False),
        sa.Column("instalments", sa.Integer(), nullable=False),
        sa.Column("instalment_amount", sa.BigInteger(), nullable=False),
        sa.Column("frequency", sa.String(length=1), nullable=False),
        sa.Column("first_due_on", sa.Date(), nullable=True),
        sa.Column("moratorium_months", sa.Integer(), nullable=False),
        sa.Column("ifsc", sa.String(length=11), nullable=False),
        sa.Column("capital_subsidy", sa.Boolean(), nullable=False),
        sa.Column("sb_opened_on", sa.Date(), nullable=True),
        sa.Column("pin", sa.String(length=6), nullable=False),
        sa.Column("maker", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["cbo_id"], ["book.cbo_id"], name=op.f("fk_bank_loan_cbo_id_book"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("cbo_id", "loan_account", name=op.f("pk_bank_loan")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_bank_loan_positive")),
    )
    op.create_index("uq_bank_loan_client", "bank_loan", ["cbo_id", "client_id"], unique=True)
    op.create_table(
        "bank_loan_line",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("cbo_id", sa.UUID(), nullable=False),
        sa.Column("loan_account", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),  # DISBURSAL, REPAYMENT
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("particulars", sa.String(length=100), nullable=False),
        sa.Column("principal", sa.BigInteger(), nullable=False),
        sa.Column("interest", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("maker", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["cbo_id", "loan_account"],
            ["bank_loan.cbo_id", "bank_loan.loan_account"],
            name=op.f("fk_bank_loan_line_cbo_id_bank_loan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_loan_line")),
    )
    op.create_index(
        "uq_bank_loan_line_client", "bank_loan_line", ["cbo_id", "client_id"], unique=True
    )
    op.create_index("ix_bank_loan_line_loan", "bank_loan_line", ["cbo_id", "loan_account", "on"])


def downgrade() -> None:
    op.drop_table("bank_loan_line")
    op.drop_table("bank_loan")
