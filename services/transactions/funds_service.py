"""Community funds between the books (F1–F6, J1): record once, approve by tier, confirm, reconcile.

A movement is recorded in the giver's book by its bookkeeper (a release from the state mission,
which keeps no book here, by state staff) and waits for the approver of the giver's tier: an
SHG's by its VO's or CLF's SHG approver, a VO's by its CLF's VO Meeting & Transaction Approver, a
CLF's by the role the state configures (default the Block Program Manager). Once approved, the
receiver's bookkeeper confirms what reached her book; her side is booked then, with the amount
she confirms. Each write is one transaction that locks the books it touches; the giver's entry,
the transfer, the loan and the event commit together or not at all. The rules are plain
functions in ``books/funds.py`` and ``books/flows.py``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from lokos import catalogue
from lokos.db import Database
from lokos.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from lokos.outbox import add_event
from lokos.principal import GeoPath, Principal
from lokos.transactions.v1 import funds_pb2 as fpb
from lokos.transactions.v1 import transactions_pb2 as pb
from lokos.values import parse_uuid
from services.transactions import access, repository
from services.transactions import funds_repository as repo
from services.transactions.books import accounts as acc
from services.transactions.books import reconciliation as rec
from services.transactions.books.accounts import BankAccountKind, LoanSource
from services.transactions.books.flows import CASH, Movement, giver_entry, receiver_entry
from services.transactions.books.funds import (
    CORPUS_HEAD,
    FundKind,
    FundRule,
    FundRules,
    FundType,
    Mode,
    Recipient,
    Refusal,
    Tier,
    check_release,
    default_rules,
    lending_refusal,
)
from services.transactions.books.ledger import JournalEntry, LedgerError, check_against_chart
from services.transactions.books.loans import LoanState, allocate, apply_allocation
from services.transactions.books.money import Paise, format_rupees
from services.transactions.books.policy import BookPolicy
from services.transactions.books.schedule import (
    RATE_DENOMINATOR,
    Frequency,
    LoanTerms,
    Method,
    add_months,
    build_schedule,
)
from services.transactions.mapping import loan_from_json, loan_to_json
from services.transactions.models import outbox
from services.transactions.service import APPROVED, REJECTED, Cbo, Transactions

PENDING = "PENDING"
AWAITING, CONFIRMED = "AWAITING", "CONFIRMED"
# Refused amounts beyond this are typing errors, not releases (₹1,000 crore in one transfer).
MAX_TRANSFER: Paise = 1_000 * 1_00_00_000 * 100


@dataclass(frozen=True)
class TransferIn:
    """A movement as requested, checked for shape (not yet against the books)."""

    client_id: str
    movement: Movement
    fund: FundType
    giver_id: uuid.UUID | None
    receiver_id: uuid.UUID
    amount: Paise
    mode: Mode
    giver_account: str
    on: dt.date
    reference: str
    loan_id: str
    rate: int
    tenure: int
    method: Method


def _enum(cls: Any, value: str, field: str, default: Any, errors: list[FieldError]) -> Any:
    if not value:
        return default
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        errors.append(FieldError(field, f"must be one of {allowed}"))
        return default


def _day(value: str, field: str, default: dt.date, errors: list[FieldError]) -> dt.date:
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors.append(FieldError(field, "must be a date as YYYY-MM-DD"))
        return default


def parse_transfer(req: fpb.RecordTransferRequest, today: dt.date) -> TransferIn:
    """Shape of the request, every field at fault named at once."""
    errors: list[FieldError] = []
    if not req.client_id:
        errors.append(FieldError("client_id", "required"))
    movement = _enum(Movement, req.movement, "movement", Movement.RELEASE, errors)
    if not req.movement:
        errors.append(FieldError("movement", "required: RELEASE, GRANT, LOAN or REPAYMENT"))
    fund = _enum(FundType, req.fund, "fund", FundType.RF, errors)
    if not req.fund:
        errors.append(FieldError("fund", "required"))
    giver: uuid.UUID | None = None
    if movement is Movement.RELEASE:
        if req.giver_id:
            errors.append(FieldError("giver_id", "a release comes from the state mission"))
    else:
        giver = _uuid(req.giver_id, "giver_id", errors)
    receiver = _uuid(req.receiver_id, "receiver_id", errors) or uuid.UUID(int=0)
    if req.amount <= 0:
        errors.append(FieldError("amount", "must be more than zero paise"))
    elif req.amount > MAX_TRANSFER:
        errors.append(FieldError("amount", f"above ₹{format_rupees(MAX_TRANSFER)}: a typo?"))
    mode = _enum(Mode, req.mode, "mode", Mode.BANK, errors)
    if mode is Mode.BANK and movement is not Movement.RELEASE and not req.giver_account:
        errors.append(FieldError("giver_account", "name the giver's bank account"))
    on = _day(req.date, "date", today, errors)
    if on > today:
        errors.append(FieldError("date", "a transfer cannot be recorded for a future date"))
    method = _enum(Method, req.method, "method", Method.DECLINING_EMI, errors)
    if movement in (Movement.LOAN, Movement.REPAYMENT) and not req.loan_id:
        errors.append(FieldError("loan_id", "name the loan"))
    if len(req.loan_id) > 64:
        errors.append(FieldError("loan_id", "at most 64 characters"))
    if movement is Movement.LOAN:
        if not 0 <= req.rate <= RATE_DENOMINATOR:
            errors.append(FieldError("rate", "hundredths of a percent a month, 0 to 10000"))
        if not 1 <= req.tenure <= 240:
            errors.append(FieldError("tenure", "1 to 240 monthly instalments"))
    if errors:
        raise ValidationFailed(errors)
    return TransferIn(
        req.client_id,
        movement,
        fund,
        giver,
        receiver,
        req.amount,
        mode,
        req.giver_account if mode is Mode.BANK else CASH,
        on,
        req.reference,
        req.loan_id,
        req.rate,
        req.tenure,
        method,
    )


def _uuid(value: str, field: str, errors: list[FieldError]) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        errors.append(FieldError(field, "required: a CBO id (UUID)"))
        return None


def _refused(refusals: Iterable[Refusal]) -> ValidationFailed:
    """F1–F3 refusals as problem+json: each names its field, its code and why."""
    return ValidationFailed([FieldError(r.field, r.reason, r.code) for r in refusals])


def release_refusals(
    rule: FundRule, t: TransferIn, giver: Tier, receiver: Tier, recipient: Recipient
) -> list[Refusal]:
    """What the fund's rule says about this movement (pure; the service gathers the facts)."""
    out: list[Refusal] = []
    if rule.bank_transfer_only and t.mode is not Mode.BANK:
        out.append(
            Refusal("FUND_CASH_NOT_ALLOWED", "mode", f"{rule.fund} moves only by bank transfer")
        )
    if t.movement is Movement.REPAYMENT:
        if rule.kind is not FundKind.LOAN:
            out.append(Refusal("FUND_NOT_A_LOAN", "fund", f"{rule.fund} is not repaid"))
        return out
    if t.movement is Movement.LOAN:
        lending = lending_refusal(rule, giver, receiver)
        if lending is not None:
            return [*out, lending]
    elif t.movement is Movement.GRANT:
        if rule.kind is not FundKind.GRANT:
            return [*out, Refusal("FUND_NOT_A_GRANT", "fund", f"{rule.fund} is lent, not given")]
        if giver not in (Tier.CLF, Tier.VO):
            out.append(Refusal("FUND_WRONG_GIVER", "giver_id", "a federation passes funds on"))
    elif rule.kind is FundKind.LOAN and receiver is Tier.SHG:
        # F2: the mission's loan funds go to the federation that lends them on.
        return [
            *out,
            Refusal(
                "FUND_WRONG_TIER",
                "receiver_id",
                f"{rule.fund} is released to the {rule.lender}, which lends it to SHGs",
            ),
        ]
    elif receiver is not rule.recipient:
        # A release into a federation's corpus, to lend or pass on: loan funds only to their
        # lender tier or above it, grants to any federation.
        if receiver is Tier.SHG:
            return [*out, Refusal("FUND_WRONG_TIER", "receiver_id", f"{rule.fund} is not for SHGs")]
        if rule.kind is FundKind.LOAN and rule.lender is Tier.CLF and receiver is not Tier.CLF:
            out.append(
                Refusal(
                    "FUND_WRONG_TIER",
                    "receiver_id",
                    f"{rule.fund} is held by the CLF in this state, not by a {receiver}",
                )
            )
        return out
    if receiver is rule.recipient:
        out += [r for r in check_release(rule, recipient, t.amount, t.mode, t.on) if r not in out]
    elif t.movement is Movement.GRANT:
        out.append(
            Refusal("FUND_WRONG_TIER", "receiver_id", f"{rule.fund} goes to a {rule.recipient}")
        )
    return out


