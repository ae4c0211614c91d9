"""The national instance's side of the federation: the states' aggregates and the national
dashboard.

A durable consumer on the national stream (which sources every state's aggregate subjects,
lokos/federation.py) stores each :class:`BlockAggregate` unless a newer copy of the same
state, block and period is already stored. The national dashboard reads every state's totals
for a period, with drill-down to district and block (:func:`dashboard`, which decides who may
read it: national staff, on the national instance only). Only counts ever arrive here.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nats.js.errors import FetchTimeoutError, NotFoundError
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lokos import bus, catalogue
from lokos.db import Database
from lokos.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from lokos.events import NatsLink
from lokos.principal import Principal
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
    """Totals of one unit (the nation, a state, a district or a block) for a period, and when
    the oldest of the blocks summed was computed by its state."""

    code: str
    metrics: dict[str, int]
    as_of: datetime | None = None


def _sum(rows: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for metrics in rows:
        for name, value in metrics.items():
            total[name] += int(value)
    return dict(total)


def _numbers(grouped: dict[str, list[tuple[dict[str, int], datetime]]]) -> list[Numbers]:
    return [
        Numbers(code, _sum([m for m, _ in rows]), min(at for _, at in rows))
        for code, rows in sorted(grouped.items())
    ]


async def latest_period(session: AsyncSession) -> str:
    period = (await session.execute(select(func.max(NationalBlockAggregate.period)))).scalar()
    return str(period or "")


async def states(session: AsyncSession, period: str) -> list[Numbers]:
    """Every state's totals for ``period``, by state code."""
    rows = await session.execute(
        select(
            NationalBlockAggregate.state,
            NationalBlockAggregate.metrics,
            NationalBlockAggregate.as_of,
        ).where(NationalBlockAggregate.period == period)
    )
    by_state: dict[str, list[tuple[dict[str, int], datetime]]] = defaultdict(list)
    for state, metrics, as_of in rows:
        by_state[state].append((metrics, as_of))
    return _numbers(by_state)


async def drill_down(
    session: AsyncSession, state: str, period: str, district: str = ""
) -> list[Numbers]:
    """One state's districts, or one district's blocks, for ``period``."""
    q = select(
        NationalBlockAggregate.district_lgd_code,
        NationalBlockAggregate.block_lgd_code,
        NationalBlockAggregate.metrics,
        NationalBlockAggregate.as_of,
    ).where(NationalBlockAggregate.state == state, NationalBlockAggregate.period == period)
    if district:
        q = q.where(NationalBlockAggregate.district_lgd_code == district)
    grouped: dict[str, list[tuple[dict[str, int], datetime]]] = defaultdict(list)
    for row_district, block, metrics, as_of in await session.execute(q):
        grouped[block if district else row_district].append((metrics, as_of))
    return _numbers(grouped)


_PERIOD = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
_STATE = re.compile(r"^[a-z]{2,3}$")
_LGD = re.compile(r"^[0-9]{1,16}$")


@dataclass(frozen=True)
class NationalView:
    """The national dashboard at one level: every state, a state's districts or a
    district's blocks."""

    period: str
    level: str
    rows: list[Numbers]

    @property
    def total(self) -> dict[str, int]:
        return _sum([r.metrics for r in self.rows])


def _request_errors(period: str, state: str, district: str) -> ValidationFailed | None:
    errors = []
    if period and not _PERIOD.match(period):
        errors.append(("period", "a month as YYYY-MM", "format"))
    if state and not _STATE.match(state):
        errors.append(("state", "a lower-case state code (up, br)", "format"))
    if district and not _LGD.match(district):
        errors.append(("district_lgd_code", "an LGD code: digits only", "format"))
    if district and not state:
        errors.append(("state", "is required with district_lgd_code", "required"))
    if not errors:
        return None
    return ValidationFailed([FieldError(f, m, c) for f, m, c in errors])


async def dashboard(
    session: AsyncSession,
    principal: Principal,
    instance_state: str,
    *,
    period: str = "",
    state: str = "",
    district: str = "",
) -> NationalView:
    """The national dashboard, for national staff of the national instance only: a state's
    instance holds no other state's numbers, and a state's users read their own dashboard."""
    if instance_state != bus.NATIONAL:
        raise NotFound(
            "the national dashboard is served by the national instance", code="not_national"
        )
    if principal.state != bus.NATIONAL or not principal.has_any_role(
        catalogue.NATIONAL_DASHBOARD_READERS
    ):
        raise PermissionDenied(
            "the national dashboard is for national staff", code="role_not_allowed"
        )
    problem = _request_errors(period, state, district)
    if problem is not None:
        raise problem
    period = period or await latest_period(session)
    if not state:
        return NationalView(period, "state", await states(session, period))
    rows = await drill_down(session, state, period, district)
    return NationalView(period, "block" if district else "district", rows)


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
