"""SHG books: cut-off, meetings (online or up to 4 offline), approval, balances, loans, journal.

Thin: JSON ↔ the transactions contract. Amounts are integer paise (₹1 = 100); a fractional paisa
or a string is refused here with the field named; every rule is the service's.
"""

from __future__ import annotations

import uuid
from datetime import date
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Message
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from gateway.auth import allow
from gateway.inputs import INT32_MAX, SAFE_INT_MAX, IsoDate, Text
from gateway.routes.common import ServiceClients, metadata, problem_responses
from lokos import catalogue
from lokos.principal import Principal
from lokos.transactions.v1 import transactions_pb2 as pb

router = APIRouter(
    prefix="/books", tags=["transactions"], responses=problem_responses(404, 409, 423)
)

# Route permissions from the catalogue; the service checks the CBO mapping and the unit.
BookReader = Annotated[Principal, Depends(allow(catalogue.READERS))]
Bookkeeper = Annotated[Principal, Depends(allow(catalogue.BOOKKEEPERS))]
# F6: a CLF's books are approved by staff the state names (default the Block Program Manager).
Approver = Annotated[Principal, Depends(allow(catalogue.BOOK_APPROVERS))]

# Amounts reach the service as they are (it names a negative or absurd amount); the bounds
# are what the contract's int64 and every JSON client carry exactly.
Paise = Annotated[StrictInt, Field(ge=-SAFE_INT_MAX, le=SAFE_INT_MAX, description="integer paise")]
# Counts and numbers (meetings, instalments, rates): the contract's int32.
Count = Annotated[StrictInt, Field(ge=-INT32_MAX, le=INT32_MAX)]
MeetingNumber = Annotated[int, Path(ge=1, le=INT32_MAX)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BankAccountIn(Strict):
    account_id: Text = Field(min_length=1, max_length=64)
    kind: Text = "SB"
    drawing_power: Paise = 0


class LoanTermsIn(Strict):
    amount: Paise
    rate: Count = Field(description="hundredths of a percent per month: 200 = 2%")
    method: Text = "DECLINING_EMI"
    tenure: Count
    first_due_meeting: Count
    first_due_date: IsoDate


class CutOffMemberIn(Strict):
    member_id: Text = Field(min_length=1, max_length=64)
    compulsory: Paise = 0
    voluntary: Paise = 0
    compulsory_arrear: Paise = 0


class CutOffLoanIn(Strict):
    loan_id: Text = Field(min_length=1, max_length=64)
    member_id: Text = Field(min_length=1, max_length=64)
    source: Text = "OWN_FUNDS"
    terms: LoanTermsIn
    instalments_paid: Count = 0


class CutOffIn(Strict):
    date: IsoDate
    last_paper_meeting: Count = 0
    cash: Paise = 0
    banks: dict[str, Paise] = {}
    members: list[CutOffMemberIn] = []
    loans: list[CutOffLoanIn] = []
    funds: dict[str, Paise] = {}
    liabilities: dict[str, Paise] = {}
    surplus: Paise = 0
    frequency: Text = "MONTHLY"
    compulsory_amount: Paise = 0
    bank_accounts: list[BankAccountIn] = []


class CutOffRequest(Strict):
    client_id: uuid.UUID
    cutoff: CutOffIn


class RepaymentIn(Strict):
    loan_id: Text = Field(min_length=1, max_length=64)
    amount: Paise
    via: Text = "CASH"


class DisbursalIn(Strict):
    loan_id: Text = Field(min_length=1, max_length=64)
    amount: Paise
    rate: Count
    method: Text = "DECLINING_EMI"
    tenure: Count
    source: Text = "OWN_FUNDS"
    purpose: Text = Field(default="", max_length=64)
    first_due_meeting: Count = 0
    via: Text = "CASH"


class WithdrawalIn(Strict):
    kind: Text = Field(description="SAVINGS_RETURN (B4: on exit or share-out) or DIVIDEND")
    ledger: Text = Field(default="COMPULSORY", description="COMPULSORY or VOLUNTARY savings")
    amount: Paise
    resolution: Text = Field(min_length=1, max_length=100, description="the group's resolution")
    via: Text = "CASH"


# The upload's models take their empty lists from factories: pydantic deep-copies a mutable
# default for every instance, which was the largest cost of validating an upload of 4 meetings
# × 15 member lines.
class MemberLineIn(Strict):
    member_id: Text = Field(min_length=1, max_length=64)
    attendance: Text = "PRESENT"
    compulsory: Paise = 0
    voluntary: Paise = 0
    fine: Paise = 0
    repayments: list[RepaymentIn] = Field(default_factory=list)
    disbursals: list[DisbursalIn] = Field(default_factory=list)
    via: Text = "CASH"
    withdrawals: list[WithdrawalIn] = Field(default_factory=list, max_length=10)


class GroupLineIn(Strict):
    kind: Text
    head: Text
    amount: Paise
    via: Text = "CASH"
    narration: Text = Field(default="", max_length=200)


class ContraIn(Strict):
    from_location: Text
    to_location: Text
    amount: Paise


class BankEventIn(Strict):
    account_id: Text
    kind: Text
    amount: Paise


class CorrectionIn(Strict):
    entry_id: StrictInt = Field(ge=1, le=SAFE_INT_MAX, description="JournalEntry id to reverse")
    reason: Text = Field(min_length=1, max_length=500)


class MeetingIn(Strict):
    client_id: uuid.UUID
    number: Count
    date: IsoDate
    members: list[MemberLineIn] = Field(default_factory=list, max_length=500)
    group: list[GroupLineIn] = Field(default_factory=list)
    contras: list[ContraIn] = Field(default_factory=list)
    bank_events: list[BankEventIn] = Field(default_factory=list)
    cash_counted: Paise
    passbook: dict[str, Paise] = Field(default_factory=dict)
    corrections: list[CorrectionIn] = Field(
        default_factory=list,
        max_length=50,
        description="A6/E5: reverse entries of earlier approved meetings here, with a reason",
    )


class UploadRequest(Strict):
    meetings: list[MeetingIn] = Field(min_length=1, max_length=10)


class SettingsIn(Strict):
    effective_from: IsoDate
    frequency: Text = "MONTHLY"
    compulsory_amount: Paise


class Decision(Strict):
    approve: bool
    remarks: Text = Field(default="", max_length=500)


_FIELD, _MESSAGE, _MESSAGES, _LIST, _MAP, _MAP_OF_MESSAGES = range(6)


@cache
def _plan(d: Descriptor) -> tuple[tuple[str, int], ...]:
    """How each field of a message type is written out, worked out once per type (reflection
    on every field of every row was the largest cost of a long passbook)."""
    out = []
    for f in d.fields:
        if f.message_type is not None and f.message_type.GetOptions().map_entry:
            value = f.message_type.fields_by_name["value"]
            out.append((f.name, _MAP_OF_MESSAGES if value.message_type is not None else _MAP))
        elif f.message_type is not None:
            out.append((f.name, _MESSAGES if f.is_repeated else _MESSAGE))
        else:
            out.append((f.name, _LIST if f.is_repeated else _FIELD))
    return tuple(out)


def plain(msg: Message) -> dict[str, Any]:
    """A proto message as JSON-ready Python with int64 as numbers (not strings), every field."""
    out: dict[str, Any] = {}
    for name, kind in _plan(msg.DESCRIPTOR):
        value = getattr(msg, name)
        if kind == _FIELD:
            out[name] = value
        elif kind == _MESSAGES:
            out[name] = [plain(v) for v in value]
        elif kind == _MESSAGE:
            out[name] = plain(value) if msg.HasField(name) else None
        elif kind == _LIST:
            out[name] = list(value)
        elif kind == _MAP:
            out[name] = dict(value)
        else:
            out[name] = {k: plain(v) for k, v in value.items()}
    return out


def _dates(value: Any) -> Any:
    """Pydantic dates and UUIDs as the contract's strings."""
    if isinstance(value, dict):
        return {k: _dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates(v) for v in value]
    if isinstance(value, date | uuid.UUID):
        return str(value)
    return value


@router.post("/{cbo_id}/cutoff", status_code=status.HTTP_201_CREATED)
async def submit_cutoff(
    cbo_id: uuid.UUID,
    body: CutOffRequest,
    principal: Bookkeeper,
    c: ServiceClients,
    response: Response,
) -> dict[str, Any]:
    req = pb.SubmitCutOffRequest(
        cbo_id=str(cbo_id),
        client_id=str(body.client_id),
        cutoff=pb.CutOffIn(**_dates(body.cutoff.model_dump())),
    )
    view = await c.transactions.SubmitCutOff(req, metadata=metadata(principal), timeout=c.deadline)
    if view.replayed:
        response.status_code = status.HTTP_200_OK
    return plain(view)


@router.post("/{cbo_id}/cutoff/decision")
async def decide_cutoff(
    cbo_id: uuid.UUID, body: Decision, principal: Approver, c: ServiceClients
) -> dict[str, Any]:
    req = pb.DecideCutOffRequest(cbo_id=str(cbo_id), approve=body.approve, remarks=body.remarks)
    return plain(
        await c.transactions.DecideCutOff(req, metadata=metadata(principal), timeout=c.deadline)
    )


@router.post("/{cbo_id}/meetings")
async def upload_meetings(
    cbo_id: uuid.UUID, body: UploadRequest, principal: Bookkeeper, c: ServiceClients
) -> dict[str, Any]:
    """One meeting online, or up to 4 captured offline, applied in order (J2)."""
    req = pb.UploadMeetingsRequest(
        cbo_id=str(cbo_id),
        # mode="json": dates and UUIDs as the contract's strings, converted by pydantic's core
        meetings=[pb.MeetingIn(**m.model_dump(mode="json")) for m in body.meetings],
    )
    return plain(
        await c.transactions.UploadMeetings(req, metadata=metadata(principal), timeout=c.deadline)
    )


@router.get("/{cbo_id}/meetings")
async def list_meetings(
    cbo_id: uuid.UUID, principal: BookReader, c: ServiceClients
) -> dict[str, Any]:
    req = pb.ListMeetingsRequest(cbo_id=str(cbo_id))
    return plain(
        await c.transactions.ListMeetings(req, metadata=metadata(principal), timeout=c.deadline)
    )


@router.get("/{cbo_id}/meetings/{number}")
async def get_meeting(
    cbo_id: uuid.UUID, number: MeetingNumber, principal: BookReader, c: ServiceClients
) -> dict[str, Any]:
    req = pb.GetMeetingRequest(cbo_id=str(cbo_id), number=number)
    return plain(
        await c.transactions.GetMeeting(req, metadata=metadata(principal), timeout=c.deadline)
    )


@router.post("/{cbo_id}/meetings/{number}/decision")
async def decide_meeting(
    cbo_id: uuid.UUID, number: MeetingNumber, body: Decision, principal: Approver, c: ServiceClients
) -> dict[str, Any]:
    req = pb.DecideMeetingRequest(
        cbo_id=str(cbo_id), number=number, approve=body.approve, remarks=body.remarks
    )
    return plain(
        await c.transactions.DecideMeeting(req, metadata=metadata(principal), timeout=c.deadline)
    )


@router.get("/{cbo_id}/balances")
async def balances(
    cbo_id: uuid.UUID,
    principal: BookReader,
    c: ServiceClients,
    as_of: Annotated[IsoDate | None, Query()] = None,
    approved_only: bool = False,
) -> dict[str, Any]:
    """Balances per account, trial balance and balance sheet as of a date (default today)."""
    req = pb.GetBalancesRequest(
        cbo_id=str(cbo_id), as_of=as_of.isoformat() if as_of else "", approved_only=approved_only
    )
    return plain(
        await c.transactions.GetBalances(req, metadata=metadata(principal), timeout=c.deadline)
    )


@router.get("/{cbo_id}/loans/{loan_id}")
async def loan(
    cbo_id: uuid.UUID,
    loan_id: Annotated[Text, Path(max_length=64)],
    principal: BookReader,
    c: ServiceClients,
    as_of: Annotated[IsoDate | None, Query()] = None,
) -> dict[str, Any]:
    """The loan with its schedule, what was paid, overdue and days past due."""
    req = pb.GetLoanRequest(
        cbo_id=str(cbo_id), loan_id=loan_id, as_of=as_of.isoformat() if as_of else ""
    )
    return plain(
        await c.transactions.GetLoan(req, metadata=metadata(principal), timeout=c.deadline)
    )


@router.get("/{cbo_id}/journal")
async def journal(
    cbo_id: uuid.UUID,
    principal: BookReader,
    c: ServiceClients,
    meeting: Annotated[int, Query(ge=0, le=INT32_MAX, description="0: the cut-off entry")] = 0,
) -> dict[str, Any]:
    req = pb.GetJournalRequest(cbo_id=str(cbo_id), meeting_number=meeting)
    return plain(
        await c.transactions.GetJournal(req, metadata=metadata(principal), timeout=c.deadline)
    )


@router.get("/{cbo_id}/members/{member_id}/passbook")
async def passbook(
    cbo_id: uuid.UUID,
    member_id: Annotated[Text, Path(max_length=64)],
    principal: BookReader,
    c: ServiceClients,
) -> dict[str, Any]:
    """The member's savings-cum-loan passbook (R9)."""
    req = pb.GetPassbookRequest(cbo_id=str(cbo_id), member_id=member_id)
    return plain(
        await c.transactions.GetPassbook(req, metadata=metadata(principal), timeout=c.deadline)
    )


@router.get("/{cbo_id}/pack")
async def meeting_pack(
    cbo_id: uuid.UUID, principal: BookReader, c: ServiceClients
) -> dict[str, Any]:
    """What the app downloads before conducting the next meeting(s) offline."""
    req = pb.GetMeetingPackRequest(cbo_id=str(cbo_id))
    return plain(
        await c.transactions.GetMeetingPack(req, metadata=metadata(principal), timeout=c.deadline)
    )


@router.get("/{cbo_id}/receipts-payments")
async def receipts_payments(
    cbo_id: uuid.UUID,
    principal: BookReader,
    c: ServiceClients,
    from_date: Annotated[IsoDate | None, Query(alias="from")] = None,
    to_date: Annotated[IsoDate | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    """Receipts & Payments account for a period (R8); default: this month to date."""
    req = pb.GetReceiptsPaymentsRequest(
        cbo_id=str(cbo_id),
        from_date=from_date.isoformat() if from_date else "",
        to_date=to_date.isoformat() if to_date else "",
    )
    return plain(
        await c.transactions.GetReceiptsPayments(
            req, metadata=metadata(principal), timeout=c.deadline
        )
    )


@router.post("/{cbo_id}/settings")
async def change_settings(
    cbo_id: uuid.UUID, body: SettingsIn, principal: Bookkeeper, c: ServiceClients
) -> dict[str, Any]:
    """Frequency and compulsory savings from a date on (A2, B1); the history comes back."""
    req = pb.ChangeSettingsRequest(
        cbo_id=str(cbo_id),
        effective_from=body.effective_from.isoformat(),
        frequency=body.frequency,
        compulsory_amount=body.compulsory_amount,
    )
    return plain(
        await c.transactions.ChangeSettings(req, metadata=metadata(principal), timeout=c.deadline)
    )