def _view(
    row: asyncpg.Record, loan: LoanState | None = None, replayed: bool = False
) -> fpb.TransferView:
    view = fpb.TransferView(
        id=str(row["id"]),
        client_id=row["client_id"],
        movement=row["movement"],
        fund=row["fund"],
        giver_id=str(row["giver_id"]) if row["giver_id"] else "",
        giver_tier=row["giver_tier"],
        receiver_id=str(row["receiver_id"]),
        receiver_tier=row["receiver_tier"],
        amount=row["amount"],
        principal=row["principal"],
        interest=row["interest"],
        mode=row["mode"],
        date=row["transfer_date"].isoformat(),
        status=row["status"],
        counterpart=CONFIRMED if row["confirmed_amount"] is not None else AWAITING,
        confirmed_amount=row["confirmed_amount"] or 0,
        confirmed_on=row["confirmed_on"].isoformat() if row["confirmed_on"] else "",
        maker=row["maker"],
        checker=row["checker"],
        confirmed_by=row["confirmed_by"],
        remarks=row["remarks"],
        reference=row["reference"],
        loan_id=row["loan_id"],
        replayed=replayed,
        block_lgd_code=row["block_lgd_code"],
    )
    if loan is not None:
        for inst, paid in zip(loan.schedule, loan.paid, strict=True):
            view.schedule.append(
                pb.InstalmentView(
                    number=inst.number,
                    due_meeting=inst.due_meeting,
                    due_date=inst.due_date.isoformat(),
                    principal=inst.principal,
                    interest=inst.interest,
                    balance_after=inst.balance_after,
                    paid_principal=paid.principal,
                    paid_interest=paid.interest,
                )
            )
    return view


