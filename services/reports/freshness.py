"""How far the read models lag the stream, kept up to date while the service runs.

Every few seconds the durable's backlog is read from JetStream and written beside the last
event applied (``applied.pending``), so every report's "as of" and lag are current even when
the consumer is stuck. Above ``max_lag_seconds`` the service reports NOT_SERVING for
``lokos.reports.v1.ReportsService`` on the gRPC health service (its readiness probe), while the
process's overall health stays SERVING: the gateway and the rest of the platform keep running.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from grpc_health.v1 import health_pb2
from sqlalchemy import text

from lokos.db import Database
from lokos.events import STREAM, NatsLink
from lokos.process import Runtime
from lokos.reports.v1 import reports_pb2

log = logging.getLogger(__name__)

SERVICE = reports_pb2.DESCRIPTOR.services_by_name["ReportsService"].full_name


def lag_seconds(last_event_at: datetime | None, pending: int, now: datetime) -> int:
    """Age of the last event applied while events wait behind it; none waiting: no lag."""
    if not pending or last_event_at is None:
        return 0
    return max(0, int((now - last_event_at).total_seconds()))


class FreshnessMonitor:
    def __init__(
        self,
        rt: Runtime,
        db: Database,
        nats: NatsLink,
        durable: str,
        max_lag_seconds: float,
        interval: float = 5.0,
    ) -> None:
        self.rt = rt
        self.db = db
        self.nats = nats
        self.durable = durable
        self.max_lag = max_lag_seconds
        self.interval = interval
        self.serving = True

    async def check(self) -> int:
        js = await self.nats.jetstream()
        info = await js.consumer_info(STREAM, self.durable)
        pending = int(info.num_pending or 0) + int(info.num_ack_pending or 0)
        async with self.db.session() as session:
            await session.execute(text("UPDATE applied SET pending = :p"), {"p": pending})
            last = (await session.execute(text("SELECT max(last_event_at) FROM applied"))).scalar()
            await session.commit()
        lag = lag_seconds(last, pending, datetime.now(UTC))
        serving = lag <= self.max_lag
        if serving != self.serving and self.rt.health is not None:
            status = (
                health_pb2.HealthCheckResponse.SERVING
                if serving
                else health_pb2.HealthCheckResponse.NOT_SERVING
            )
            await self.rt.health.set(SERVICE, status)
            log.warning("reports lag %ss (%s events pending): serving=%s", lag, pending, serving)
        self.serving = serving
        return lag

    async def run(self) -> None:
        while True:
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("freshness check failed: %s", exc)
            await asyncio.sleep(self.interval)
