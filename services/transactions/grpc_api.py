"""TransactionsService over gRPC: thin; the rules are in :mod:`services.transactions.service`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import grpc

from lokos import context
from lokos.transactions.v1 import transactions_pb2 as pb
from lokos.transactions.v1 import transactions_pb2_grpc
from services.transactions import totals
from services.transactions.deps import Deps

Ctx = grpc.aio.ServicerContext[Any, Any]


def _today() -> dt.date:
    # The books' calendar is India's (A7: nothing dated after today there).
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=5, minutes=30))).date()


class TransactionsServicer(transactions_pb2_grpc.TransactionsServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def SubmitCutOff(self, request: pb.SubmitCutOffRequest, ctx: Ctx) -> pb.CutOffView:
        return await self.deps.books.submit_cutoff(context.principal(), request, _today())

    async def UploadMeetings(
        self, request: pb.UploadMeetingsRequest, ctx: Ctx
    ) -> pb.UploadMeetingsResponse:
        return await self.deps.books.upload_meetings(context.principal(), request, _today())

    async def DecideMeeting(self, request: pb.DecideMeetingRequest, ctx: Ctx) -> pb.MeetingView:
        return await self.deps.books.decide_meeting(context.principal(), request)

    async def DecideCutOff(self, request: pb.DecideCutOffRequest, ctx: Ctx) -> pb.CutOffView:
        return await self.deps.books.decide_cutoff(context.principal(), request)

    async def ListMeetings(
        self, request: pb.ListMeetingsRequest, ctx: Ctx
    ) -> pb.ListMeetingsResponse:
        return await self.deps.books.list_meetings(context.principal(), request.cbo_id)

    async def GetMeeting(self, request: pb.GetMeetingRequest, ctx: Ctx) -> pb.MeetingView:
        return await self.deps.books.get_meeting(
            context.principal(), request.cbo_id, request.number
        )

    async def GetBalances(self, request: pb.GetBalancesRequest, ctx: Ctx) -> pb.BalancesView:
        return await self.deps.books.balances(context.principal(), request, _today())

    async def GetLoan(self, request: pb.GetLoanRequest, ctx: Ctx) -> pb.LoanView:
        return await self.deps.books.loan(context.principal(), request, _today())

    async def GetJournal(self, request: pb.GetJournalRequest, ctx: Ctx) -> pb.JournalView:
        return await self.deps.books.journal(context.principal(), request)

    async def GetPassbook(self, request: pb.GetPassbookRequest, ctx: Ctx) -> pb.PassbookView:
        return await self.deps.books.passbook(context.principal(), request, _today())

    async def GetMeetingPack(
        self, request: pb.GetMeetingPackRequest, ctx: Ctx
    ) -> pb.MeetingPackView:
        return await self.deps.books.meeting_pack(context.principal(), request, _today())

    async def GetReceiptsPayments(
        self, request: pb.GetReceiptsPaymentsRequest, ctx: Ctx
    ) -> pb.ReceiptsPaymentsView:
        return await self.deps.books.receipts_payments(context.principal(), request, _today())

    async def ChangeSettings(self, request: pb.ChangeSettingsRequest, ctx: Ctx) -> pb.SettingsView:
        return await self.deps.books.change_settings(context.principal(), request)

    async def CountBooksByBlock(
        self, request: pb.CountBooksByBlockRequest, ctx: Ctx
    ) -> pb.CountBooksByBlockResponse:
        return await totals.count_books_by_block(self.deps.db, context.principal())
