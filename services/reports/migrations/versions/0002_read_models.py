"""read models of profiles, identity and transactions events; rollups; freshness

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _big(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.BigInteger(), nullable=False)


def _int(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Integer(), nullable=False)


_ROLLUP = (
    "shgs",
    "members",
    "sc",
    "st",
    "obc",
    "general",
    "other",
    "with_bank",
    "with_transactions",
    "compulsory",
    "voluntary",
    "loan_outstanding",
)


def upgrade() -> None:
    # The SHG counts of the first dashboard are rebuilt from the stream into the rollups.
    op.drop_table("shg_count")
    op.create_table(
        "cbo",
        sa.Column("cbo_id", sa.String(64), nullable=False),
        sa.Column("cbo_type", sa.String(8), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("district_lgd_code", sa.String(16), nullable=False),
        sa.Column("block_lgd_code", sa.String(16), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("migrated", sa.Boolean(), nullable=False),
        sa.Column("has_bank_account", sa.Boolean(), nullable=False),
        sa.Column("formed_on", sa.Date(), nullable=False),
        sa.Column("parent_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("cbo_id", name=op.f("pk_cbo")),
    )
    op.create_index("ix_cbo_block", "cbo", ["state", "block_lgd_code", "cbo_type"])
    op.create_index("ix_cbo_parent", "cbo", ["parent_id"])
    op.create_table(
        "member",
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("shg_id", sa.String(64), nullable=False),
        sa.Column("social_category", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member")),
    )
    op.create_index("ix_member_shg", "member", ["shg_id"])
    op.create_table(
        "meeting",
        sa.Column("cbo_id", sa.String(64), nullable=False),
        _int("number"),
        sa.Column("cbo_type", sa.String(8), nullable=False),
        sa.Column("district_lgd_code", sa.String(16), nullable=False),
        sa.Column("block_lgd_code", sa.String(16), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _big("compulsory"),
        _big("voluntary"),
        _big("loans_outstanding"),
        sa.Column("maker", sa.String(64), nullable=False),
        sa.Column("checker", sa.String(64), nullable=False),
        _int("rejections"),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("cbo_id", "number", name=op.f("pk_meeting")),
    )
    op.create_index("ix_meeting_block", "meeting", ["block_lgd_code", "cbo_type"])
    op.create_table(
        "cutoff",
        sa.Column("cbo_id", sa.String(64), nullable=False),
        sa.Column("cutoff_date", sa.Date(), nullable=False),
        _big("total_assets"),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("cbo_id", name=op.f("pk_cutoff")),
    )
    op.create_table(
        "loan_position",
        sa.Column("loan_id", sa.String(64), nullable=False),
        _int("meeting_number"),
        sa.Column("cbo_id", sa.String(64), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        *(
            _big(c)
            for c in (
                "amount",
                "outstanding_principal",
                "due_principal",
                "due_interest",
                "collected_principal",
                "collected_interest",
                "overdue_principal",
                "overdue_interest",
            )
        ),
        _int("days_overdue"),
        sa.PrimaryKeyConstraint("loan_id", "meeting_number", name=op.f("pk_loan_position")),
    )
    op.create_index("ix_loan_position_cbo", "loan_position", ["cbo_id", "meeting_number"])
    op.create_table(
        "app_user",
        sa.Column("user_id", sa.String(48), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("district_lgd_code", sa.String(16), nullable=False),
        sa.Column("block_lgd_code", sa.String(16), nullable=False),
        sa.Column("roles", postgresql.ARRAY(sa.String(64)), nullable=False),
        sa.Column("districts", postgresql.ARRAY(sa.String(16)), nullable=False),
        sa.Column("blocks", postgresql.ARRAY(sa.String(16)), nullable=False),
        sa.Column("last_login", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_app_user")),
    )
    op.create_index("ix_app_user_state", "app_user", ["state"])
    op.create_table(
        "user_cbo",
        sa.Column("user_id", sa.String(48), nullable=False),
        sa.Column("cbo_id", sa.String(64), nullable=False),
        sa.Column("cbo_type", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "cbo_id", name=op.f("pk_user_cbo")),
    )
    op.create_index("ix_user_cbo_cbo", "user_cbo", ["cbo_id"])
    op.create_table(
        "shg_stats",
        sa.Column("shg_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("district_lgd_code", sa.String(16), nullable=False),
        sa.Column("block_lgd_code", sa.String(16), nullable=False),
        sa.Column("vo_id", sa.String(64), nullable=False),
        sa.Column("clf_id", sa.String(64), nullable=False),
        sa.Column("formed_on", sa.Date(), nullable=False),
        sa.Column("has_bank_account", sa.Boolean(), nullable=False),
        *(_int(c) for c in ("members", "sc", "st", "obc", "general", "other")),
        sa.Column("has_transactions", sa.Boolean(), nullable=False),
        *(_big(c) for c in ("compulsory", "voluntary", "loan_outstanding")),
        sa.PrimaryKeyConstraint("shg_id", name=op.f("pk_shg_stats")),
    )
    op.create_index("ix_shg_stats_block", "shg_stats", ["block_lgd_code", "shg_id"])
    op.create_index("ix_shg_stats_vo", "shg_stats", ["vo_id"])
    op.create_index("ix_shg_stats_clf", "shg_stats", ["clf_id"])
    op.create_index(
        "ix_shg_stats_no_bank",
        "shg_stats",
        ["state", "formed_on"],
        postgresql_where=sa.text("NOT has_bank_account"),
    )
    op.create_table(
        "block_rollup",
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("district_lgd_code", sa.String(16), nullable=False),
        sa.Column("block_lgd_code", sa.String(16), nullable=False),
        sa.Column("formed_month", sa.Date(), nullable=False),
        *(
            _big(c)
            for c in (
                "shgs",
                "members",
                "sc",
                "st",
                "obc",
                "general",
                "other",
                "with_bank",
                "with_transactions",
                "compulsory",
                "voluntary",
                "loan_outstanding",
            )
        ),
        sa.PrimaryKeyConstraint(
            "state",
            "district_lgd_code",
            "block_lgd_code",
            "formed_month",
            name=op.f("pk_block_rollup"),
        ),
    )
    op.create_table(
        "district_rollup",
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("district_lgd_code", sa.String(16), nullable=False),
        sa.Column("formed_month", sa.Date(), nullable=False),
        *(_big(c) for c in _ROLLUP),
        sa.PrimaryKeyConstraint(
            "state", "district_lgd_code", "formed_month", name=op.f("pk_district_rollup")
        ),
    )
    op.create_table(
        "applied",
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("last_event_id", sa.String(36), nullable=False),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        _big("pending"),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_applied")),
    )


def downgrade() -> None:
    for table in (
        "applied",
        "district_rollup",
        "block_rollup",
        "shg_stats",
        "user_cbo",
        "app_user",
        "loan_position",
        "cutoff",
        "meeting",
        "member",
        "cbo",
    ):
        op.drop_table(table)
    op.create_table(
        "shg_count",
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("district_lgd_code", sa.String(length=16), nullable=False),
        sa.Column("block_lgd_code", sa.String(length=16), nullable=False),
        sa.Column("shgs_formed", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "state", "district_lgd_code", "block_lgd_code", name=op.f("pk_shg_count")
        ),
    )
