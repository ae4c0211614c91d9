"""gRPC stubs of every service, one channel per service per process."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from gateway.config import GatewaySettings
from lokos.dedup.v1 import dedup_pb2_grpc
from lokos.helpdesk.v1 import helpdesk_pb2_grpc
from lokos.identity.v1 import identity_pb2_grpc
from lokos.profiles.v1 import profiles_pb2_grpc
from lokos.reports.v1 import reports_pb2_grpc
from lokos.rpc import channel
from lokos.transactions.v1 import funds_pb2_grpc, grading_pb2_grpc, transactions_pb2_grpc


@dataclass
class Clients:
    channels: dict[str, grpc.aio.Channel]
    identity: identity_pb2_grpc.IdentityServiceAsyncStub
    profiles: profiles_pb2_grpc.ProfilesServiceAsyncStub
    dedup: dedup_pb2_grpc.DedupServiceAsyncStub
    reports: reports_pb2_grpc.ReportsServiceAsyncStub
    transactions: transactions_pb2_grpc.TransactionsServiceAsyncStub
    # Served by the transactions process, on its channel.
    funds: funds_pb2_grpc.FundsAsyncStub
    helpdesk: helpdesk_pb2_grpc.HelpdeskServiceAsyncStub
    deadline: float
    # Grading and bank linkage: more services of the transactions process, on its channel.
    grading: grading_pb2_grpc.GradingServiceAsyncStub
    bank_linkage: grading_pb2_grpc.BankLinkageServiceAsyncStub

    @classmethod
    def connect(cls, s: GatewaySettings) -> Clients:
        targets = {
            "identity": s.identity_grpc,
            "profiles": s.profiles_grpc,
            "dedup": s.dedup_grpc,
            "transactions": s.transactions_grpc,
            "reports": s.reports_grpc,
            "helpdesk": s.helpdesk_grpc,
        }
        chans = {name: channel(target) for name, target in targets.items()}
        return cls(
            channels=chans,
            identity=identity_pb2_grpc.IdentityServiceStub(chans["identity"]),
            profiles=profiles_pb2_grpc.ProfilesServiceStub(chans["profiles"]),
            dedup=dedup_pb2_grpc.DedupServiceStub(chans["dedup"]),
            reports=reports_pb2_grpc.ReportsServiceStub(chans["reports"]),
            transactions=transactions_pb2_grpc.TransactionsServiceStub(chans["transactions"]),
            funds=funds_pb2_grpc.FundsStub(chans["transactions"]),
            helpdesk=helpdesk_pb2_grpc.HelpdeskServiceStub(chans["helpdesk"]),
            deadline=s.grpc_deadline,
            grading=grading_pb2_grpc.GradingServiceStub(chans["transactions"]),
            bank_linkage=grading_pb2_grpc.BankLinkageServiceStub(chans["transactions"]),
        )

    async def close(self) -> None:
        for ch in self.channels.values():
            await ch.close(None)
