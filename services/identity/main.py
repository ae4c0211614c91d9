"""Identity process: gRPC server and outbox relay; seeds the demo users in embedded mode."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import grpc

from lokos.identity.v1 import identity_pb2, identity_pb2_grpc
from lokos.outbox import OutboxRelay
from lokos.process import Runtime, serve
from services.identity import service
from services.identity.config import IdentitySettings
from services.identity.grpc_api import IdentityServicer

MIGRATIONS = Path(__file__).parent / "migrations"


async def build(rt: Runtime) -> tuple[Callable[[grpc.aio.Server], None], list[str]]:
    if rt.settings.seed_demo:
        async with rt.db.session() as session:
            await service.seed_demo(session, rt.settings.state)
    relay = OutboxRelay(rt.db, rt.nats, poll_interval=rt.settings.outbox_poll_interval)
    rt.background.append(relay.run)
    rt.on_stop.append(relay.close)
    servicer = IdentityServicer(rt.db)

    def register(server: grpc.aio.Server) -> None:
        identity_pb2_grpc.add_IdentityServiceServicer_to_server(servicer, server)

    return register, [identity_pb2.DESCRIPTOR.services_by_name["IdentityService"].full_name]


def main() -> None:
    asyncio.run(serve(IdentitySettings(), MIGRATIONS, build))


if __name__ == "__main__":
    main()
