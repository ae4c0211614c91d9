"""Dedup process: gRPC server (health only until its methods land) and outbox relay."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import grpc

from lokos.dedup.v1 import dedup_pb2, dedup_pb2_grpc
from lokos.outbox import OutboxRelay
from lokos.process import Runtime, run
from services.dedup.config import DedupSettings

MIGRATIONS = Path(__file__).parent / "migrations"


async def build(rt: Runtime) -> tuple[Callable[[grpc.aio.Server], None], list[str]]:
    relay = OutboxRelay(rt.db, rt.nats, poll_interval=rt.settings.outbox_poll_interval)
    rt.background.append(relay.run)
    rt.on_stop.append(relay.close)

    def register(server: grpc.aio.Server) -> None:
        dedup_pb2_grpc.add_DedupServiceServicer_to_server(
            dedup_pb2_grpc.DedupServiceServicer(), server
        )

    return register, [dedup_pb2.DESCRIPTOR.services_by_name["DedupService"].full_name]


def main() -> None:
    run(DedupSettings(), MIGRATIONS, build)


if __name__ == "__main__":
    main()
