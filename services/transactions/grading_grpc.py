# ruff: noqa: N802
"""GradingService and BankLinkageService over gRPC: thin; the rules are in
:mod:`services.transactions.grading_service` and ``bank_linkage_service``.

Method names are the contract's (hence N802, as in ``grpc_api.py``)."""

from __future__ import annotations

from typing import Any

import grpc

from lokos import context
from lokos.transactions.v1 import grading_pb2 as gpb
from lokos.transactions.v1 import grading_pb2_grpc
from services.transactions.books.bank_loan_book import DISBURSAL, REPAYMENT
from services.transactions.deps import Deps
from services.transactions.grpc_api import _today

Ctx = grpc.aio.ServicerContext[Any, Any]


class GradingServicer(grading_pb2_grpc.GradingServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def ComputeGrades(
        self, request: gpb.ComputeGradesRequest, ctx: Ctx
    ) -> gpb.ComputeGradesResponse:
        return await self.deps.grading.compute(context.principal(), request, _today())

    async def ListGrades(self, request: gpb.ListGradesRequest, ctx: Ctx) -> gpb.ListGradesResponse:
        return await self.deps.grading.list(context.principal(), request.cbo_id)


class BankLinkageServicer(grading_pb2_grpc.BankLinkageServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def SanctionBankLoan(
        self, request: gpb.SanctionBankLoanRequest, ctx: Ctx
    ) -> gpb.BankLoanView:
        return await self.deps.bank_linkage.sanction(context.principal(), request, _today())

    async def DisburseBankLoan(
        self, request: gpb.BankLoanMoneyRequest, ctx: Ctx
    ) -> gpb.BankLoanView:
        return await self.deps.bank_linkage.move(context.principal(), request, DISBURSAL, _today())

    async def RepayBankLoan(self, request: gpb.BankLoanMoneyRequest, ctx: Ctx) -> gpb.BankLoanView:
        return await self.deps.bank_linkage.move(context.principal(), request, REPAYMENT, _today())

    async def GetBankLoan(self, request: gpb.GetBankLoanRequest, ctx: Ctx) -> gpb.BankLoanView:
        return await self.deps.bank_linkage.get(context.principal(), request, _today())

    async def GetBankEligibility(
        self, request: gpb.GetBankEligibilityRequest, ctx: Ctx
    ) -> gpb.BankEligibilityView:
        return await self.deps.bank_linkage.eligibility(context.principal(), request, _today())

    async def ExportBankPortal(
        self, request: gpb.ExportBankPortalRequest, ctx: Ctx
    ) -> gpb.ExportBankPortalResponse:
        return await self.deps.bank_linkage.export(context.principal(), request, _today())
