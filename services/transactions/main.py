"""Transactions process: gRPC server (health only until its methods land) and outbox relay."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import grpc

from lokos.outbox import OutboxRelay
from lokos.process import Runtime, run
from lokos.transactions.v1 import transactions_pb2, transactions_pb2_grpc
from services.transactions.config import TransactionsSettings

MIGRATIONS = Path(__file__).parent / "migrations"


async def build(rt: Runtime) -> tuple[Callable[[grpc.aio.Server], None], list[str]]:
    relay = OutboxRelay(rt.db, rt.nats, poll_interval=rt.settings.outbox_poll_interval)
    rt.background.append(relay.run)
    rt.on_stop.append(relay.close)

    def register(server: grpc.aio.Server) -> None:
        transactions_pb2_grpc.add_TransactionsServiceServicer_to_server(
            transactions_pb2_grpc.TransactionsServiceServicer(), server
        )

    return register, [transactions_pb2.DESCRIPTOR.services_by_name["TransactionsService"].full_name]


def main() -> None:
    run(TransactionsSettings(), MIGRATIONS, build)


if __name__ == "__main__":
    main()
