"""Help desk process: gRPC server, outbox relay, and the span indexer of request search."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import grpc
import httpx

from lokos.helpdesk.v1 import helpdesk_pb2, helpdesk_pb2_grpc
from lokos.outbox import OutboxRelay
from lokos.process import Runtime, run
from services.helpdesk.config import HelpdeskSettings
from services.helpdesk.deps import Deps
from services.helpdesk.grpc_api import HelpdeskServicer
from services.helpdesk.service import Policy
from services.helpdesk.spans import SpanIngestor

MIGRATIONS = Path(__file__).parent / "migrations"


async def build(rt: Runtime) -> tuple[Callable[[grpc.aio.Server], None], list[str]]:
    settings = rt.settings
    assert isinstance(settings, HelpdeskSettings)
    relay = OutboxRelay(rt.db, rt.nats, poll_interval=settings.outbox_poll_interval)
    ingestor = SpanIngestor(
        rt.db,
        settings.trace_dir,
        settings.trace_ingest_interval,
        settings.trace_retention_days,
    )
    rt.background += [relay.run, ingestor.run]
    rt.on_stop.append(relay.close)
    jaeger = httpx.AsyncClient(timeout=5.0) if settings.trace_query_url else None
    if jaeger is not None:
        rt.on_stop.append(jaeger.aclose)
    policy = Policy(settings.state, settings.sla_hours(), settings.trace_query_url)
    servicer = HelpdeskServicer(Deps(rt.db, settings, policy, jaeger))

    def register(server: grpc.aio.Server) -> None:
        helpdesk_pb2_grpc.add_HelpdeskServiceServicer_to_server(servicer, server)

    return register, [helpdesk_pb2.DESCRIPTOR.services_by_name["HelpdeskService"].full_name]


def main() -> None:
    run(HelpdeskSettings(), MIGRATIONS, build)


if __name__ == "__main__":
    main()
