"""Audit trail: who did what to which record, when, from which request.

Each service keeps its own ``audit_log`` table and writes to it in the transaction of the
change it records.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Index, MetaData, String, Table, func, insert
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from lokos import context


def audit_table(metadata: MetaData) -> Table:
    return Table(
        "audit_log",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("actor", String(64), nullable=False),
        Column("action", String(64), nullable=False),
        Column("entity", String(32), nullable=False),
        Column("entity_id", String(64), nullable=False),
        Column("request_id", String(64), nullable=False),
        Column("before", JSONB),
        Column("after", JSONB),
        Index("ix_audit_log_entity", "entity", "entity_id"),
    )


async def record_audit(
    session: AsyncSession,
    table: Table,
    *,
    action: str,
    entity: str,
    entity_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    p = context.current_principal.get()
    await session.execute(
        insert(table).values(
            actor=p.user_id if p else "anonymous",
            action=action,
            entity=entity,
            entity_id=entity_id,
            request_id=context.request_id(),
            before=before,
            after=after,
        )
    )
