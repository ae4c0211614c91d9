"""Identity process: gRPC server, outbox relay, the CBO consumer; seeds demo users in
embedded mode."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import grpc
import httpx

from lokos.consumer import EventConsumer
from lokos.identity.v1 import identity_pb2, identity_pb2_grpc
from lokos.outbox import OutboxRelay
from lokos.process import Runtime, run
from lokos.rpc import channel
from services.identity import consumers, service
from services.identity.config import IdentitySettings
from services.identity.consents import ProfilesMembers
from services.identity.deps import Deps, otp_key
from services.identity.geography import ProfilesGeography
from services.identity.grpc_api import IdentityServicer
from services.identity.idp.factory import identity_provider
from services.identity.sms import HttpSmsGateway, OutboxSms, SmsSender

MIGRATIONS = Path(__file__).parent / "migrations"


async def build(rt: Runtime) -> tuple[Callable[[grpc.aio.Server], None], list[str]]:
    settings = IdentitySettings()
    if settings.seed_demo:
        async with rt.db.session() as session:
            await service.seed_demo(session, settings.state)
    http = httpx.AsyncClient(timeout=10)
    sms: SmsSender = (
        HttpSmsGateway(
            settings.sms_gateway_url, settings.sms_gateway_token, settings.sms_sender_id, http
        )
        if settings.sms_gateway_url
        else OutboxSms(settings.data_dir / "sms" / "outbox.jsonl")
    )
    profiles = channel(settings.profiles_grpc)
    idp = identity_provider(settings)
    deps = Deps(
        db=rt.db,
        settings=settings,
        idp=idp,
        geography=ProfilesGeography(profiles, settings.grpc_deadline),
        sms=sms,
        otp_key=otp_key(settings),
        members=ProfilesMembers(profiles, settings.grpc_deadline),
    )
    relay = OutboxRelay(rt.db, rt.nats, poll_interval=settings.outbox_poll_interval)
    consumer = EventConsumer(
        rt.db,
        rt.nats,
        durable="identity-cbos",
        subjects=consumers.subjects(settings.state),
        handler=consumers.dispatch,
        service=settings.service_name,
        state=settings.state,
    )
    rt.background += [relay.run, consumer.run]

    async def close() -> None:
        await relay.close()
        await idp.close()
        await profiles.close(None)
        await http.aclose()

    rt.on_stop.append(close)
    servicer = IdentityServicer(deps)

    def register(server: grpc.aio.Server) -> None:
        identity_pb2_grpc.add_IdentityServiceServicer_to_server(servicer, server)

    return register, [identity_pb2.DESCRIPTOR.services_by_name["IdentityService"].full_name]


def main() -> None:
    run(IdentitySettings(), MIGRATIONS, build)


if __name__ == "__main__":
    main()
