"""The Funds service over gRPC: thin; the rules are in :mod:`.funds_service`.

Methods are named by the proto (CamelCase, hence the ``noqa: N802``)."""

from __future__ import annotations

from typing import Any

import grpc

from lokos import context
from lokos.transactions.v1 import funds_pb2 as fpb
from lokos.transactions.v1 import funds_pb2_grpc
from services.transactions.deps import Deps
from services.transactions.grpc_api import _today

Ctx = grpc.aio.ServicerContext[Any, Any]


class FundsServicer(funds_pb2_grpc.FundsServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def RecordTransfer(  # noqa: N802
        self, request: fpb.RecordTransferRequest, ctx: Ctx
    ) -> fpb.TransferView:
        return await self.deps.funds.record_transfer(context.principal(), request, _today())

    async def DecideTransfer(  # noqa: N802
        self, request: fpb.DecideTransferRequest, ctx: Ctx
    ) -> fpb.TransferView:
        return await self.deps.funds.decide_transfer(context.principal(), request)

    async def ConfirmTransfer(  # noqa: N802
        self, request: fpb.ConfirmTransferRequest, ctx: Ctx
    ) -> fpb.TransferView:
        return await self.deps.funds.confirm_transfer(context.principal(), request, _today())

    async def GetTransfer(self, request: fpb.GetTransferRequest, ctx: Ctx) -> fpb.TransferView:  # noqa: N802
        return await self.deps.funds.get_transfer(context.principal(), request.transfer_id)

    async def ListTransfers(  # noqa: N802
        self, request: fpb.ListTransfersRequest, ctx: Ctx
    ) -> fpb.ListTransfersResponse:
        return await self.deps.funds.list_transfers(context.principal(), request)

    async def Reconciliation(  # noqa: N802
        self, request: fpb.ReconciliationRequest, ctx: Ctx
    ) -> fpb.ReconciliationView:
        return await self.deps.funds.reconciliation(context.principal(), request, _today())
