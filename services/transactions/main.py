"""Transactions process: gRPC server, the profiles-copy consumer and the outbox relay."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import grpc

from lokos import catalogue
from lokos.consumer import EventConsumer
from lokos.outbox import OutboxRelay
from lokos.process import Runtime, run
from lokos.transactions.v1 import (
    funds_pb2,
    funds_pb2_grpc,
    grading_pb2,
    grading_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)
from services.transactions import consumers
from services.transactions.bank_linkage_service import BankLinkage
from services.transactions.books import grading_settings
from services.transactions.books.funds import fund_rules_from_json
from services.transactions.books.policy import policy_from_json
from services.transactions.config import TransactionsSettings
from services.transactions.deps import Deps
from services.transactions.funds_grpc import FundsServicer
from services.transactions.funds_service import Funds
from services.transactions.grading_grpc import BankLinkageServicer, GradingServicer
from services.transactions.grading_service import Grading
from services.transactions.grpc_api import TransactionsServicer
from services.transactions.service import Transactions

MIGRATIONS = Path(__file__).parent / "migrations"


async def build(rt: Runtime) -> tuple[Callable[[grpc.aio.Server], None], list[str]]:
    settings = rt.settings
    assert isinstance(settings, TransactionsSettings)
    consumer = EventConsumer(
        rt.db,
        rt.nats,
        durable="transactions-profiles",
        subjects=consumers.subjects(settings.state),
        batch_handler=consumers.dispatch,
        service=settings.service_name,
        state=settings.state,
        batch=settings.consumer_batch,
        inboxed=consumers.inboxed,
    )
    relay = OutboxRelay(rt.db, rt.nats, poll_interval=settings.outbox_poll_interval)
    rt.background += [relay.run, consumer.run]
    rt.on_stop.append(relay.close)
    clf_approvers = clf_book_approvers(settings.clf_book_approvers)
    books = Transactions(
        rt.db, settings.state, policy_from_json(settings.book_policy), clf_approvers
    )
    deps = Deps(
        db=rt.db,
        settings=settings,
        books=books,
        funds=Funds(books, fund_rules_from_json(settings.fund_rules), clf_approvers),
        grading=Grading(
            rt.db, settings.state, grading_settings.policy_from_json(settings.grading_policy)
        ),
        bank_linkage=BankLinkage(rt.db, settings.state),
    )
    servicer = TransactionsServicer(deps)
    funds = FundsServicer(deps)
    grading = GradingServicer(deps)
    bank = BankLinkageServicer(deps)

    def register(server: grpc.aio.Server) -> None:
        transactions_pb2_grpc.add_TransactionsServiceServicer_to_server(servicer, server)
        funds_pb2_grpc.add_FundsServicer_to_server(funds, server)
        grading_pb2_grpc.add_GradingServiceServicer_to_server(grading, server)
        grading_pb2_grpc.add_BankLinkageServiceServicer_to_server(bank, server)

    return register, [
        transactions_pb2.DESCRIPTOR.services_by_name["TransactionsService"].full_name,
        funds_pb2.DESCRIPTOR.services_by_name["Funds"].full_name,
        grading_pb2.DESCRIPTOR.services_by_name["GradingService"].full_name,
        grading_pb2.DESCRIPTOR.services_by_name["BankLinkageService"].full_name,
    ]


def clf_book_approvers(codes: list[str]) -> frozenset[str]:
    """The state's CLF approver roles (F6), checked against the catalogue at start."""
    unknown = [c for c in codes if c not in catalogue.BY_CODE]
    if unknown or not codes:
        raise ValueError(f"LOKOS_CLF_BOOK_APPROVERS: not roles of the catalogue: {unknown}")
    return frozenset(codes)


def main() -> None:
    run(TransactionsSettings(), MIGRATIONS, build)


if __name__ == "__main__":
    main()
