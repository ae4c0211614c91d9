"""Translation between the contract (proto), the stored JSON and the core's objects.

Bad enum values and dates become ``FieldError``s naming the field, so a garbage request is refused
like any other invalid input and nothing is recorded.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, TypeVar

from lokos.transactions.v1 import transactions_pb2 as pb
from services.transactions.books.accounts import BankAccountKind, LoanSource
from services.transactions.books.cutoff import CutOffLoan, CutOffMember, CutOffSheet
from services.transactions.books.loans import LoanState, Paid
from services.transactions.books.meeting import (
    CASH,
    Attendance,
    BankAccount,
    BankEvent,
    BankEventKind,
    Contra,
    Disbursal,
    FieldError,
    GroupLine,
    GroupLineKind,
    Meeting,
    MemberLine,
    MemberRow,
    Outcome,
    Repayment,
    SavingsLedger,
    Totals,
    Withdrawal,
    WithdrawalKind,
)
from services.transactions.books.schedule import Frequency, Instalment, LoanTerms, Method

E = TypeVar("E", bound=enum.Enum)


class Reader:
    """Collects field errors while converting one request."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def enum(self, kind: type[E], value: str, field: str, default: E | None = None) -> E:
        if not value and default is not None:
            return default
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in kind)
            self.errors.append(FieldError(field, f"must be one of {allowed}"))
            return default if default is not None else next(iter(kind))

    def date(self, value: str, field: str) -> dt.date:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.errors.append(FieldError(field, "must be a date as YYYY-MM-DD"))
            return dt.date.min

    def terms(self, t: pb.LoanTermsIn, field: str) -> LoanTerms | None:
        method = self.enum(Method, t.method, f"{field}.method", Method.DECLINING_EMI)
        first = self.date(t.first_due_date, f"{field}.first_due_date")
        try:
            return LoanTerms(t.amount, t.rate, method, t.tenure, t.first_due_meeting, first)
        except ValueError as e:
            self.errors.append(FieldError(field, str(e)))
            return None


def _via(value: str) -> str:
    return value or CASH


def meeting_from_proto(m: pb.MeetingIn, r: Reader) -> Meeting:
    members = []
    for i, line in enumerate(m.members):
        f = f"members[{i}]"
        members.append(
            MemberLine(
                member_id=line.member_id,
                attendance=r.enum(
                    Attendance, line.attendance, f"{f}.attendance", Attendance.PRESENT
                ),
                compulsory=line.compulsory,
                voluntary=line.voluntary,
                fine=line.fine,
                repayments=tuple(
                    Repayment(x.loan_id, x.amount, _via(x.via)) for x in line.repayments
                ),
                disbursals=tuple(
                    Disbursal(
                        loan_id=d.loan_id,
                        amount=d.amount,
                        rate=d.rate,
                        method=r.enum(
                            Method, d.method, f"{f}.disbursals[{j}].method", Method.DECLINING_EMI
                        ),
                        tenure=d.tenure,
                        source=r.enum(
                            LoanSource,
                            d.source,
                            f"{f}.disbursals[{j}].source",
                            LoanSource.OWN_FUNDS,
                        ),
                        purpose=d.purpose,
                        first_due_meeting=d.first_due_meeting or None,
                        via=_via(d.via),
                    )
                    for j, d in enumerate(line.disbursals)
                ),
                via=_via(line.via),
                withdrawals=tuple(
                    Withdrawal(
                        kind=r.enum(
                            WithdrawalKind,
                            w.kind,
                            f"{f}.withdrawals[{k}].kind",
                            WithdrawalKind.SAVINGS_RETURN,
                        ),
                        amount=w.amount,
                        resolution=w.resolution,
                        ledger=r.enum(
                            SavingsLedger,
                            w.ledger,
                            f"{f}.withdrawals[{k}].ledger",
                            SavingsLedger.COMPULSORY,
                        ),
                        via=_via(w.via),
                    )
                    for k, w in enumerate(line.withdrawals)
                ),
            )
        )
    return Meeting(
        number=m.number,
        date=r.date(m.date, "date"),
        members=tuple(members),
        group=tuple(
            GroupLine(
                r.enum(GroupLineKind, g.kind, f"group[{i}].kind"),
                g.head,
                g.amount,
                _via(g.via),
                g.narration,
            )
            for i, g in enumerate(m.group)
        ),
        contras=tuple(Contra(c.from_location, c.to_location, c.amount) for c in m.contras),
        bank_events=tuple(
            BankEvent(
                b.account_id, r.enum(BankEventKind, b.kind, f"bank_events[{i}].kind"), b.amount
            )
            for i, b in enumerate(m.bank_events)
        ),
        cash_counted=m.cash_counted,
        passbook=dict(m.passbook),
    )


