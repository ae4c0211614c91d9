"""A state's side of the national federation: publishing its aggregates.

The numbers of each block for the current period (:func:`block_aggregates`, the one place that
says which numbers leave the state) are published as :class:`BlockAggregate` on
``aggregates.<state>.<block>`` into the state's stream AGGREGATES, whenever they differ
from what was last published; the national stream sources those subjects over the leaf node
(lokos/federation.py). The message is the bare aggregate, not an event envelope: an envelope
carries the acting user and the request id, and nothing about a person may leave the state.
Numbers are absolute, stamped with when they were computed, so the national side keeps the
newest and a replay or a catch-up counts nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lokos import federation
from lokos.db import Database
from lokos.events import NatsLink
from lokos.reports.v1 import federation_pb2
from services.reports.models import ROLLUP_SUMS, BlockRollup

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AggregateRow:
    """One block's numbers for one period."""

    state: str
    district_lgd_code: str
    block_lgd_code: str
    period: str
    metrics: dict[str, int] = field(default_factory=dict)


def period_of(moment: datetime) -> str:
    """The period numbers are counted in: the calendar month (``2026-11``)."""
    return moment.strftime("%Y-%m")


# The dashboard's counts and sums per block (R1's three panels) — never a name, id or number
# of a person. Money in paise.
_METRICS = ROLLUP_SUMS


async def block_aggregates(session: AsyncSession, state: str, period: str) -> list[AggregateRow]:
    """The numbers each block sends to the national instance: its dashboard panels."""
    columns = [func.sum(getattr(BlockRollup, name)) for name in _METRICS]
    rows = await session.execute(
        select(BlockRollup.district_lgd_code, BlockRollup.block_lgd_code, *columns)
        .where(BlockRollup.state == state)
        .group_by(BlockRollup.district_lgd_code, BlockRollup.block_lgd_code)
    )
    return [
        AggregateRow(
            state,
            district,
            block,
            period,
            {
                "shgs_formed" if name == "shgs" else name: int(value or 0)
                for name, value in zip(_METRICS, values, strict=True)
            },
        )
        for district, block, *values in rows
    ]


Rows = Callable[[AsyncSession, str, str], Awaitable[list[AggregateRow]]]


def to_message(row: AggregateRow, as_of: datetime) -> federation_pb2.BlockAggregate:
    message = federation_pb2.BlockAggregate(
        state=row.state,
        district_lgd_code=row.district_lgd_code,
        block_lgd_code=row.block_lgd_code,
        period=row.period,
        metrics=row.metrics,
    )
    message.as_of.FromDatetime(as_of)
    return message


class AggregatePublisher:
    """Publishes the blocks whose numbers changed since the last round, every ``interval``.

    At start everything is published once (the national side keeps the newest copy, so a
    repeat is harmless); a round that fails is retried whole at the next one.
    """

    def __init__(
        self,
        db: Database,
        nats: NatsLink,
        state: str,
        *,
        rows: Rows = block_aggregates,
        interval: float = 2.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = db
        self.nats = nats
        self.state = state
        self.rows = rows
        self.interval = interval
        self.clock = clock
        self._sent: dict[tuple[str, str], dict[str, int]] = {}

    async def publish_changed(self) -> int:
        """One round: publish what changed; how many blocks were published."""
        now = self.clock()
        async with self.db.session() as session:
            rows = await self.rows(session, self.state, period_of(now))
        js = await self.nats.jetstream()
        published = 0
        for row in rows:
            key = (row.block_lgd_code, row.period)
            if self._sent.get(key) == row.metrics:
                continue
            message = to_message(row, now)
            await js.publish(
                federation.aggregate_subject(self.state, row.block_lgd_code),
                message.SerializeToString(),
                headers={
                    "Nats-Msg-Id": f"{self.state}.{row.block_lgd_code}.{row.period}."
                    f"{int(now.timestamp() * 1_000_000)}"
                },
            )
            self._sent[key] = dict(row.metrics)
            published += 1
        return published

    async def run(self) -> None:
        while True:
            try:
                await self.publish_changed()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("federation: publishing aggregates failed (%s); retrying", exc)
            await asyncio.sleep(self.interval)
