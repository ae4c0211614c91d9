"""Member-level data under the member's consent (X2, X3): request a consent, see its status,
withdraw it, and read the member's history within it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, status
from pydantic import BaseModel, Field

from gateway.external.auth import ApiCaller, ExternalAuth, api_caller
from gateway.inputs import Text
from gateway.routes.common import ServiceClients, metadata
from gateway.routes.consents import ConsentOut, consent_out
from lokos.identity.v1 import identity_pb2
from lokos.transactions.v1 import transactions_pb2

router = APIRouter(tags=["member data (consent)"])

Caller = Annotated[ApiCaller, Depends(api_caller)]
Uuid = Annotated[str, Path(pattern=r"^[0-9a-fA-F-]{36}$")]
DataScope = Literal["savings", "loans", "repayment_history"]


class PurposeIn(BaseModel):
    code: str = Field(pattern=r"^[A-Za-z0-9]{1,16}$", examples=["CREDIT"])
    text: Text = Field(min_length=3, max_length=256, examples=["Appraisal of an SHG loan"])


class DateRangeIn(BaseModel):
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")


class ConsentRequestIn(BaseModel):
    """What the client asks of the member (the DEPA artefact's fields LokOS uses)."""

    member_id: str = Field(pattern=r"^[0-9a-fA-F-]{36}$")
    purpose: PurposeIn
    data_scope: list[DataScope] = Field(min_length=1, max_length=3)
    data_range: DateRangeIn = Field(description="FIDataRange: dates of the data, inclusive")
    expires_on: date = Field(description="consentExpiry: the last day it may be used")
    mode: Literal["VIEW"] = "VIEW"


class SavingsOut(BaseModel):
    compulsory_paid: int
    compulsory_total: int
    voluntary_paid: int
    voluntary_total: int


class RepaymentOut(BaseModel):
    loan_due: int
    loan_repaid: int
    principal_repaid: int
    interest_repaid: int
    disbursed: int
    loan_outstanding: int


class HistoryLineOut(BaseModel):
    date: str
    meeting_number: int
    status: str = Field(description="APPROVED, or CLOSED: recorded, waiting for approval")
    attendance: str
    savings: SavingsOut | None = None
    repayment: RepaymentOut | None = None


class LoanOut(BaseModel):
    loan_id: str
    source: str
    principal: int
    outstanding_principal: int
    overdue_principal: int
    overdue_interest: int
    days_past_due: int


class MemberHistoryOut(BaseModel):
    member_id: str
    consent_id: str
    date_from: str = Field(description="The consented range, clipped to what was asked")
    date_to: str
    lines: list[HistoryLineOut]
    loans: list[LoanOut] | None = Field(description="Only with the 'loans' data scope")


@router.post("/consents", status_code=status.HTTP_201_CREATED)
async def request_consent(body: ConsentRequestIn, caller: Caller, c: ServiceClients) -> ConsentOut:
    """Ask the member for consent. She gives it through her bookkeeper with an OTP sent to her
    registered mobile; until then fetches are refused (403 ``consent_pending``)."""
    caller.require("member-history")
    answer = await c.identity.RequestConsent(
        identity_pb2.RequestConsentRequest(
            member_id=body.member_id,
            purpose_code=body.purpose.code,
            purpose_text=body.purpose.text,
            data_scope=body.data_scope,
            date_from=body.data_range.date_from.isoformat(),
            date_to=body.data_range.date_to.isoformat(),
            expires_on=body.expires_on.isoformat(),
            mode=body.mode,
        ),
        metadata=metadata(caller.principal),
        timeout=c.deadline,
    )
    return consent_out(answer)


@router.get("/consents/{consent_id}")
async def get_consent(consent_id: Uuid, caller: Caller, c: ServiceClients) -> ConsentOut:
    answer = await c.identity.GetConsent(
        identity_pb2.ConsentRef(consent_id=consent_id),
        metadata=metadata(caller.principal),
        timeout=c.deadline,
    )
    return consent_out(answer)


@router.post("/consents/{consent_id}/revoke")
async def withdraw_consent(consent_id: Uuid, caller: Caller, c: ServiceClients) -> ConsentOut:
    answer = await c.identity.RevokeConsent(
        identity_pb2.ConsentRef(consent_id=consent_id),
        metadata=metadata(caller.principal),
        timeout=c.deadline,
    )
    return consent_out(answer)


@router.get("/members/{member_id}/history")
async def member_history(
    member_id: Uuid,
    request: Request,
    c: ServiceClients,
    consent_id: Annotated[str, Query(pattern=r"^[0-9a-fA-F-]{36}$")],
    date_from: date | None = None,
    date_to: date | None = None,
) -> MemberHistoryOut:
    """The member's passbook lines (savings, repayments) and loans, within the consent's dates
    and data scope. 403 without an active consent of this client for this member; every fetch
    is recorded against the consent id."""
    auth: ExternalAuth = request.app.state.external_auth
    caller = await auth.caller(request, consent_id=consent_id, member_id=member_id)
    caller.require("member-history")
    consent = caller.consent
    assert consent is not None  # identity refuses member reads without one
    start = max(date.fromisoformat(consent.date_from), date_from or date.min)
    end = min(date.fromisoformat(consent.date_to), date_to or date.max)
    book = await c.transactions.GetPassbook(
        transactions_pb2.GetPassbookRequest(cbo_id=consent.shg_id, member_id=member_id),
        metadata=metadata(caller.principal),
        timeout=c.deadline,
    )
    scope = set(consent.data_scope)
    lines = []
    for line in book.lines:
        if not start <= date.fromisoformat(line.date) <= end:
            continue
        r = line.row
        lines.append(
            HistoryLineOut(
                date=line.date,
                meeting_number=line.meeting_number,
                status=line.status,
                attendance=r.attendance,
                savings=SavingsOut(
                    compulsory_paid=r.compulsory_paid,
                    compulsory_total=r.compulsory_total,
                    voluntary_paid=r.voluntary_paid,
                    voluntary_total=r.voluntary_total,
                )
                if "savings" in scope
                else None,
                repayment=RepaymentOut(
                    loan_due=r.loan_due,
                    loan_repaid=r.loan_repaid,
                    principal_repaid=r.principal_repaid,
                    interest_repaid=r.interest_repaid,
                    disbursed=r.disbursed,
                    loan_outstanding=r.loan_outstanding,
                )
                if "repayment_history" in scope
                else None,
            )
        )
    loans = (
        [
            LoanOut(
                loan_id=x.loan_id,
                source=x.source,
                principal=x.amount,
                outstanding_principal=x.outstanding_principal,
                overdue_principal=x.overdue_principal,
                overdue_interest=x.overdue_interest,
                days_past_due=x.days_past_due,
            )
            for x in book.loans
        ]
        if "loans" in scope
        else None
    )
    return MemberHistoryOut(
        member_id=member_id,
        consent_id=consent.consent_id,
        date_from=start.isoformat(),
        date_to=end.isoformat(),
        lines=lines,
        loans=loans,
    )