def cutoff_from_proto(c: pb.CutOffIn, r: Reader) -> tuple[CutOffSheet, dict[str, BankAccount]]:
    loans = []
    for i, ln in enumerate(c.loans):
        terms = r.terms(ln.terms, f"cutoff.loans[{i}].terms")
        if terms is not None:
            loans.append(
                CutOffLoan(
                    ln.loan_id,
                    ln.member_id,
                    terms,
                    ln.instalments_paid,
                    r.enum(
                        LoanSource, ln.source, f"cutoff.loans[{i}].source", LoanSource.OWN_FUNDS
                    ),
                )
            )
    banks = {
        b.account_id: BankAccount(
            b.account_id,
            r.enum(BankAccountKind, b.kind, f"cutoff.bank_accounts[{i}].kind", BankAccountKind.SB),
            b.drawing_power,
        )
        for i, b in enumerate(c.bank_accounts)
    }
    for bank_id in c.banks:
        if bank_id not in banks:
            r.errors.append(FieldError(f"cutoff.banks.{bank_id}", "not among bank_accounts"))
    sheet = CutOffSheet(
        date=r.date(c.date, "cutoff.date"),
        last_paper_meeting=c.last_paper_meeting,
        cash=c.cash,
        banks=dict(c.banks),
        members=tuple(
            CutOffMember(m.member_id, m.compulsory, m.voluntary, m.compulsory_arrear)
            for m in c.members
        ),
        loans=tuple(loans),
        funds=dict(c.funds),
        liabilities=dict(c.liabilities),
        surplus=c.surplus,
    )
    return sheet, banks


# --- loans as stored JSON ----------------------------------------------------------------------


def loan_to_json(loan: LoanState) -> dict[str, Any]:
    t = loan.terms
    return {
        "loan_id": loan.loan_id,
        "member_id": loan.member_id,
        "source": loan.source.value,
        "terms": [
            t.amount,
            t.rate,
            t.method.value,
            t.tenure,
            t.first_due_meeting,
            t.first_due_date.isoformat(),
            t.frequency.value,
        ],
        "schedule": [
            [
                i.number,
                i.due_meeting,
                i.due_date.isoformat(),
                i.principal,
                i.interest,
                i.balance_after,
            ]
            for i in loan.schedule
        ],
        "paid": [[p.principal, p.interest] for p in loan.paid],
        "penalty_due": loan.penalty_due,
    }


def loan_from_json(d: dict[str, Any]) -> LoanState:
    a, rate, method, tenure, first, first_date, freq = d["terms"]
    return LoanState(
        loan_id=d["loan_id"],
        member_id=d["member_id"],
        source=LoanSource(d["source"]),
        terms=LoanTerms(
            a,
            rate,
            Method(method),
            tenure,
            first,
            dt.date.fromisoformat(first_date),
            Frequency(freq),
        ),
        schedule=tuple(
            Instalment(n, due, dt.date.fromisoformat(day), p, i, bal)
            for n, due, day, p, i, bal in d["schedule"]
        ),
        paid=tuple(Paid(p, i) for p, i in d["paid"]),
        penalty_due=d["penalty_due"],
    )


# --- views ------------------------------------------------------------------------------------


def row_to_proto(r: MemberRow) -> pb.MemberRowView:
    return pb.MemberRowView(
        member_id=r.member_id,
        attendance=r.attendance.value,
        compulsory_due=r.compulsory_due,
        compulsory_paid=r.compulsory_paid,
        compulsory_arrear=r.compulsory_arrear,
        compulsory_total=r.compulsory_total,
        voluntary_paid=r.voluntary_paid,
        voluntary_total=r.voluntary_total,
        loan_due=r.loan_due,
        loan_repaid=r.loan_repaid,
        fine=r.fine,
        disbursed=r.disbursed,
        loan_outstanding=r.loan_outstanding,
        principal_repaid=r.principal_repaid,
        interest_repaid=r.interest_repaid,
        fines_receivable=r.fines_receivable,
        withdrawn=r.withdrawn,
    )


def totals_to_proto(t: Totals, receipts: int, payments: int) -> pb.MeetingTotals:
    return pb.MeetingTotals(
        compulsory=t.compulsory,
        voluntary=t.voluntary,
        disbursed=t.disbursed,
        principal_repaid=t.principal_repaid,
        interest_repaid=t.interest_repaid,
        penalty_repaid=t.penalty_repaid,
        fines=t.fines,
        other_receipts=t.other_receipts,
        other_payments=t.other_payments,
        loans_outstanding=t.loans_outstanding,
        present=t.present,
        members=t.members,
        receipts=receipts,
        payments=payments,
    )


def outcome_to_view(out: Outcome) -> pb.MeetingView:
    """The computed part of a meeting's view (stored as its ``result``)."""
    return pb.MeetingView(
        number=out.meeting.number,
        date=out.meeting.date.isoformat(),
        opening=out.opening,
        closing=out.closing,
        rows=[row_to_proto(r) for r in out.rows],
        totals=totals_to_proto(out.totals, out.receipts, out.payments),
        warnings=list(out.warnings),
        new_loans=list(out.new_loans),
    )


def loan_to_proto(loan: LoanState, purpose: str) -> pb.LoanView:
    t = loan.terms
    return pb.LoanView(
        loan_id=loan.loan_id,
        member_id=loan.member_id,
        source=loan.source.value,
        amount=t.amount,
        rate=t.rate,
        method=t.method.value,
        tenure=t.tenure,
        purpose=purpose,
        outstanding_principal=loan.outstanding_principal,
        schedule=[
            pb.InstalmentView(
                number=i.number,
                due_meeting=i.due_meeting,
                due_date=i.due_date.isoformat(),
                principal=i.principal,
                interest=i.interest,
                balance_after=i.balance_after,
                paid_principal=p.principal,
                paid_interest=p.interest,
            )
            for i, p in zip(loan.schedule, loan.paid, strict=True)
        ],
    )
