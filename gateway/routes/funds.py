"""Community funds between the books (F1–F6): record, approve, confirm, reconcile.

Thin: JSON ↔ the Funds contract. Amounts are integer paise; a fractional paisa or a string is
refused here with the field named; every rule (eligibility, tiers, approvers) is the service's.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from gateway.auth import allow
from gateway.inputs import INT32_MAX, SAFE_INT_MAX, IsoDate, Text
from gateway.routes.common import ServiceClients, metadata, problem_responses
from gateway.routes.transactions import plain
from lokos import catalogue
from lokos.principal import Principal
from lokos.transactions.v1 import funds_pb2 as fpb

router = APIRouter(prefix="/funds", tags=["funds"], responses=problem_responses(404, 409))

# Route permissions from the catalogue; the service checks the tier, the federation and the unit.
Reader = Annotated[Principal, Depends(allow(catalogue.READERS))]
Recorder = Annotated[Principal, Depends(allow(catalogue.BOOKKEEPERS | catalogue.FUND_RELEASERS))]
Bookkeeper = Annotated[Principal, Depends(allow(catalogue.BOOKKEEPERS))]
Approver = Annotated[Principal, Depends(allow(catalogue.FUND_APPROVERS))]
StaffReader = Annotated[Principal, Depends(allow(catalogue.STAFF_READERS))]

Paise = Annotated[StrictInt, Field(ge=-SAFE_INT_MAX, le=SAFE_INT_MAX, description="integer paise")]
Count = Annotated[StrictInt, Field(ge=-INT32_MAX, le=INT32_MAX)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TransferIn(Strict):
    client_id: uuid.UUID
    movement: Text = Field(description="RELEASE, GRANT, LOAN or REPAYMENT")
    fund: Text = Field(description="RF, CIF, VRF, START_UP, CEF")
    giver_id: uuid.UUID | None = Field(default=None, description="none for a RELEASE")
    receiver_id: uuid.UUID
    amount: Paise
    mode: Text = "BANK"
    giver_account: Text = Field(default="", max_length=64)
    date: IsoDate | None = None
    reference: Text = Field(default="", max_length=100)
    loan_id: Text = Field(default="", max_length=64)
    rate: Count = Field(default=0, description="hundredths of a percent per month: 100 = 1%")
    tenure: Count = 0
    method: Text = "DECLINING_EMI"


class Decision(Strict):
    approve: bool
    remarks: Text = Field(default="", max_length=500)


class Confirmation(Strict):
    amount: Paise = Field(description="as the receiver's passbook shows it")
    date: IsoDate | None = None
    mode: Text = "BANK"
    receiver_account: Text = Field(default="", max_length=64)


@router.post("/transfers", status_code=status.HTTP_201_CREATED)
async def record_transfer(
    body: TransferIn, principal: Recorder, c: ServiceClients, response: Response
) -> dict[str, Any]:
    """Record a movement once, in the giver's book (F5); idempotent by `client_id`."""
    req = fpb.RecordTransferRequest(
        client_id=str(body.client_id),
        movement=body.movement,
        fund=body.fund,
        giver_id=str(body.giver_id) if body.giver_id else "",
        receiver_id=str(body.receiver_id),
        amount=body.amount,
        mode=body.mode,
        giver_account=body.giver_account,
        date=body.date.isoformat() if body.date else "",
        reference=body.reference,
        loan_id=body.loan_id,
        rate=body.rate,
        tenure=body.tenure,
        method=body.method,
    )
    view = await c.funds.RecordTransfer(req, metadata=metadata(principal), timeout=c.deadline)
    if view.replayed:
        response.status_code = status.HTTP_200_OK
    return plain(view)


@router.post("/transfers/{transfer_id}/decision")
async def decide_transfer(
    transfer_id: uuid.UUID, body: Decision, principal: Approver, c: ServiceClients
) -> dict[str, Any]:
    """The giver tier's approver (F6, J1) approves, or rejects with remarks."""
    req = fpb.DecideTransferRequest(
        transfer_id=str(transfer_id), approve=body.approve, remarks=body.remarks
    )
    return plain(
        await c.funds.DecideTransfer(req, metadata=metadata(principal), timeout=c.deadline)
    )


@router.post("/transfers/{transfer_id}/confirmation")
async def confirm_transfer(
    transfer_id: uuid.UUID, body: Confirmation, principal: Bookkeeper, c: ServiceClients
) -> dict[str, Any]:
    """The receiver's bookkeeper books her side with the amount that reached her."""
    req = fpb.ConfirmTransferRequest(
        transfer_id=str(transfer_id),
        amount=body.amount,
        date=body.date.isoformat() if body.date else "",
        mode=body.mode,
        receiver_account=body.receiver_account,
    )
    return plain(
        await c.funds.ConfirmTransfer(req, metadata=metadata(principal), timeout=c.deadline)
    )


@router.get("/transfers/{transfer_id}")
async def get_transfer(
    transfer_id: uuid.UUID, principal: Reader, c: ServiceClients
) -> dict[str, Any]:
    req = fpb.GetTransferRequest(transfer_id=str(transfer_id))
    return plain(await c.funds.GetTransfer(req, metadata=metadata(principal), timeout=c.deadline))


@router.get("/cbos/{cbo_id}/transfers")
async def list_transfers(
    cbo_id: uuid.UUID,
    principal: Reader,
    c: ServiceClients,
    awaiting_confirmation: bool = False,
) -> dict[str, Any]:
    """A CBO's transfers; `awaiting_confirmation`: its pending counterparts to confirm."""
    req = fpb.ListTransfersRequest(cbo_id=str(cbo_id), awaiting_confirmation=awaiting_confirmation)
    return plain(await c.funds.ListTransfers(req, metadata=metadata(principal), timeout=c.deadline))


@router.get("/reconciliation")
async def reconciliation(
    principal: StaffReader,
    c: ServiceClients,
    block: Annotated[Text, Query(min_length=1, max_length=16, description="block LGD code")],
    as_of: Annotated[IsoDate | None, Query()] = None,
) -> dict[str, Any]:
    """F5: the block's transfers whose two books disagree, oldest first, with age buckets."""
    req = fpb.ReconciliationRequest(block_lgd_code=block, as_of=as_of.isoformat() if as_of else "")
    return plain(
        await c.funds.Reconciliation(req, metadata=metadata(principal), timeout=c.deadline)
    )
