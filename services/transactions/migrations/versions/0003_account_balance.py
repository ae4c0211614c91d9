"""running balance per account, kept by statement triggers on posting; reversal entries;
the CBO's formation date (C1)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cbo", sa.Column("formed_on", sa.Date(), nullable=True))
    op.add_column(
        "member",
        sa.Column("left_shg", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column("journal_entry", sa.Column("reverses", sa.BigInteger(), nullable=True))
    op.create_unique_constraint(op.f("uq_journal_entry_reverses"), "journal_entry", ["reverses"])
    op.create_table(
        "account_balance",
        sa.Column("cbo_id", sa.UUID(), nullable=False),
        sa.Column("head", sa.String(length=32), nullable=False),
        sa.Column("sub", sa.String(length=64), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("cbo_id", "head", "sub", name=op.f("pk_account_balance")),
    )
    # Statement-level triggers with transition tables: one grouped upsert per COPY or DELETE
    # (cascades from journal_entry included), whatever path wrote the postings.
    for statement in _UP:
        op.execute(statement)


_UP = (
    """
    CREATE FUNCTION account_balance_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO account_balance (cbo_id, head, sub, balance)
        SELECT cbo_id, head, sub, sum(amount) FROM changed GROUP BY cbo_id, head, sub
        ORDER BY cbo_id, head, sub
        ON CONFLICT (cbo_id, head, sub)
        DO UPDATE SET balance = account_balance.balance + EXCLUDED.balance;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION account_balance_remove() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE account_balance a SET balance = a.balance - g.total
        FROM (SELECT cbo_id, head, sub, sum(amount) AS total FROM changed
              GROUP BY cbo_id, head, sub) g
        WHERE a.cbo_id = g.cbo_id AND a.head = g.head AND a.sub = g.sub;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER posting_balance_insert AFTER INSERT ON posting
        REFERENCING NEW TABLE AS changed
        FOR EACH STATEMENT EXECUTE FUNCTION account_balance_add()
    """,
    """
    CREATE TRIGGER posting_balance_delete AFTER DELETE ON posting
        REFERENCING OLD TABLE AS changed
        FOR EACH STATEMENT EXECUTE FUNCTION account_balance_remove()
    """,
    """
    CREATE TRIGGER posting_balance_update_old AFTER UPDATE ON posting
        REFERENCING OLD TABLE AS changed
        FOR EACH STATEMENT EXECUTE FUNCTION account_balance_remove()
    """,
    """
    CREATE TRIGGER posting_balance_update_new AFTER UPDATE ON posting
        REFERENCING NEW TABLE AS changed
        FOR EACH STATEMENT EXECUTE FUNCTION account_balance_add()
    """,
    """
    INSERT INTO account_balance (cbo_id, head, sub, balance)
        SELECT cbo_id, head, sub, sum(amount) FROM posting GROUP BY cbo_id, head, sub
    """,
)


def downgrade() -> None:
    for statement in (
        "DROP TRIGGER posting_balance_update_new ON posting",
        "DROP TRIGGER posting_balance_update_old ON posting",
        "DROP TRIGGER posting_balance_delete ON posting",
        "DROP TRIGGER posting_balance_insert ON posting",
        "DROP FUNCTION account_balance_remove()",
        "DROP FUNCTION account_balance_add()",
    ):
        op.execute(statement)
    op.drop_table("account_balance")
    op.drop_constraint(op.f("uq_journal_entry_reverses"), "journal_entry", type_="unique")
    op.drop_column("journal_entry", "reverses")
    op.drop_column("member", "left_shg")
    op.drop_column("cbo", "formed_on")