def _fits_chart(entry: JournalEntry, cbo: Cbo, field: str) -> None:
    """The entry names heads of the CBO's chart (a fund its tier does not keep is refused)."""
    try:
        check_against_chart(entry, acc.CHARTS[cbo.cbo_type])
    except LedgerError as exc:
        raise ValidationFailed.one(
            field, f"not in a {cbo.cbo_type}'s books: {exc.message}"
        ) from None


def _instalments_due(loan: LoanState, on: dt.date) -> int:
    """Federation loans fall due on the lender's calendar dates, not at the borrower's
    meetings: the instalments due by ``on`` are those whose date has come."""
    return sum(1 for inst in loan.schedule if inst.due_date <= on)


class Funds:
    def __init__(
        self,
        books: Transactions,
        rules: FundRules | None = None,
        clf_approvers: frozenset[str] | None = None,
    ) -> None:
        self.books = books
        self.db: Database = books.db
        self.state = books.state
        self.rules = rules or FundRules(
            {f: ((dt.date.min, r),) for f, r in default_rules().items()}
        )
        self.clf_approvers = clf_approvers or catalogue.CLF_BOOK_APPROVERS

    @property
    def policy(self) -> BookPolicy:
        return self.books.policy

    # --- facts from the books ----------------------------------------------------------------

    async def _open_book(
        self, conn: asyncpg.Connection, cbo: Cbo, field: str, lock: bool
    ) -> asyncpg.Record:
        """The CBO's books, open on an approved cut-off (their entries outside meetings would
        otherwise go with a rejected cut-off, I4)."""
        held = await repository.book(conn, cbo.cbo_id, lock=lock)
        if held is None or held["cutoff_status"] != APPROVED:
            raise ValidationFailed.one(
                field,
                f"the books of this {cbo.cbo_type} are not open on an approved cut-off",
                "books_not_open",
            )
        return held

    async def _location_ok(
        self, conn: asyncpg.Connection, cbo: Cbo, location: str, amount: Paise, field: str
    ) -> None:
        """E3: the money is there — cash and an SB account never go below zero; a CCL account
        down to its drawing power."""
        if location == CASH:
            floor, have = 0, await repo.account_balance(conn, cbo.cbo_id, acc.CASH, "")
        else:
            banks = {r["account_id"]: r for r in await repository.bank_accounts(conn, cbo.cbo_id)}
            account = banks.get(location)
            if account is None:
                raise ValidationFailed.one(field, f"no bank account {location!r} in these books")
            floor = -account["drawing_power"] if account["kind"] == BankAccountKind.CCL.value else 0
            have = await repo.account_balance(conn, cbo.cbo_id, acc.BANK, location)
        if have - amount < floor:
            raise ValidationFailed.one(
                "amount",
                f"the {cbo.cbo_type}'s {'cash' if location == CASH else location} holds "
                f"₹{format_rupees(have)}; ₹{format_rupees(amount)} would take it below "
                f"{'its drawing power' if floor else 'zero'}",
                "funds_short",
            )

    async def _recipient(self, conn: asyncpg.Connection, cbo: Cbo, t: TransferIn) -> Recipient:
        banks = await repository.bank_accounts(conn, cbo.cbo_id)
        grade = await repo.latest_grade(conn, cbo.cbo_id, t.on)
        received = await repo.received_before(conn, cbo.cbo_id, t.fund.value)
        return Recipient(
            tier=Tier(cbo.cbo_type.value),
            # Unknown formation date: as young as can be (eligibility is never guessed).
            formed_on=cbo.formed_on or t.on,
            has_bank_account=any(b["kind"] == BankAccountKind.SB.value for b in banks),
            grade_passed=None if grade is None else bool(grade["passed"]),
            received={t.fund: received},
        )

    # --- record, decide, confirm -------------------------------------------------------------

    async def record_transfer(
        self, principal: Principal, req: fpb.RecordTransferRequest, today: dt.date
    ) -> fpb.TransferView:
        t = parse_transfer(req, today)
        async with self.db.session() as session:
            conn = await repository.raw(session)
            await repo.lock_receiver_fund(conn, t.receiver_id, t.fund.value)
            again = await repo.transfer_by_client(conn, t.client_id)
            if again is not None:
                return _view(again, replayed=True)
            receiver = await self.books._cbo(conn, str(t.receiver_id))
            giver = await self.books._cbo(conn, str(t.giver_id)) if t.giver_id else None
            if giver is None:
                if not principal.can_reach(receiver.where, catalogue.FUND_RELEASERS):
                    access.require_reader(principal, receiver.where)
                    raise PermissionDenied(
                        "releases from the state mission are recorded by state staff",
                        code="not_the_releaser",
                    )
            else:
                access.require_maker(principal, giver.where)
            giver_tier = Tier.STATE if giver is None else Tier(giver.cbo_type.value)
            receiver_tier = Tier(receiver.cbo_type.value)
            if giver is not None:
                # Money moves along the federation: to a member (or a member's member), or back
                # up to the lender.
                lender, borrower = (
                    (receiver, giver) if t.movement is Movement.REPAYMENT else (giver, receiver)
                )
                if str(lender.cbo_id) not in borrower.where.cbo_ids[1:]:
                    raise ValidationFailed.one(
                        "receiver_id",
                        f"this {borrower.cbo_type} is not a member of that {lender.cbo_type}",
                        "not_in_federation",
                    )
            giver_book = None
            if giver is not None:
                giver_book = await self._open_book(conn, giver, "giver_id", lock=True)
                if t.on < giver_book["last_date"]:
                    raise ValidationFailed.one(
                        "date",
                        "the giver's books are closed up to "
                        f"{giver_book['last_date'].isoformat()} (E5)",
                    )
            rule = self.rules.rule(t.fund, t.on)
            recipient = await self._recipient(conn, receiver, t)
            refusals = release_refusals(rule, t, giver_tier, receiver_tier, recipient)
            if refusals:
                raise _refused(refusals)
            if giver is not None:
                await self._location_ok(conn, giver, t.giver_account, t.amount, "giver_account")
                if t.movement is Movement.GRANT:
                    corpus = -await repo.account_balance(
                        conn, giver.cbo_id, CORPUS_HEAD[t.fund], ""
                    )
                    if corpus < t.amount:
                        raise ValidationFailed.one(
                            "amount",
                            f"the {giver.cbo_type}'s {t.fund} fund holds ₹{format_rupees(corpus)}",
                            "FUND_CORPUS_SHORT",
                        )
            transfer_id = uuid.uuid4()
            principal_part = interest_part = 0
            undo: dict[str, Any] = {}
            loan_after: LoanState | None = None
            if t.movement is Movement.LOAN:
                assert giver is not None
                if await repository.loan(conn, giver.cbo_id, t.loan_id) is not None:
                    raise ValidationFailed.one("loan_id", f"loan {t.loan_id!r} already exists")
                terms = LoanTerms(
                    amount=t.amount,
                    rate=t.rate,
                    method=t.method,
                    tenure=t.tenure,
                    first_due_meeting=1,
                    first_due_date=add_months(t.on, 1),
                    frequency=Frequency.MONTHLY,
                )
                loan_after = LoanState.new(
                    t.loan_id,
                    str(receiver.cbo_id),
                    LoanSource(t.fund.value),
                    terms,
                    build_schedule(terms, self.policy.rounding_unit),
                )
                principal_part = t.amount
            elif t.movement is Movement.REPAYMENT:
                assert giver is not None
                await repository.book(conn, receiver.cbo_id, lock=True)
                row = await repo.loan_for_update(conn, receiver.cbo_id, t.loan_id)
                if row is None or row["member_id"] != str(giver.cbo_id) or row["closed"]:
                    raise ValidationFailed.one(
                        "loan_id", f"no open loan {t.loan_id!r} of this {giver.cbo_type} there"
                    )
                if row["source"] != t.fund.value:
                    raise ValidationFailed.one(
                        "fund", f"loan {t.loan_id} is a {row['source']} loan"
                    )
                if await repo.pending_repayment(conn, receiver.cbo_id, t.loan_id):
                    raise Conflict(
                        "an earlier repayment of this loan waits for approval",
                        code="earlier_pending",
                    )
                before = loan_from_json(repository.loads(row["state"]))
                try:
                    alloc = allocate(before, t.amount, _instalments_due(before, t.on), self.policy)
                except LedgerError as exc:
                    raise ValidationFailed.one("amount", exc.message) from None
                loan_after = apply_allocation(before, alloc)
                principal_part, interest_part = (
                    alloc.total_principal,
                    alloc.interest + alloc.penalty,
                )
                undo = {"loan_before": loan_to_json(before)}
            narration = f"{t.movement.value} {t.fund.value} transfer {transfer_id}"
            if t.reference:
                narration += f", ref {t.reference}"
            entry = giver_entry(
                t.movement,
                t.fund,
                t.amount,
                t.giver_account,
                t.on,
                narration,
                loan_id=t.loan_id,
                principal=principal_part,
                interest=interest_part,
            )
            entry_id = None
            if entry is not None:
                assert giver is not None
                _fits_chart(entry, giver, "fund")
                entry_id = await repo.insert_entry(conn, giver.cbo_id, entry)
            if loan_after is not None:
                holder = giver if t.movement is Movement.LOAN else receiver
                assert holder is not None
                await repo.save_loan(
                    conn,
                    holder.cbo_id,
                    t.loan_id,
                    loan_after.member_id,
                    loan_after.source.value,
                    loan_to_json(loan_after),
                    loan_after.outstanding_principal,
                    loan_after.closed,
                )
            status = APPROVED if giver is None else PENDING
            await repo.insert_transfer(
                conn,
                {
                    "id": transfer_id,
                    "client_id": t.client_id,
                    "state": receiver.state,
                    "movement": t.movement.value,
                    "fund": t.fund.value,
                    "giver_id": t.giver_id,
                    "giver_tier": giver_tier.value,
                    "receiver_id": receiver.cbo_id,
                    "receiver_tier": receiver_tier.value,
                    "amount": t.amount,
                    "principal": principal_part,
                    "interest": interest_part,
                    "mode": t.mode.value,
                    "giver_account": t.giver_account if giver is not None else "",
                    "transfer_date": t.on,
                    "reference": t.reference,
                    "loan_id": t.loan_id,
                    "status": status,
                    "giver_entry_id": entry_id,
                    "undo": undo,
                    "maker": principal.user_id,
                    "block_lgd_code": receiver.block,
                    "district_lgd_code": receiver.district,
                },
            )
            row = await repo.transfer(conn, transfer_id)
            assert row is not None
            if status == APPROVED:
                await self._event(session, row, "disbursed")
            await session.commit()
        return _view(row, loan_after if t.movement is Movement.LOAN else None)

    async def decide_transfer(
        self, principal: Principal, req: fpb.DecideTransferRequest
    ) -> fpb.TransferView:
        tid = parse_uuid(req.transfer_id, "transfer_id")
        async with self.db.session() as session:
            conn = await repository.raw(session)
            row = await repo.transfer(conn, tid, lock=True)
            if row is None or row["giver_id"] is None:
                # A release has nothing to approve here; to the caller it is not a decision.
                raise NotFound("no transfer waiting for a decision", code="transfer_not_found")
            giver = await self.books._cbo(conn, str(row["giver_id"]))
            access.require_approver(
                principal,
                giver.where,
                row["maker"],
                access.book_approvers(giver.cbo_type.value, self.clf_approvers),
            )
            if row["status"] != PENDING:
                raise Conflict("the transfer is not waiting for approval", code="not_pending")
            await repository.book(conn, giver.cbo_id, lock=True)
            if req.approve:
                await repo.update_transfer(
                    conn,
                    tid,
                    status=APPROVED,
                    checker=principal.user_id,
                    remarks=req.remarks,
                    decided_at=dt.datetime.now(dt.UTC),
                )
            else:
                if not req.remarks.strip():
                    raise ValidationFailed.one("remarks", "say why the transfer is rejected")
                if row["giver_entry_id"] is not None:
                    await repo.delete_entry(conn, row["giver_entry_id"])
                movement = Movement(row["movement"])
                if movement is Movement.LOAN:
                    await repo.delete_loan(conn, giver.cbo_id, row["loan_id"])
                elif movement is Movement.REPAYMENT:
                    await repository.book(conn, row["receiver_id"], lock=True)
                    before = loan_from_json(repository.loads(row["undo"])["loan_before"])
                    await repo.save_loan(
                        conn,
                        row["receiver_id"],
                        row["loan_id"],
                        before.member_id,
                        before.source.value,
                        loan_to_json(before),
                        before.outstanding_principal,
                        before.closed,
                    )
                await repo.update_transfer(
                    conn,
                    tid,
                    status=REJECTED,
                    checker=principal.user_id,
                    remarks=req.remarks,
                    decided_at=dt.datetime.now(dt.UTC),
                )
            fresh = await repo.transfer(conn, tid)
            assert fresh is not None
            if req.approve:
                what = "repaid" if row["movement"] == Movement.REPAYMENT.value else "disbursed"
                await self._event(session, fresh, what)
            await session.commit()
        return _view(fresh)

    async def confirm_transfer(
        self, principal: Principal, req: fpb.ConfirmTransferRequest, today: dt.date
    ) -> fpb.TransferView:
        errors: list[FieldError] = []
        tid = _uuid(req.transfer_id, "transfer_id", errors)
        if req.amount <= 0:
            errors.append(FieldError("amount", "must be more than zero paise"))
        elif req.amount > MAX_TRANSFER:
            errors.append(FieldError("amount", "too large for one transfer"))
        on = _day(req.date, "date", today, errors)
        if on > today:
            errors.append(FieldError("date", "cannot be a future date"))
        mode = _enum(Mode, req.mode, "mode", Mode.BANK, errors)
        if mode is Mode.BANK and not req.receiver_account:
            errors.append(FieldError("receiver_account", "name the bank account it reached"))
        if errors:
            raise ValidationFailed(errors)
        assert tid is not None
        location = req.receiver_account if mode is Mode.BANK else CASH
        async with self.db.session() as session:
            conn = await repository.raw(session)
            row = await repo.transfer(conn, tid, lock=True)
            if row is None:
                raise NotFound("no such transfer", code="transfer_not_found")
            receiver = await self.books._cbo(conn, str(row["receiver_id"]))
            access.require_maker(principal, receiver.where)
            if row["confirmed_amount"] is not None:
                if row["confirmed_amount"] == req.amount:
                    return _view(row, replayed=True)
                raise Conflict("the transfer is confirmed already", code="already_confirmed")
            if row["status"] != APPROVED:
                raise Conflict(
                    "the giver's approver has not approved this transfer yet", code="not_approved"
                )
            held = await self._open_book(conn, receiver, "transfer_id", lock=True)
            if on < row["transfer_date"]:
                raise ValidationFailed.one("date", "cannot be before the transfer was made")
            if on < held["last_date"]:
                raise ValidationFailed.one(
                    "date", f"the books are closed up to {held['last_date'].isoformat()} (E5)"
                )
            fund = FundType(row["fund"])
            if self.rules.rule(fund, on).bank_transfer_only and mode is not Mode.BANK:
                raise _refused(
                    [Refusal("FUND_CASH_NOT_ALLOWED", "mode", f"{fund} moves only by bank")]
                )
            if location != CASH:
                banks = {
                    r["account_id"] for r in await repository.bank_accounts(conn, receiver.cbo_id)
                }
                if location not in banks:
                    raise ValidationFailed.one(
                        "receiver_account", f"no bank account {location!r} in these books"
                    )
            entry = receiver_entry(
                Movement(row["movement"]),
                fund,
                req.amount,
                location,
                on,
                f"{row['movement']} {row['fund']} transfer {row['id']} received",
                loan_id=row["loan_id"],
                interest=row["interest"],
            )
            _fits_chart(entry, receiver, "transfer_id")
            entry_id = await repo.insert_entry(conn, receiver.cbo_id, entry)
            await repo.update_transfer(
                conn,
                tid,
                confirmed_amount=req.amount,
                confirmed_on=on,
                confirmed_by=principal.user_id,
                matched=req.amount == row["amount"],
                receiver_entry_id=entry_id,
            )
            fresh = await repo.transfer(conn, tid)
            assert fresh is not None
            await self._event(session, fresh, "received")
            await session.commit()
        return _view(fresh)

    # --- reads ---------------------------------------------------------------------------------

    async def _loan_of(self, conn: asyncpg.Connection, row: asyncpg.Record) -> LoanState | None:
        if row["movement"] != Movement.LOAN.value or row["giver_id"] is None:
            return None
        loan = await repository.loan(conn, row["giver_id"], row["loan_id"])
        return None if loan is None else loan_from_json(repository.loads(loan["state"]))

    async def get_transfer(self, principal: Principal, transfer_id: str) -> fpb.TransferView:
        tid = parse_uuid(transfer_id, "transfer_id")
        async with self.db.read_session() as session:
            conn = await repository.raw(session)
            row = await repo.transfer(conn, tid)
            if row is None:
                raise NotFound("no such transfer", code="transfer_not_found")
            sides = [row["receiver_id"], *([row["giver_id"]] if row["giver_id"] else [])]
            paths = [(await self.books._cbo(conn, str(s))).where for s in sides]
            if not any(self._may_read(principal, p) for p in paths):
                raise NotFound("no such transfer", code="transfer_not_found")
            loan = await self._loan_of(conn, row)
        return _view(row, loan)

    def _may_read(self, principal: Principal, where: GeoPath) -> bool:
        return principal.can_reach(
            where, access.BOOK_READERS | self.clf_approvers | catalogue.FUND_RELEASERS
        )

    async def list_transfers(
        self, principal: Principal, req: fpb.ListTransfersRequest
    ) -> fpb.ListTransfersResponse:
        async with self.db.read_session() as session:
            conn = await repository.raw(session)
            cbo = await self.books._cbo(conn, req.cbo_id)
            if not self._may_read(principal, cbo.where):
                raise NotFound("books of this CBO not found", code="cbo_not_found")
            rows = await repo.transfers_of(conn, cbo.cbo_id, req.awaiting_confirmation)
        return fpb.ListTransfersResponse(transfers=[_view(r) for r in rows])

    async def reconciliation(
        self, principal: Principal, req: fpb.ReconciliationRequest, today: dt.date
    ) -> fpb.ReconciliationView:
        errors: list[FieldError] = []
        if not req.block_lgd_code:
            errors.append(FieldError("block_lgd_code", "required"))
        as_of = _day(req.as_of, "as_of", today, errors)
        if errors:
            raise ValidationFailed(errors)
        async with self.db.read_session() as session:
            conn = await repository.raw(session)
            district = await repo.district_of_block(conn, self.state, req.block_lgd_code)
            where = GeoPath(self.state, district=district or "", block=req.block_lgd_code)
            if district is None or not principal.can_reach(where, catalogue.STAFF_READERS):
                raise NotFound("no such block in this state's books", code="block_not_found")
            rows = await repo.open_in_block(conn, self.state, req.block_lgd_code, as_of)
        return reconciliation_view(req.block_lgd_code, as_of, rows)

    async def _event(self, session: Any, row: asyncpg.Record, what: str) -> None:
        """transactions.fund.<disbursed|repaid|received> (R3, R4), in the write's transaction."""
        received = what == "received"
        await add_event(
            session,
            outbox,
            f"transactions.fund.{what}",
            row["state"],
            fpb.FundEvent(
                transfer_id=str(row["id"]),
                movement=row["movement"],
                fund=row["fund"],
                giver_id=str(row["giver_id"]) if row["giver_id"] else "",
                giver_tier=row["giver_tier"],
                receiver_id=str(row["receiver_id"]),
                receiver_tier=row["receiver_tier"],
                amount=row["confirmed_amount"] if received else row["amount"],
                principal=row["principal"],
                interest=row["interest"],
                date=(row["confirmed_on"] if received else row["transfer_date"]).isoformat(),
                block_lgd_code=row["block_lgd_code"],
                district_lgd_code=row["district_lgd_code"],
                loan_id=row["loan_id"],
            ),
        )


