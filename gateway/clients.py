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
from lokos.transactions.v1 import transactions_pb2_grpc


@dataclass
class Clients:
    channels: dict[str, grpc.aio.Channel]
    identity: identity_pb2_grpc.IdentityServiceAsyncStub
    profiles: profiles_pb2_grpc.ProfilesServiceAsyncStub
    dedup: dedup_pb2_grpc.DedupServiceAsyncStub
    reports: reports_pb2_grpc.ReportsServiceAsyncStub
    transactions: transactions_pb2_grpc.TransactionsServiceAsyncStub
    helpdesk: helpdesk_pb2_grpc.HelpdeskServiceAsyncStub
    deadline: float

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
            helpdesk=helpdesk_pb2_grpc.HelpdeskServiceStub(chans["helpdesk"]),
            deadline=s.grpc_deadline,
        )

    async def close(self) -> None:
        for ch in self.channels.values():
            await ch.close(None)
