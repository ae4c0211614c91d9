"""Reports process: gRPC server and the event consumer that feeds the read models."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import grpc

from lokos.consumer import EventConsumer
from lokos.process import Runtime, run
from lokos.reports.v1 import reports_pb2, reports_pb2_grpc
from services.reports import aggregates, events
from services.reports.config import ReportsSettings
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
    # The external aggregates' read model has a durable of its own (services.reports.aggregates).
    aggregates_consumer = EventConsumer(
        rt.db,
        rt.nats,
        durable="reports-aggregates",
        subjects=aggregates.subjects(rt.settings.state),
        handler=aggregates.dispatch,
        service=rt.settings.service_name,
        state=rt.settings.state,
    )
    rt.background.append(aggregates_consumer.run)
    # main() runs with ReportsSettings; the runtime types them as the base class.
    assert isinstance(rt.settings, ReportsSettings)
    servicer = ReportsServicer(rt.db, rt.settings.small_cell_threshold)

    def register(server: grpc.aio.Server) -> None:
        reports_pb2_grpc.add_ReportsServiceServicer_to_server(servicer, server)

    return register, [reports_pb2.DESCRIPTOR.services_by_name["ReportsService"].full_name]


def main() -> None:
    run(ReportsSettings(), MIGRATIONS, build)


if __name__ == "__main__":
    main()
