"""Reports process: gRPC server and the event consumer that feeds the read models."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import grpc

from lokos import bus
from lokos.consumer import EventConsumer
from lokos.process import Runtime, run
from lokos.reports.v1 import reports_pb2, reports_pb2_grpc
from services.reports import aggregates, consumers, ingest, national
from services.reports.config import ReportsSettings
from services.reports.deps import Deps
from services.reports.federation import AggregatePublisher
from services.reports.freshness import FreshnessMonitor
from services.reports.grpc_api import ReportsServicer

MIGRATIONS = Path(__file__).parent / "migrations"


async def build(rt: Runtime) -> tuple[Callable[[grpc.aio.Server], None], list[str]]:
    settings = rt.settings if isinstance(rt.settings, ReportsSettings) else ReportsSettings()
    consumer = EventConsumer(
        rt.db,
        rt.nats,
        durable="reports-feed",
        subjects=consumers.subjects(rt.settings.state),
        batch_handler=consumers.dispatch,
        service=rt.settings.service_name,
        state=rt.settings.state,
        batch=settings.consumer_batch,
        inboxed=ingest.inboxed,
    )
    rt.background.append(consumer.run)
    # The external aggregates' read model has a durable of its own (services.reports.aggregates).
    aggregates_consumer = EventConsumer(
        rt.db,
        rt.nats,
        durable="reports-aggregates",
        subjects=aggregates.subjects(rt.settings.state),
        batch_handler=aggregates.dispatch,
        service=rt.settings.service_name,
        state=rt.settings.state,
        batch=settings.consumer_batch,
    )
    rt.background.append(aggregates_consumer.run)
    # The national federation: a state publishes its aggregates, the national instance
    # stores every state's (lokos/federation.py).
    if rt.settings.state == bus.NATIONAL:
        rt.background.append(national.NationalConsumer(rt.db, rt.nats).run)
    elif settings.federation_publish_seconds:
        publisher = AggregatePublisher(
            rt.db, rt.nats, rt.settings.state, interval=settings.federation_publish_seconds
        )
        rt.background.append(publisher.run)
    monitor = FreshnessMonitor(
        rt, rt.db, rt.nats, "reports-feed", max_lag_seconds=settings.max_lag_seconds
    )
    rt.background.append(monitor.run)
    servicer = ReportsServicer(Deps(rt.db, settings))

    def register(server: grpc.aio.Server) -> None:
        reports_pb2_grpc.add_ReportsServiceServicer_to_server(servicer, server)

    return register, [reports_pb2.DESCRIPTOR.services_by_name["ReportsService"].full_name]


def main() -> None:
    run(ReportsSettings(), MIGRATIONS, build)


if __name__ == "__main__":
    main()
