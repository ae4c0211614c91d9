"""Dedup process: gRPC server, the index consumer, the refresh worker, the outbox relay."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import grpc

from lokos.consumer import EventConsumer
from lokos.dedup.v1 import dedup_pb2, dedup_pb2_grpc
from lokos.outbox import OutboxRelay
from lokos.process import Runtime, run
from services.dedup import consumers
from services.dedup.config import DedupSettings
from services.dedup.deps import Deps
from services.dedup.grpc_api import DedupServicer
from services.dedup.refresh import Refresher
from services.dedup.service import Dedup

MIGRATIONS = Path(__file__).parent / "migrations"


async def build(rt: Runtime) -> tuple[Callable[[grpc.aio.Server], None], list[str]]:
    settings = DedupSettings()
    dedup = Dedup(rt.db, settings.state)
    refresher = Refresher(dedup)
    consumer = EventConsumer(
        rt.db,
        rt.nats,
        durable="dedup-index",
        subjects=consumers.subjects(settings.state),
        batch_handler=consumers.Handlers(dedup).dispatch,
        service=settings.service_name,
        state=settings.state,
        batch=settings.consumer_batch,
        inboxed=consumers.inboxed,
    )
    relay = OutboxRelay(rt.db, rt.nats, poll_interval=settings.outbox_poll_interval)
    rt.background += [relay.run, consumer.run, refresher.run]
    rt.on_stop.append(relay.close)
    servicer = DedupServicer(Deps(rt.db, settings, dedup, refresher))

    def register(server: grpc.aio.Server) -> None:
        dedup_pb2_grpc.add_DedupServiceServicer_to_server(servicer, server)

    return register, [dedup_pb2.DESCRIPTOR.services_by_name["DedupService"].full_name]


def main() -> None:
    run(DedupSettings(), MIGRATIONS, build)


if __name__ == "__main__":
    main()
