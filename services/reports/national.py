"""The national instance's side of the federation: the states' aggregates and the national
dashboard.

A durable consumer on the national stream (which sources every state's aggregate subjects,
lokos/federation.py) stores each :class:`BlockAggregate` unless a newer copy of the same
state, block and period is already stored. The national dashboard reads every state's totals
for a period, with drill-down to district and block. Only counts ever arrive here.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from nats.js.errors import FetchTimeoutError, NotFoundError
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lokos import bus
from lokos.db import Database
from lokos.events import NatsLink
from lokos.reports.v1 import federation_pb2
from services.reports.models import NationalBlockAggregate

log = logging.getLogger(__name__)

DURABLE = "reports-national"
FETCH_BATCH = 256


async def store(session: AsyncSession, aggregate: federation_pb2.BlockAggregate) -> None:
    """Keep ``aggregate`` unless the stored copy of its block and period is as new or newer."""
    values: dict[str, Any] = {
        "state": aggregate.state,
        "block_lgd_code": aggregate.block_lgd_code,
        "period": aggregate.period,
        "district_lgd_code": aggregate.district_lgd_code,
        "metrics": dict(aggregate.metrics),
        "as_of": aggregate.as_of.ToDatetime(tzinfo=UTC),
    }
    stmt = insert(NationalBlockAggregate).values(**values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[
                NationalBlockAggregate.state,
                NationalBlockAggregate.block_lgd_code,
                NationalBlockAggregate.period,
            ],
            set_={
                "district_lgd_code": stmt.excluded.district_lgd_code,
                "metrics": stmt.excluded.metrics,
                "as_of": stmt.excluded.as_of,
            },
            where=NationalBlockAggregate.as_of < stmt.excluded.as_of,
        )
    )


@dataclass(frozen=True)
class Numbers:
    """Totals of one unit (the nation, a state, a district or a block) for a period."""

    code: str
    metrics: dict[str, int]


def _sum(rows: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for metrics in rows:
        for name, value in metrics.items():
            total[name] += int(value)
    return dict(total)


async def latest_period(session: AsyncSession) -> str:
    period = (await session.execute(select(func.max(NationalBlockAggregate.period)))).scalar()
    return str(period or "")


async def states(session: AsyncSession, period: str) -> list[Numbers]:
    """Every state's totals for ``period``, by state code."""
    rows = await session.execute(
        select(NationalBlockAggregate.state, NationalBlockAggregate.metrics).where(
            NationalBlockAggregate.period == period
        )
    )
    by_state: dict[str, list[dict[str, int]]] = defaultdict(list)
    for state, metrics in rows:
        by_state[state].append(metrics)
    return [Numbers(state, _sum(m)) for state, m in sorted(by_state.items())]


async def drill_down(
    session: AsyncSession, state: str, period: str, district: str = ""
) -> list[Numbers]:
    """One state's districts, or one district's blocks, for ``period``."""
    q = select(
        NationalBlockAggregate.district_lgd_code,
        NationalBlockAggregate.block_lgd_code,
        NationalBlockAggregate.metrics,
    ).where(NationalBlockAggregate.state == state, NationalBlockAggregate.period == period)
    if district:
        q = q.where(NationalBlockAggregate.district_lgd_code == district)
    grouped: dict[str, list[dict[str, int]]] = defaultdict(list)
    for row_district, block, metrics in await session.execute(q):
        grouped[block if district else row_district].append(metrics)
    return [Numbers(code, _sum(m)) for code, m in sorted(grouped.items())]


class NationalConsumer:
    """Stores every aggregate of the national stream, once in effect (newest wins).

    Reads as the national instance's reports user through its durable, which the bus owner
    created with the national stream (lokos/bus.py); it binds, never creates.
    """

    def __init__(self, db: Database, nats: NatsLink, durable: str = DURABLE) -> None:
        self.db = db
        self.nats = nats
        self.durable = durable

    async def run(self, *, stop: asyncio.Event | None = None) -> None:
        while True:
            try:
                js = await self.nats.jetstream()
                sub = await js.pull_subscribe_bind(self.durable, bus.NATIONAL_STREAM)
                break
            except NotFoundError:
                log.info("national: waiting for the bus owner's durable %s", self.durable)
                await asyncio.sleep(1.0)
        while stop is None or not stop.is_set():
            try:
                messages = await sub.fetch(FETCH_BATCH, timeout=1.0)
            except (FetchTimeoutError, TimeoutError):
                continue
            async with self.db.session() as session:
                for msg in messages:
                    await store(session, federation_pb2.BlockAggregate.FromString(msg.data))
                await session.commit()
            for msg in messages:
                await msg.ack()