def reconciliation_view(
    block: str, as_of: dt.date, rows: Sequence[asyncpg.Record]
) -> fpb.ReconciliationView:
    """F5: the block's transfers whose books disagree, by age (``books/reconciliation.py``)."""
    by_id = {str(r["id"]): r for r in rows}
    found = list(
        rec.reconcile(
            (
                rec.Transfer(
                    transfer_id=str(r["id"]),
                    fund=r["fund"],
                    giver=str(r["giver_id"] or "STATE"),
                    receiver=str(r["receiver_id"]),
                    amount=r["amount"],
                    recorded_on=r["transfer_date"],
                    confirmed_amount=r["confirmed_amount"],
                    confirmed_on=r["confirmed_on"],
                )
                for r in rows
            ),
            as_of,
        )
    )
    view = fpb.ReconciliationView(block_lgd_code=block, as_of=as_of.isoformat())
    for d in found:
        view.discrepancies.append(
            fpb.Discrepancy(
                transfer=_view(by_id[d.transfer.transfer_id]),
                status=d.status.value,
                difference=d.difference,
                age_days=d.age_days,
                bucket=d.bucket,
            )
        )
    for (status, bucket), (count, amount) in sorted(rec.summary(found).items()):
        view.summary.append(
            fpb.BucketSummary(status=status.value, bucket=bucket, count=count, amount=amount)
        )
    return view
