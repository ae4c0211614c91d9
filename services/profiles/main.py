"""Profiles process: gRPC server, outbox relay."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import grpc

from lokos.consumer import EventConsumer
from lokos.outbox import OutboxRelay
from lokos.process import Runtime, run
from lokos.profiles.v1 import profiles_pb2, profiles_pb2_grpc
from lokos.rpc import channel
from services.profiles import duplicates
from services.profiles.config import ProfilesSettings
from services.profiles.deps import Deps, identifier_key
from services.profiles.grpc_api import ProfilesServicer

MIGRATIONS = Path(__file__).parent / "migrations"


async def build(rt: Runtime) -> tuple[Callable[[grpc.aio.Server], None], list[str]]:
    settings = ProfilesSettings()
    relay = OutboxRelay(rt.db, rt.nats, poll_interval=settings.outbox_poll_interval)
    rt.background.append(relay.run)
    rt.on_stop.append(relay.close)
    consumer = EventConsumer(
        rt.db,
        rt.nats,
        durable="profiles-duplicates",
        subjects=duplicates.subjects(settings.state),
        batch_handler=duplicates.dispatch,
        service=settings.service_name,
        state=settings.state,
    )
    rt.background.append(consumer.run)
    dedup_channel = channel(settings.dedup_grpc)
    rt.on_stop.append(lambda: dedup_channel.close(None))
    dedup = duplicates.DedupChecks(dedup_channel, settings.grpc_deadline)
    servicer = ProfilesServicer(Deps(rt.db, settings, identifier_key(settings), dedup))

    def register(server: grpc.aio.Server) -> None:
        profiles_pb2_grpc.add_ProfilesServiceServicer_to_server(servicer, server)

    return register, [profiles_pb2.DESCRIPTOR.services_by_name["ProfilesService"].full_name]


def main() -> None:
    run(ProfilesSettings(), MIGRATIONS, build)


if __name__ == "__main__":
    main()
