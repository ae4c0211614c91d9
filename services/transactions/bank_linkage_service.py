"""The SHG's loans from its bank (G1–G8): sanction, drawals and repayments on the bank's own
dates, each a ledger entry in the SHG's books; the standing (days past due, NPA, prompt payer per
quarter); and the NRLM bank-portal files.

Every write locks the SHG's ``book`` row, as a meeting does, so the SB account's balance checked
(E3: never below zero) is the one written against. Each write is idempotent by its client id.
The bookkeeper mapped to the SHG records them from the bank's passbook or statement; they are
the bank's own facts, dated by the bank, so they are not put to the meeting approver (the
rulebook's maker-checker, J1, is for the meeting book) — the approver sees them in the journal
and in every balance.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import asyncpg

from lokos.catalogue import STAFF_READERS
from lokos.db import Database
from lokos.errors import Conflict, FieldError, NotFound, ValidationFailed
from lokos.outbox import add_event
from lokos.principal import GeoPath, Principal
from lokos.transactions.v1 import grading_pb2 as gpb
from lokos.values import parse_uuid
from services.transactions import access, repository
from services.transactions import bank_linkage_repository as bank_repo
from services.transactions.books.bank_linkage import (
    Facility,
    Frequency,
    PortalLoan,
    template1,
    template2,
)
from services.transactions.books.bank_loan_book import (
    DISBURSAL,
    REPAYMENT,
    Line,
    Terms,
    disbursal_entry,
    eligibility,
    repayment_entry,
    standing,
    statement,
)
from services.transactions.models import outbox

APPROVED = "APPROVED"
_IFSC = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")
_ACCOUNT = re.compile(r"^[A-Za-z0-9/-]{1,32}$")
_PIN = re.compile(r"^[1-9][0-9]{5}$")
MAX_AMOUNT = 1_00_00_000 * 100  # ₹1 crore: beyond any SHG loan (G2: dose 4+ "above ₹6 lakh")


class _Errors:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def date(self, value: str, field: str, today: dt.date, required: bool = True) -> dt.date | None:
        if not value:
            if required:
                self.add(field, "required, as YYYY-MM-DD")
            return None
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            self.add(field, "must be a date as YYYY-MM-DD")
            return None
        if day > today:
            self.add(field, "must not be in the future")
        return day

    def amount(self, value: int, field: str, allow_zero: bool = False) -> None:
        if value < 0 or (value == 0 and not allow_zero):
            self.add(
                field,
                "must be a positive amount in paise" if not allow_zero else "must not be negative",
            )
        elif value > MAX_AMOUNT:
            self.add(field, "is beyond any SHG bank loan (₹1 crore)")

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


def _terms(row: asyncpg.Record) -> Terms:
    return Terms(
        facility=Facility(row["facility"]),
        sanctioned_on=row["sanctioned_on"],
        drawing_power=row["drawing_power"],
        frequency=Frequency(row["frequency"]),
        first_due_on=row["first_due_on"],
        instalments=row["instalments"],
        instalment_amount=row["instalment_amount"],
    )


def _lines(rows: list[asyncpg.Record]) -> list[Line]:
    return [Line(r["on"], r["kind"], r["particulars"], r["principal"], r["interest"]) for r in rows]


def _view(row: asyncpg.Record, lines: list[Line], as_of: dt.date) -> gpb.BankLoanView:
    s = standing(_terms(row), lines, as_of)
    view = gpb.BankLoanView(
        cbo_id=str(row["cbo_id"]),
        loan_account=row["loan_account"],
        facility=row["facility"],
        sb_account=row["sb_account"],
        sanctioned_on=row["sanctioned_on"].isoformat(),
        amount=row["amount"],
        drawing_power=row["drawing_power"],
        rate=row["rate"],
        disbursed=s.disbursed,
        outstanding=s.outstanding,
        as_of=as_of.isoformat(),
        days_past_due=s.days_past_due,
        npa=s.npa,
        out_of_order=list(s.out_of_order),
        prompt_payer=[gpb.QuarterFlag(quarter=q, prompt_payer=p) for q, p in s.prompt_payer],
        maker=row["maker"],
    )
    balance = 0
    for line in statement([x for x in lines if x.on <= as_of]):
        balance += line.debit - line.credit
        view.statement.append(
            gpb.BankLoanLine(
                on=line.on.isoformat(),
                particulars=line.particulars,
                debit=line.debit,
                credit=line.credit,
                balance=balance,
            )
        )
    return view


class BankLinkage:
    def __init__(self, db: Database, state: str) -> None:
        self.db = db
        self.state = state

    async def _where(
        self, conn: asyncpg.Connection, cbo_id: uuid.UUID
    ) -> tuple[asyncpg.Record, GeoPath]:
        row = await repository.cbo_with_parents(conn, cbo_id)
        if row is None or row["cbo_type"] != "SHG":
            raise NotFound("books of this SHG not found", code="cbo_not_found")
        return row, access.where(row)

    async def _open_books(self, conn: asyncpg.Connection, cbo_id: uuid.UUID) -> asyncpg.Record:
        held = await repository.book(conn, cbo_id, lock=True)
        if held is None or held["cutoff_status"] != APPROVED:
            raise Conflict(
                "open the books (an approved cut-off) before recording bank loans",
                code="books_not_open",
            )
        return held

    async def sanction(
        self, principal: Principal, req: gpb.SanctionBankLoanRequest, today: dt.date
    ) -> gpb.BankLoanView:
        cid = parse_uuid(req.cbo_id, "cbo_id")
        e = _Errors()
        if not req.client_id:
            e.add("client_id", "required")
        if not _ACCOUNT.match(req.loan_account):
            e.add("loan_account", "the bank's loan account number: 1–32 letters, digits, / or -")
        try:
            facility = Facility(req.facility)
        except ValueError:
            e.add("facility", "TL (term loan) or CC (cash credit)")
            facility = None
        sanctioned_on = e.date(req.sanctioned_on, "sanctioned_on", today)
        e.amount(req.amount, "amount")
        if not 0 <= req.rate <= 10_000:
            e.add("rate", "hundredths of a percent per annum, 0 to 10000")
        if not _IFSC.match(req.ifsc):
            e.add("ifsc", "an IFSC: 4 letters, 0, then 6 letters or digits")
        if req.pin and not _PIN.match(req.pin):
            e.add("pin", "a 6-digit PIN code")
        if req.moratorium_months < 0 or req.moratorium_months > 60:
            e.add("moratorium_months", "0 to 60 months")
        sb_opened_on = e.date(req.sb_opened_on, "sb_opened_on", today)
        try:
            frequency = Frequency(req.frequency or "M")
        except ValueError:
            e.add("frequency", "M, Q, H or Y")
            frequency = Frequency.MONTHLY
        first_due: dt.date | None = None
        if facility is Facility.TERM_LOAN:
            if req.drawing_power:
                e.add("drawing_power", "a term loan has no drawing power; send 0")
            if req.instalments < 1 or req.instalments > 600:
                e.add("instalments", "a term loan has 1 to 600 instalments")
            e.amount(req.instalment_amount, "instalment_amount")
            if req.first_due_on:
                try:
                    first_due = dt.date.fromisoformat(req.first_due_on)
                except ValueError:
                    e.add("first_due_on", "must be a date as YYYY-MM-DD")
                if first_due and sanctioned_on and first_due <= sanctioned_on:
                    e.add("first_due_on", "must fall after the sanction")
            else:
                e.add("first_due_on", "a term loan's first instalment date is required")
        elif facility is Facility.CASH_CREDIT:
            e.amount(req.drawing_power, "drawing_power")
            if req.drawing_power > req.amount:
                e.add("drawing_power", "cannot exceed the limit sanctioned")
        e.raise_any()
        assert facility is not None and sanctioned_on is not None
        async with self.db.session() as session:
            conn = await repository.raw(session)
            row, where = await self._where(conn, cid)
            access.require_maker(principal, where)
            held = await self._open_books(conn, cid)
            again = await bank_repo.bank_loan_by_client(conn, cid, req.client_id)
            if again is not None:
                view = _view(
                    again, _lines(await bank_repo.lines(conn, cid, again["loan_account"])), today
                )
                view.replayed = True
                return view
            if await bank_repo.bank_loan(conn, cid, req.loan_account) is not None:
                raise Conflict(
                    "this loan account is already in the books", code="loan_account_exists"
                )
            accounts = {
                r["account_id"]: r["kind"] for r in await repository.bank_accounts(conn, cid)
            }
            sb = [a for a, k in accounts.items() if k == "SB"]
            if req.sb_account not in sb:
                raise ValidationFailed.one(
                    "sb_account",
                    f"not an SB account of these books ({', '.join(sorted(sb)) or 'none'})",
                )
            if sanctioned_on < held["cutoff_date"]:
                raise ValidationFailed.one("sanctioned_on", "is before the books were opened")
            await bank_repo.insert_bank_loan(
                conn,
                {
                    "cbo_id": cid,
                    "loan_account": req.loan_account,
                    "client_id": req.client_id,
                    "facility": facility.value,
                    "sb_account": req.sb_account,
                    "sanctioned_on": sanctioned_on,
                    "amount": req.amount,
                    "drawing_power": req.drawing_power,
                    "rate": req.rate,
                    "instalments": req.instalments if facility is Facility.TERM_LOAN else 0,
                    "instalment_amount": req.instalment_amount
                    if facility is Facility.TERM_LOAN
                    else 0,
                    "frequency": frequency.value,
                    "first_due_on": first_due,
                    "moratorium_months": req.moratorium_months,
                    "ifsc": req.ifsc,
                    "capital_subsidy": req.capital_subsidy,
                    "sb_opened_on": sb_opened_on,
                    "pin": req.pin,
                    "maker": principal.user_id,
                },
            )
            await add_event(
                session,
                outbox,
                "transactions.bank_loan.sanctioned",
                row["state"],
                gpb.BankLoanEvent(
                    cbo_id=str(cid),
                    loan_account=req.loan_account,
                    facility=facility.value,
                    on=sanctioned_on.isoformat(),
                    amount=req.amount,
                    block_lgd_code=row["block_lgd_code"],
                    district_lgd_code=row["district_lgd_code"],
                ),
            )
            loan = await bank_repo.bank_loan(conn, cid, req.loan_account)
            await session.commit()
        assert loan is not None
        return _view(loan, [], today)

    async def move(
        self,
        principal: Principal,
        req: gpb.BankLoanMoneyRequest,
        kind: str,
        today: dt.date,
    ) -> gpb.BankLoanView:
        """A disbursal (drawal) or a repayment on the bank's date, as one ledger entry."""
        cid = parse_uuid(req.cbo_id, "cbo_id")
        e = _Errors()
        if not req.client_id:
            e.add("client_id", "required")
        on = e.date(req.on, "on", today)
        e.amount(req.amount, "amount")
        if kind == DISBURSAL and req.interest:
            e.add("interest", "a drawal carries no interest; send 0")
        if kind == REPAYMENT:
            e.amount(req.interest, "interest", allow_zero=True)
            if 0 <= req.amount < req.interest:
                e.add("interest", "cannot exceed the amount paid")
        if len(req.particulars) > 100 or any(c in req.particulars for c in "|\r\n"):
            e.add("particulars", "at most 100 characters, without '|' or line breaks")
        e.raise_any()
        assert on is not None
        principal_part = req.amount - (req.interest if kind == REPAYMENT else 0)
        async with self.db.session() as session:
            conn = await repository.raw(session)
            row, where = await self._where(conn, cid)
            access.require_maker(principal, where)
            await self._open_books(conn, cid)
            loan = await bank_repo.bank_loan(conn, cid, req.loan_account)
            if loan is None:
                raise NotFound("no such bank loan in these books", code="bank_loan_not_found")
            again = await bank_repo.line_by_client(conn, cid, req.client_id)
            if again is not None:
                view = _view(
                    loan, _lines(await bank_repo.lines(conn, cid, loan["loan_account"])), today
                )
                view.replayed = True
                return view
            lines = _lines(await bank_repo.lines(conn, cid, loan["loan_account"]))
            if on < loan["sanctioned_on"]:
                raise ValidationFailed.one("on", "is before the loan was sanctioned")
            drawn = sum(x.principal for x in lines if x.kind == DISBURSAL)
            owed = drawn - sum(x.principal for x in lines if x.kind == REPAYMENT)
            if kind == DISBURSAL:
                limit = (
                    loan["amount"]
                    if loan["facility"] == Facility.TERM_LOAN.value
                    else loan["drawing_power"]
                )
                used = drawn if loan["facility"] == Facility.TERM_LOAN.value else owed
                if used + req.amount > limit:
                    what = (
                        "sanction"
                        if loan["facility"] == Facility.TERM_LOAN.value
                        else "drawing power"
                    )
                    raise ValidationFailed.one(
                        "amount",
                        f"beyond the {what}: ₹{(limit - used) / 100:.2f} can still be drawn",
                    )
                entry = disbursal_entry(on, loan["sb_account"], req.amount, loan["loan_account"])
            else:
                if principal_part > owed:
                    raise ValidationFailed.one(
                        "amount", f"the principal part exceeds what is owed (₹{owed / 100:.2f})"
                    )
                if await bank_repo.sb_balance(conn, cid, loan["sb_account"]) < req.amount:
                    raise ValidationFailed.one(
                        "amount", "more than the SB account holds (E3: never below zero)"
                    )
                entry = repayment_entry(
                    on, loan["sb_account"], principal_part, req.interest, loan["loan_account"]
                )
            await repository.insert_entries(conn, cid, None, [entry])
            entry_id = await conn.fetchval(
                "SELECT max(id) FROM journal_entry WHERE cbo_id = $1 AND meeting_id IS NULL", cid
            )
            particulars = req.particulars or ("DRAWAL" if kind == DISBURSAL else "REPAYMENT")
            await bank_repo.insert_line(
                conn,
                {
                    "cbo_id": cid,
                    "loan_account": loan["loan_account"],
                    "client_id": req.client_id,
                    "kind": kind,
                    "on": on,
                    "particulars": particulars,
                    "principal": principal_part,
                    "interest": req.interest if kind == REPAYMENT else 0,
                    "entry_id": entry_id,
                    "maker": principal.user_id,
                },
            )
            lines.append(
                Line(
                    on, kind, particulars, principal_part, req.interest if kind == REPAYMENT else 0
                )
            )
            after = owed + (principal_part if kind == DISBURSAL else -principal_part)
            await add_event(
                session,
                outbox,
                f"transactions.bank_loan.{'disbursed' if kind == DISBURSAL else 'repaid'}",
                row["state"],
                gpb.BankLoanEvent(
                    cbo_id=str(cid),
                    loan_account=loan["loan_account"],
                    facility=loan["facility"],
                    on=on.isoformat(),
                    amount=req.amount,
                    principal=principal_part,
                    interest=req.interest if kind == REPAYMENT else 0,
                    outstanding=after,
                    block_lgd_code=row["block_lgd_code"],
                    district_lgd_code=row["district_lgd_code"],
                ),
            )
            await session.commit()
        return _view(loan, lines, max(today, on))

    async def get(
        self, principal: Principal, req: gpb.GetBankLoanRequest, today: dt.date
    ) -> gpb.BankLoanView:
        cid = parse_uuid(req.cbo_id, "cbo_id")
        e = _Errors()
        as_of = e.date(req.as_of, "as_of", today, required=False) or today
        e.raise_any()
        async with self.db.read_session() as session:
            conn = await repository.raw(session)
            _, where = await self._where(conn, cid)
            access.require_reader(principal, where)
            loan = await bank_repo.bank_loan(conn, cid, req.loan_account)
            if loan is None:
                raise NotFound("no such bank loan in these books", code="bank_loan_not_found")
            lines = _lines(await bank_repo.lines(conn, cid, loan["loan_account"]))
        return _view(loan, lines, as_of)

    async def eligibility(
        self, principal: Principal, req: gpb.GetBankEligibilityRequest, today: dt.date
    ) -> gpb.BankEligibilityView:
        """G1 on a date: active existence per the books (the SHG's formation date as profiles
        reports it, else the opening of its books), its latest grade, and no loan NPA."""
        cid = parse_uuid(req.cbo_id, "cbo_id")
        e = _Errors()
        on = e.date(req.on, "on", today, required=False) or today
        e.raise_any()
        async with self.db.read_session() as session:
            conn = await repository.raw(session)
            row, where = await self._where(conn, cid)
            access.require_reader(principal, where)
            held = await repository.book(conn, cid)
            graded = await bank_repo.latest_grade(conn, cid, on)
            loans = await bank_repo.loans_with_lines(conn, cid)
        active_since = row["formed_on"] or (held["cutoff_date"] if held else None)
        npa = [
            loan["loan_account"]
            for loan, lines in loans
            if standing(_terms(loan), _lines(lines), on).npa
        ]
        reasons = eligibility(
            active_since,
            on,
            graded["grade"] if graded else None,
            graded["passed"] if graded else None,
            npa,
        )
        return gpb.BankEligibilityView(
            cbo_id=str(cid),
            on=on.isoformat(),
            eligible=not reasons,
            reasons=[gpb.EligibilityReason(code=r.code, message=r.message) for r in reasons],
            active_since=active_since.isoformat() if active_since else "",
            grade=graded["grade"] if graded else "",
            score=graded["score"] if graded else "",
            grade_period_end=graded["period_end"].isoformat() if graded else "",
        )

    async def export(
        self, principal: Principal, req: gpb.ExportBankPortalRequest, today: dt.date
    ) -> gpb.ExportBankPortalResponse:
        """G8: Template-1 (one line per loan) and Template-2 (statement lines with the closing
        balance after each) as the portal takes them: '|' between fields, dates YYYY-MM-DD."""
        if bool(req.cbo_id) == bool(req.block_lgd_code):
            raise ValidationFailed.one("cbo_id", "give either an SHG (cbo_id) or a block")
        e = _Errors()
        start = e.date(req.from_date, "from", today, required=False)
        end = e.date(req.to_date, "to", today, required=False)
        if start and end and start > end:
            e.add("from", "is after to")
        e.raise_any()
        async with self.db.read_session() as session:
            conn = await repository.raw(session)
            if req.cbo_id:
                cid = parse_uuid(req.cbo_id, "cbo_id")
                _, where = await self._where(conn, cid)
                access.require_reader(principal, where)
                loans = await bank_repo.loans_for_export(conn, [cid], self.state, "")
            else:
                block = GeoPath(self.state, block=req.block_lgd_code)
                loans = await bank_repo.loans_for_export(conn, None, self.state, req.block_lgd_code)
                first = loans[0] if loans else None
                reaches = principal.can_reach(block, STAFF_READERS) or (
                    first is not None
                    and principal.can_reach(
                        GeoPath(
                            self.state,
                            district=first["district_lgd_code"],
                            block=first["block_lgd_code"],
                        ),
                        STAFF_READERS,
                    )
                )
                if not reaches:
                    raise NotFound("no such block within your reach", code="block_not_found")
            keys = [(r["cbo_id"], r["loan_account"]) for r in loans]
            rows = await bank_repo.lines_for_export(conn, keys, start, end)
            opening = await bank_repo.lines_before(conn, keys, start) if start else {}
        t1 = template1(_portal_loan(r) for r in loans)
        by_loan: dict[tuple[uuid.UUID, str], list[Line]] = {k: [] for k in keys}
        for r in rows:
            by_loan[(r["cbo_id"], r["loan_account"])].extend(_lines([r]))
        t2: list[str] = []
        for r in loans:
            key = (r["cbo_id"], r["loan_account"])
            t2.extend(
                template2(
                    r["loan_account"], r["ifsc"], opening.get(key, 0), statement(by_loan[key])
                )
            )
        return gpb.ExportBankPortalResponse(
            template1="".join(line + "\n" for line in t1),
            template2="".join(line + "\n" for line in t2),
        )


def _portal_loan(r: asyncpg.Record) -> PortalLoan:
    tl = r["facility"] == Facility.TERM_LOAN.value
    return PortalLoan(
        loan_account=r["loan_account"],
        facility=Facility(r["facility"]),
        amount_or_dp=r["amount"] if tl else r["drawing_power"],
        dated=r["sanctioned_on"],
        moratorium_months=r["moratorium_months"],
        rate_hundredths=r["rate"],
        instalments=r["instalments"],
        instalment_amount=r["instalment_amount"],
        frequency=Frequency(r["frequency"]),
        # The books keep no SHG name: the SHG's id stands for it (profiles holds the name).
        shg_name=str(r["cbo_id"]),
        village=r["village_lgd_code"],
        block=r["block_lgd_code"],
        district=r["district_lgd_code"],
        pin=r["pin"],
        sb_account=r["sb_account"],
        sb_opened_on=r["sb_opened_on"],
        ifsc=r["ifsc"],
        capital_subsidy=r["capital_subsidy"],
    )
