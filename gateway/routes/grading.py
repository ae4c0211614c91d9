"""Panchasutra grading from the books (K1–K3) and the SHG's bank loans (G1–G8).

Thin: JSON ↔ the GradingService and BankLinkageService contracts. Amounts are integer paise;
the rules are the transactions service's. The bank-portal files (G8) are plain text, one line per
record, '|' between fields, dates YYYY-MM-DD, as the NRLM portal takes them.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from gateway.auth import allow
from gateway.inputs import INT32_MAX, SAFE_INT_MAX, IsoDate, Text
from gateway.routes.common import ServiceClients, metadata, problem_responses
from gateway.routes.transactions import plain
from lokos import catalogue
from lokos.principal import Principal
from lokos.transactions.v1 import grading_pb2 as gpb

router = APIRouter(tags=["grading and bank linkage"], responses=problem_responses(404, 409))

BookReader = Annotated[Principal, Depends(allow(catalogue.READERS))]
Staff = Annotated[Principal, Depends(allow(catalogue.STAFF_READERS))]
Bookkeeper = Annotated[Principal, Depends(allow(catalogue.BOOKKEEPERS))]

Paise = Annotated[StrictInt, Field(ge=-SAFE_INT_MAX, le=SAFE_INT_MAX, description="integer paise")]
Count = Annotated[StrictInt, Field(ge=-INT32_MAX, le=INT32_MAX)]
BlockCode = Annotated[str, Path(pattern=r"^[0-9]{1,16}$", description="the block's LGD code")]
LoanAccount = Annotated[str, Path(pattern=r"^[A-Za-z0-9/-]{1,32}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GradeRequest(Strict):
    as_of: IsoDate | None = Field(
        default=None,
        description="grade the last complete months on or before this date (default today)",
    )


class SanctionIn(Strict):
    client_id: uuid.UUID
    loan_account: Text = Field(max_length=32, description="the bank's loan account number")
    facility: Text = Field(description="TL (term loan) or CC (cash credit)")
    sb_account: Text = Field(max_length=64, description="the SHG's SB account in its books")
    sanctioned_on: IsoDate
    amount: Paise = Field(description="sanction (TL) or limit (CC)")
    drawing_power: Paise = 0
    rate: Count = Field(description="hundredths of a percent per annum: 1150 = 11.50%")
    instalments: Count = 0
    instalment_amount: Paise = 0
    frequency: Text = Field(default="M", description="M, Q, H or Y")
    first_due_on: IsoDate | None = None
    moratorium_months: Count = 0
    ifsc: Text = Field(max_length=11)
    capital_subsidy: StrictBool = False
    sb_opened_on: IsoDate
    pin: Text = Field(default="", max_length=6)


class MoneyIn(Strict):
    client_id: uuid.UUID
    on: IsoDate = Field(description="the bank's date")
    amount: Paise
    interest: Paise = Field(default=0, description="repayments: the part that is interest")
    particulars: Text = Field(default="", max_length=100)


async def _compute(c: ServiceClients, principal: Principal, req: gpb.ComputeGradesRequest) -> Any:
    return plain(
        await c.grading.ComputeGrades(req, metadata=metadata(principal), timeout=c.deadline * 6)
    )


@router.post("/books/{cbo_id}/grades")
async def grade_shg(
    cbo_id: uuid.UUID, body: GradeRequest, principal: Staff, c: ServiceClients
) -> dict[str, Any]:
    """Grade one SHG from its books (K3) and store the grade with the values used."""
    req = gpb.ComputeGradesRequest(
        cbo_id=str(cbo_id), as_of=body.as_of.isoformat() if body.as_of else ""
    )
    result: dict[str, Any] = await _compute(c, principal, req)
    return result


@router.post("/blocks/{block}/grades")
async def grade_block(
    block: BlockCode, body: GradeRequest, principal: Staff, c: ServiceClients
) -> dict[str, Any]:
    """Grade every SHG with books in the block (staff whose unit reaches the block)."""
    req = gpb.ComputeGradesRequest(
        block_lgd_code=block, as_of=body.as_of.isoformat() if body.as_of else ""
    )
    result: dict[str, Any] = await _compute(c, principal, req)
    return result


@router.get("/books/{cbo_id}/grades")
async def list_grades(
    cbo_id: uuid.UUID, principal: BookReader, c: ServiceClients
) -> dict[str, Any]:
    """The SHG's stored grades, newest first, each with its indicator values and policy."""
    req = gpb.ListGradesRequest(cbo_id=str(cbo_id))
    return plain(await c.grading.ListGrades(req, metadata=metadata(principal), timeout=c.deadline))


@router.post("/books/{cbo_id}/bank-loans", status_code=201)
async def sanction(
    cbo_id: uuid.UUID, body: SanctionIn, principal: Bookkeeper, c: ServiceClients
) -> dict[str, Any]:
    """G2: a term loan or a cash-credit limit sanctioned by the SHG's bank."""
    values = body.model_dump()
    values["client_id"] = str(body.client_id)
    for name in ("sanctioned_on", "first_due_on", "sb_opened_on"):
        values[name] = values[name].isoformat() if values[name] else ""
    req = gpb.SanctionBankLoanRequest(cbo_id=str(cbo_id), **values)
    return plain(
        await c.bank_linkage.SanctionBankLoan(req, metadata=metadata(principal), timeout=c.deadline)
    )


