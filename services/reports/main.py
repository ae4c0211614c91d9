"""Reports process: gRPC server and the event consumer that feeds the read models."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import grpc

from lokos import bus
from lokos.consumer import EventConsumer
from lokos.process import Runtime, run
from lokos.reports.v1 import reports_pb2, reports_pb2_grpc
from services.reports import events, national
from services.reports.config import ReportsSettings
from services.reports.federation import AggregatePublisher
from services.reports.grpc_api import ReportsServicer

MIGRATIONS = Path(__file__).parent / "migrations"


async def build(rt: Runtime) -> tuple[Callable[[grpc.aio.Server], None], list[str]]:
    consumer = EventConsumer(
        rt.db,
        rt.nats,
        durable="reports-read-models",
        subjects=events.subjects(rt.settings.state),
        handler=events.dispatch,
        service=rt.settings.service_name,
        state=rt.settings.state,
    )
    rt.background.append(consumer.run)
    # The national federation: a state publishes its aggregates, the national instance
    # stores every state's (lokos/federation.py).
    if rt.settings.state == bus.NATIONAL:
        rt.background.append(national.NationalConsumer(rt.db, rt.nats).run)
    elif isinstance(rt.settings, ReportsSettings) and rt.settings.federation_publish_seconds:
        publisher = AggregatePublisher(
            rt.db, rt.nats, rt.settings.state, interval=rt.settings.federation_publish_seconds
        )
        rt.background.append(publisher.run)
    servicer = ReportsServicer(rt.db)

    def register(server: grpc.aio.Server) -> None:
        reports_pb2_grpc.add_ReportsServiceServicer_to_server(servicer, server)

    return register, [reports_pb2.DESCRIPTOR.services_by_name["ReportsService"].full_name]


def main() -> None:
    run(ReportsSettings(), MIGRATIONS, build)


if __name__ == "__main__":
    main()