def _money(cbo_id: uuid.UUID, account: str, body: MoneyIn) -> gpb.BankLoanMoneyRequest:
    return gpb.BankLoanMoneyRequest(
        cbo_id=str(cbo_id),
        loan_account=account,
        client_id=str(body.client_id),
        on=body.on.isoformat(),
        amount=body.amount,
        interest=body.interest,
        particulars=body.particulars,
    )


@router.post("/books/{cbo_id}/bank-loans/{account}/disbursals")
async def disburse(
    cbo_id: uuid.UUID,
    account: LoanAccount,
    body: MoneyIn,
    principal: Bookkeeper,
    c: ServiceClients,
) -> dict[str, Any]:
    """A drawal into the SHG's SB account on the bank's date (a ledger entry)."""
    return plain(
        await c.bank_linkage.DisburseBankLoan(
            _money(cbo_id, account, body), metadata=metadata(principal), timeout=c.deadline
        )
    )


@router.post("/books/{cbo_id}/bank-loans/{account}/repayments")
async def repay(
    cbo_id: uuid.UUID,
    account: LoanAccount,
    body: MoneyIn,
    principal: Bookkeeper,
    c: ServiceClients,
) -> dict[str, Any]:
    """A repayment to the bank from the SB account: principal and interest, on its date."""
    return plain(
        await c.bank_linkage.RepayBankLoan(
            _money(cbo_id, account, body), metadata=metadata(principal), timeout=c.deadline
        )
    )


@router.get("/books/{cbo_id}/bank-loans/{account}")
async def bank_loan(
    cbo_id: uuid.UUID,
    account: LoanAccount,
    principal: BookReader,
    c: ServiceClients,
    as_of: Annotated[IsoDate | None, Query()] = None,
) -> dict[str, Any]:
    """The loan's statement, days past due, NPA (G6) and prompt payer per quarter (G5, R12)."""
    req = gpb.GetBankLoanRequest(
        cbo_id=str(cbo_id), loan_account=account, as_of=as_of.isoformat() if as_of else ""
    )
    return plain(
        await c.bank_linkage.GetBankLoan(req, metadata=metadata(principal), timeout=c.deadline)
    )


@router.get("/books/{cbo_id}/bank-eligibility")
async def bank_eligibility(
    cbo_id: uuid.UUID,
    principal: BookReader,
    c: ServiceClients,
    on: Annotated[IsoDate | None, Query()] = None,
) -> dict[str, Any]:
    """G1: may the SHG be linked to a bank loan on this date (default today), and why not."""
    req = gpb.GetBankEligibilityRequest(cbo_id=str(cbo_id), on=on.isoformat() if on else "")
    return plain(
        await c.bank_linkage.GetBankEligibility(
            req, metadata=metadata(principal), timeout=c.deadline
        )
    )


def _portal_file(answer: gpb.ExportBankPortalResponse, template: int) -> PlainTextResponse:
    return PlainTextResponse(
        answer.template1 if template == 1 else answer.template2,
        headers={"Content-Disposition": f'attachment; filename="template{template}.txt"'},
    )


Template = Annotated[int, Query(ge=1, le=2, description="1: loan data; 2: statement")]
From = Annotated[IsoDate | None, Query(alias="from")]
To = Annotated[IsoDate | None, Query(alias="to")]


@router.get("/books/{cbo_id}/bank-portal", response_class=PlainTextResponse)
async def portal_shg(
    cbo_id: uuid.UUID,
    template: Template,
    principal: BookReader,
    c: ServiceClients,
    from_date: From = None,
    to_date: To = None,
) -> PlainTextResponse:
    """G8: the SHG's bank-portal file: pipe-delimited, ISO dates."""
    req = gpb.ExportBankPortalRequest(
        cbo_id=str(cbo_id),
        from_date=from_date.isoformat() if from_date else "",
        to_date=to_date.isoformat() if to_date else "",
    )
    answer = await c.bank_linkage.ExportBankPortal(
        req, metadata=metadata(principal), timeout=c.deadline
    )
    return _portal_file(answer, template)


@router.get("/blocks/{block}/bank-portal", response_class=PlainTextResponse)
async def portal_block(
    block: BlockCode,
    template: Template,
    principal: Staff,
    c: ServiceClients,
    from_date: From = None,
    to_date: To = None,
) -> PlainTextResponse:
    """G8: every SHG bank loan of the block in one file."""
    req = gpb.ExportBankPortalRequest(
        block_lgd_code=block,
        from_date=from_date.isoformat() if from_date else "",
        to_date=to_date.isoformat() if to_date else "",
    )
    answer = await c.bank_linkage.ExportBankPortal(
        req, metadata=metadata(principal), timeout=c.deadline * 3
    )
    return _portal_file(answer, template)
