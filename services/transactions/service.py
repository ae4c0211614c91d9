"""The books service: opens books from a cut-off, records and closes meetings, answers reads.

Each write runs in one transaction that first locks the CBO's ``book`` row, so concurrent uploads
of the same meetings queue up and the second finds the first's client ids (idempotency); a process
killed mid-upload leaves whole meetings or nothing. The rules themselves are in ``books/``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import asyncpg
from google.protobuf.message import Message

from lokos.db import Database
from lokos.errors import Conflict, FieldError, NotFound, ValidationFailed
from lokos.outbox import add_event, add_events_copy
from lokos.principal import GeoPath, Principal
from lokos.transactions.v1 import transactions_pb2 as pb
from lokos.values import parse_uuid
from services.transactions import access, protojson, repository
from services.transactions.books import accounts as acc
from services.transactions.books.cutoff import check_cutoff
from services.transactions.books.ledger import (
    Account,
    Balances,
    JournalEntry,
    Posting,
    Side,
    balance_sheet,
    trial_balance,
)
from services.transactions.books.loans import LoanState, dues_at, overdue_as_of
from services.transactions.books.meeting import (
    BankAccount,
    Books,
    Correction,
    EntryStanding,
    MeetingRefused,
    Outcome,
    books_after,
    record_meeting,
)
from services.transactions.books.meeting import FieldError as BookFieldError
from services.transactions.books.policy import BookPolicy, policy_from_json
from services.transactions.books.schedule import Frequency, meeting_date
from services.transactions.mapping import (
    Reader,
    cutoff_from_proto,
    loan_from_json,
    loan_to_json,
    loan_to_proto,
    meeting_from_proto,
    outcome_to_view,
)
from services.transactions.models import outbox

# Profiles' member statuses that make a woman a member who saves and borrows.
ACTIVE_MEMBER_STATUSES = ("approved", "modified")
CLOSED, APPROVED, REJECTED, SUBMITTED = "CLOSED", "APPROVED", "REJECTED", "SUBMITTED"


def _field_errors(errors: list[Any], prefix: str = "") -> list[FieldError]:
    return [FieldError(prefix + e.field, e.message) for e in errors]


def _date(value: str, field: str, default: dt.date) -> dt.date:
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.one(field, "must be a date as YYYY-MM-DD") from None


@dataclass(frozen=True)
class Cbo:
    cbo_id: uuid.UUID
    cbo_type: acc.CboType
    state: str
    block: str
    district: str
    where: GeoPath
    formed_on: dt.date | None = None


class Transactions:
    def __init__(
        self,
        db: Database,
        state: str,
        policy: BookPolicy | None = None,
        clf_approvers: frozenset[str] | None = None,
    ) -> None:
        self.db = db
        self.state = state
        # The state's defaults (rulebook defaults with the state's settings on top).
        self.policy = policy or BookPolicy()
        # F6: who approves a CLF's own books in this state (default: the catalogue's).
        self.clf_approvers = clf_approvers or access.CLF_BOOK_APPROVERS_DEFAULT

    def _policy(self, book: asyncpg.Record) -> BookPolicy:
        """The book's settings: the state's defaults with the book's own on top."""
        return policy_from_json(repository.loads(book["policy"]), self.policy)

    # --- scope --------------------------------------------------------------------------------

    async def _cbo(self, conn: asyncpg.Connection, cbo_id: str) -> Cbo:
        cid = parse_uuid(cbo_id, "cbo_id")
        row = await repository.cbo_with_parents(conn, cid)
        if row is None:
            raise NotFound("books of this CBO not found", code="cbo_not_found")
        where = access.where(row)
        return Cbo(
            cid,
            acc.CboType(row["cbo_type"]),
            row["state"],
            row["block_lgd_code"],
            row["district_lgd_code"],
            where,
            row["formed_on"],
        )

    # --- cut-off ------------------------------------------------------------------------------

    async def submit_cutoff(
        self, principal: Principal, req: pb.SubmitCutOffRequest, today: dt.date
    ) -> pb.CutOffView:
        if not req.client_id:
            raise ValidationFailed.one("client_id", "required")
        async with self.db.session() as session:
            conn = await repository.raw(session)
            cbo = await self._cbo(conn, req.cbo_id)
            access.require_maker(principal, cbo.where)
            held = await repository.book(conn, cbo.cbo_id, lock=True)
            if held is not None:
                if held["cutoff_client_id"] == req.client_id:
                    view = _cutoff_view(held)
                    view.replayed = True
                    return view
                if held["cutoff_status"] != REJECTED:
                    raise Conflict(
                        "the books of this CBO are already open", code="books_already_open"
                    )
                await repository.delete_book(conn, cbo.cbo_id)
            r = Reader()
            sheet, banks = cutoff_from_proto(req.cutoff, r)
            frequency = r.enum(
                Frequency, req.cutoff.frequency, "cutoff.frequency", Frequency.MONTHLY
            )
            if req.cutoff.compulsory_amount < 0:
                r.errors.append(BookFieldError("cutoff.compulsory_amount", "must not be negative"))
            if not r.errors and sheet.date > today:
                r.errors.append(BookFieldError("cutoff.date", "must not be in the future"))
            if r.errors:
                raise ValidationFailed(_field_errors(r.errors))
            active = active_on(await repository.member_records(conn, cbo.cbo_id), sheet.date)
            unknown = [
                FieldError(
                    f"cutoff.members[{i}].member_id", f"{m.member_id} is not an active member"
                )
                for i, m in enumerate(sheet.members)
                if m.member_id not in active
            ]
            if unknown:
                raise ValidationFailed(unknown)
            policy = self.policy
            chart = acc.CHARTS[cbo.cbo_type]
            try:
                result = check_cutoff(sheet, chart, policy)
            except MeetingRefused as refused:
                raise ValidationFailed(_field_errors(refused.errors, "cutoff.")) from None
            await repository.insert_book(
                conn,
                {
                    "cbo_id": cbo.cbo_id,
                    "cbo_type": cbo.cbo_type.value,
                    "state": cbo.state,
                    "frequency": frequency.value,
                    "compulsory_amount": req.cutoff.compulsory_amount,
                    "policy": {},
                    "last_number": sheet.last_paper_meeting,
                    "last_date": sheet.date,
                    "cs_arrears": {m.member_id: m.compulsory_arrear for m in sheet.members},
                    "cutoff_client_id": req.client_id,
                    "cutoff_status": SUBMITTED,
                    "cutoff_date": sheet.date,
                    "cutoff_last_paper_meeting": sheet.last_paper_meeting,
                    "cutoff_payload": protojson.to_json(req.cutoff),
                    "cutoff_total": result.total_assets,
                    "maker": principal.user_id,
                },
            )
            await repository.upsert_setting(
                conn,
                cbo.cbo_id,
                sheet.date,
                frequency.value,
                req.cutoff.compulsory_amount,
                principal.user_id,
            )
            await repository.insert_bank_accounts(
                conn,
                cbo.cbo_id,
                [(b.account_id, b.kind.value, b.drawing_power) for b in banks.values()],
            )
            if result.entry is not None:
                await repository.insert_entries(conn, cbo.cbo_id, None, [result.entry])
            await repository.save_loans(conn, cbo.cbo_id, _loan_states(result.loans.values()))
            row = await repository.book(conn, cbo.cbo_id)
            await session.commit()
        assert row is not None
        return _cutoff_view(row)

    async def decide_cutoff(
        self, principal: Principal, req: pb.DecideCutOffRequest
    ) -> pb.CutOffView:
        async with self.db.session() as session:
            conn = await repository.raw(session)
            cbo = await self._cbo(conn, req.cbo_id)
            held = await repository.book(conn, cbo.cbo_id, lock=True)
            if held is None:
                raise NotFound("this CBO has no cut-off", code="no_cutoff")
            access.require_approver(
                principal,
                cbo.where,
                held["maker"],
                access.book_approvers(cbo.cbo_type, self.clf_approvers),
            )
            if held["cutoff_status"] != SUBMITTED:
                raise Conflict("the cut-off is not waiting for approval", code="not_pending")
            if not req.approve:
                if not req.remarks.strip():
                    raise ValidationFailed.one("remarks", "say why the cut-off is rejected")
                if await repository.meetings(conn, cbo.cbo_id):
                    raise Conflict(
                        "meetings were recorded on this cut-off; reject them first",
                        code="meetings_after_cutoff",
                    )
            status = APPROVED if req.approve else REJECTED
            await repository.update_book(
                conn,
                cbo.cbo_id,
                cutoff_status=status,
                checker=principal.user_id,
                remarks=req.remarks,
            )
            if not req.approve:
                # I4: a rejected cut-off leaves no balances behind; the maker sends a new one.
                await conn.execute(
                    "DELETE FROM journal_entry WHERE cbo_id = $1 AND meeting_id IS NULL", cbo.cbo_id
                )
                await conn.execute("DELETE FROM loan WHERE cbo_id = $1", cbo.cbo_id)
            else:
                await add_event(
                    session,
                    outbox,
                    "transactions.cutoff.approved",
                    cbo.state,
                    pb.CutOffEvent(
                        cbo_id=str(cbo.cbo_id),
                        date=held["cutoff_date"].isoformat(),
                        total_assets=held["cutoff_total"],
                    ),
                )
            row = await repository.book(conn, cbo.cbo_id)
            await session.commit()
        assert row is not None
        return _cutoff_view(row)

    # --- meetings -----------------------------------------------------------------------------

    async def upload_meetings(
        self, principal: Principal, req: pb.UploadMeetingsRequest, today: dt.date
    ) -> pb.UploadMeetingsResponse:
        policy = self.policy
        if not req.meetings:
            raise ValidationFailed.one("meetings", "send at least one meeting")
        if len(req.meetings) > policy.max_offline_meetings:
            raise ValidationFailed.one(
                "meetings",
                f"at most {policy.max_offline_meetings} meetings are kept offline and uploaded "
                "together; upload these first",
                code="too_many_meetings",
            )
        for i, m in enumerate(req.meetings):
            if not m.client_id:
                raise ValidationFailed.one(f"meetings[{i}].client_id", "required")
        ordered = sorted(enumerate(req.meetings), key=lambda t: (t[1].number, t[1].date))
        # One transaction for the whole upload, after locking the book: concurrent uploads of
        # the same meetings queue and the later ones find the client ids; a process killed
        # mid-upload leaves all of it or nothing. A refused meeting is refused before anything
        # of it is written, so the ones before it are still committed (the chain stops there).
        async with repository.transaction(self.db) as (conn, tx):
            cbo = await self._cbo(conn, req.cbo_id)
            access.require_maker(principal, cbo.where)
            results = await self._record_chain(conn, principal, cbo, ordered, today)
            if any(r.outcome == "RECORDED" for r in results.values()):
                await tx.commit()
        answer = pb.UploadMeetingsResponse(results=[results[i] for i in range(len(req.meetings))])
        if all(r.outcome in ("REFUSED", "NOT_TRIED") for r in answer.results):
            # Nothing was recorded: plain invalid input, with every field named.
            raise ValidationFailed(
                [
                    FieldError(p.field, p.message)
                    for r in answer.results
                    for p in r.problems
                    if r.outcome == "REFUSED"
                ]
            )
        return answer

    async def _record_chain(
        self,
        conn: asyncpg.Connection,
        principal: Principal,
        cbo: Cbo,
        ordered: list[tuple[int, pb.MeetingIn]],
        today: dt.date,
    ) -> dict[int, pb.MeetingResult]:
        """Each meeting in date order, each opening on the one before (in memory): the book and
        its state are read once, the recorded meetings written with one statement at the end."""
        results: dict[int, pb.MeetingResult] = {}
        held = await repository.book(conn, cbo.cbo_id, lock=True)
        new_ids = [d.loan_id for _, m in ordered for line in m.members for d in line.disbursals]
        state = await repository.book_state(
            conn, cbo.cbo_id, [m.client_id for _, m in ordered], new_ids
        )
        replays = (
            {
                r["client_id"]: r
                for r in await repository.meetings_by_client(conn, cbo.cbo_id, list(state["known"]))
            }
            if state["known"]
            else {}
        )
        policy = self._policy(held) if held is not None else self.policy
        pending = len(state["pending"])
        taken = set(state["taken"])
        books: Books | None = None  # what the next meeting opens on
        batch: list[_Recorded] = []
        stopped = False
        for index, m in ordered:
            if stopped:
                results[index] = pb.MeetingResult(
                    client_id=m.client_id,
                    number=m.number,
                    outcome="NOT_TRIED",
                    problems=[
                        pb.FieldProblem(field="number", message="an earlier meeting was refused")
                    ],
                )
                continue
            result: pb.MeetingResult | None = None
            again = replays.get(m.client_id)
            if held is None or held["cutoff_status"] == REJECTED:
                result = _refused(m, [("cbo_id", "open the books with a cut-off sheet first")])
            elif again is not None:
                result = pb.MeetingResult(
                    client_id=m.client_id,
                    number=again["number"],
                    outcome="ALREADY_RECORDED",
                    meeting=_meeting_view(again),
                )
            elif (twin := next((x for x in batch if x.client_id == m.client_id), None)) is not None:
                # The same meeting twice in one upload: the second is the first's replay.
                result = pb.MeetingResult(
                    client_id=m.client_id,
                    number=twin.view.number,
                    outcome="ALREADY_RECORDED",
                    meeting=twin.view,
                )
            elif pending >= policy.max_offline_meetings:
                result = _refused(
                    m,
                    [
                        (
                            "number",
                            f"{pending} meetings already wait for approval; no more until "
                            "the approver decides them",
                        )
                    ],
                )
            if result is None:
                if books is None:
                    assert held is not None
                    books = _books_from(cbo, held, policy, state)
                recorded = await self._record_one(
                    conn, principal, cbo, m, books, state, taken, batch, today
                )
                if isinstance(recorded, pb.MeetingResult):
                    result = recorded
                else:
                    batch.append(recorded)
                    pending += 1
                    taken.update(recorded.outcome.new_loans)
                    books = books_after(books, recorded.outcome)
                    books = replace(
                        books,
                        balances=_nonzero(books.balances),
                        loans={k: v for k, v in books.loans.items() if not v.closed},
                    )
                    result = pb.MeetingResult(
                        client_id=m.client_id,
                        number=recorded.view.number,
                        outcome="RECORDED",
                        meeting=recorded.view,
                    )
            if result.outcome == "REFUSED":
                for p in result.problems:
                    p.field = f"meetings[{index}].{p.field}"
                stopped = True
            results[index] = result
        await self._write(conn, principal, cbo, batch)
        return results

    async def _record_one(
        self,
        conn: asyncpg.Connection,
        principal: Principal,
        cbo: Cbo,
        m: pb.MeetingIn,
        opening: Books,
        state: asyncpg.Record,
        taken: set[str],
        batch: list[_Recorded],
        today: dt.date,
    ) -> pb.MeetingResult | _Recorded:
        """The meeting computed on ``opening`` (the books after the previous one), or its
        refusal; nothing is written here."""
        r = Reader()
        meeting = meeting_from_proto(m, r)
        if r.errors:
            return _refused(m, [(e.field, e.message) for e in r.errors])
        if m.corrections:
            # The entries it names are read from the journal: write the meetings before it.
            await self._write(conn, principal, cbo, batch)
            meeting = replace(meeting, corrections=await _corrections(conn, cbo, m))
        # A1/B1/A2 as of the meeting's own date: who is a member, the compulsory amount and
        # the frequency in force.
        setting = _setting_on(state["settings"], meeting.date)
        books = replace(
            opening,
            active_members=active_on(state["members"], meeting.date),
            compulsory_amount=(setting[2] if setting is not None else opening.compulsory_amount),
            frequency=Frequency(setting[1]) if setting is not None else opening.frequency,
        )
        new_ids = {d.loan_id for line in meeting.members for d in line.disbursals}
        if new_ids & taken:
            return _refused(
                m, [("members", f"loan id(s) already used: {', '.join(sorted(new_ids & taken))}")]
            )
        try:
            out = record_meeting(books, meeting, today)
        except MeetingRefused as refusal:
            return _refused(m, [(e.field, e.message) for e in refusal.errors])
        meeting_id = uuid.uuid4()
        view = outcome_to_view(out)
        result = protojson.to_json(view)
        touched = set(out.allocations) | set(out.new_loans) | set(out.penalties)
        undo = {
            "loans_before": {
                lid: loan_to_json(books.loans[lid]) for lid in touched if lid in books.loans
            },
            "new_loans": list(out.new_loans),
            "cs_arrears": dict(books.cs_arrears),
            "last_date": books.last_meeting_date.isoformat(),
        }
        # The answer is what is stored (the view and the row's columns), not read back.
        view.id = str(meeting_id)
        view.cbo_id = str(cbo.cbo_id)
        view.client_id = m.client_id
        view.number = meeting.number
        view.date = meeting.date.isoformat()
        view.status = CLOSED
        view.maker = principal.user_id
        purposes = {d.loan_id: d.purpose for line in meeting.members for d in line.disbursals}
        return _Recorded(
            meeting_id=meeting_id,
            client_id=m.client_id,
            payload=protojson.to_json(m),
            result=result,
            undo=undo,
            outcome=out,
            view=view,
            loans=[
                (
                    lid,
                    out.loans[lid].member_id,
                    out.loans[lid].source.value,
                    purposes.get(lid, ""),
                    meeting_id if lid in out.new_loans else None,
                    loan_to_json(out.loans[lid]),
                    out.loans[lid].outstanding_principal,
                    out.loans[lid].closed,
                )
                for lid in sorted(touched)
            ],
        )

    async def _write(
        self, conn: asyncpg.Connection, principal: Principal, cbo: Cbo, batch: list[_Recorded]
    ) -> None:
        """Writes the computed meetings of ``batch`` and empties it: meetings, member rows,
        entries and postings in one statement, the loans they touched, the book's last meeting
        and arrears, and their events with one COPY."""
        if not batch:
            return
        await repository.insert_recorded_meetings(
            conn,
            cbo.cbo_id,
            principal.user_id,
            [
                (
                    x.meeting_id,
                    x.client_id,
                    x.outcome.meeting.number,
                    x.outcome.meeting.date,
                    repository.dumps(x.payload),
                    repository.dumps(x.result),
                    repository.dumps(x.undo),
                )
                for x in batch
            ],
            [
                (x.meeting_id, row["member_id"], x.outcome.meeting.number, repository.dumps(row))
                for x in batch
                for row in x.result.get("rows", ())
            ],
            [(x.meeting_id, e) for x in batch for e in x.outcome.entries],
        )
        # A loan touched by two meetings of the batch: its state after the later one, its
        # purpose and disbursing meeting from the first (kept as they are for existing loans).
        first: dict[str, _LoanRow] = {}
        last: dict[str, _LoanRow] = {}
        for x in batch:
            for row in x.loans:
                first.setdefault(row[0], row)
                last[row[0]] = row
        if last:
            await repository.save_loans(
                conn,
                cbo.cbo_id,
                [
                    (lid, r[1], r[2], first[lid][3], first[lid][4], r[5], r[6], r[7])
                    for lid, r in sorted(last.items())
                ],
            )
        end = batch[-1].outcome
        await repository.update_book(
            conn,
            cbo.cbo_id,
            last_number=end.meeting.number,
            last_date=end.meeting.date,
            cs_arrears={row.member_id: row.compulsory_arrear for row in end.rows},
        )
        events = [
            event
            for x in batch
            for event in self._meeting_events(
                cbo, x.outcome, "closed", principal.user_id, "", x.view
            )
        ]
        await add_events_copy(conn, events)
        batch.clear()

    def _meeting_events(
        self,
        cbo: Cbo,
        out: Outcome,
        what: str,
        maker: str,
        checker: str,
        view: pb.MeetingView | None = None,
    ) -> list[tuple[str, str, Message]]:
        """The meeting's event and one per loan disbursed or repaid."""
        view = view if view is not None else outcome_to_view(out)
        events: list[tuple[str, str, Message]] = [
            (
                f"transactions.meeting.{what}",
                cbo.state,
                pb.MeetingEvent(
                    cbo_id=str(cbo.cbo_id),
                    cbo_type=cbo.cbo_type.value,
                    number=out.meeting.number,
                    date=out.meeting.date.isoformat(),
                    status=CLOSED,
                    totals=view.totals,
                    block_lgd_code=cbo.block,
                    district_lgd_code=cbo.district,
                    maker=maker,
                    checker=checker,
                    loans=_loan_positions(out),
                ),
            )
        ]
        for lid in out.new_loans:
            loan = out.loans[lid]
            events.append(
                (
                    "transactions.loan.disbursed",
                    cbo.state,
                    pb.LoanEvent(
                        cbo_id=str(cbo.cbo_id),
                        loan_id=lid,
                        member_id=loan.member_id,
                        source=loan.source.value,
                        meeting_number=out.meeting.number,
                        amount=loan.terms.amount,
                        outstanding_principal=loan.outstanding_principal,
                    ),
                )
            )
        for lid, alloc in out.allocations.items():
            loan = out.loans[lid]
            events.append(
                (
                    "transactions.loan.repaid",
                    cbo.state,
                    pb.LoanEvent(
                        cbo_id=str(cbo.cbo_id),
                        loan_id=lid,
                        member_id=loan.member_id,
                        source=loan.source.value,
                        meeting_number=out.meeting.number,
                        amount=alloc.total,
                        principal=alloc.total_principal,
                        interest=alloc.interest,
                        outstanding_principal=loan.outstanding_principal,
                    ),
                )
            )
        return events

    async def decide_meeting(
        self, principal: Principal, req: pb.DecideMeetingRequest
    ) -> pb.MeetingView:
        async with self.db.session() as session:
            conn = await repository.raw(session)
            cbo = await self._cbo(conn, req.cbo_id)
            held = await repository.book(conn, cbo.cbo_id, lock=True)
            row = await repository.live_meeting(conn, cbo.cbo_id, req.number)
            if held is None or row is None:
                raise NotFound("no such meeting", code="meeting_not_found")
            access.require_approver(
                principal,
                cbo.where,
                row["maker"],
                access.book_approvers(cbo.cbo_type, self.clf_approvers),
            )
            if row["status"] != CLOSED:
                raise Conflict("the meeting is not waiting for approval", code="not_pending")
            if req.approve:
                pending = await repository.pending_numbers(conn, cbo.cbo_id)
                if held["cutoff_status"] != APPROVED or pending[0] != req.number:
                    raise Conflict(
                        "approve the cut-off and earlier meetings first", code="earlier_pending"
                    )
                await repository.set_meeting_status(
                    conn, row["id"], APPROVED, principal.user_id, req.remarks
                )
                decided = [row]
            else:
                if not req.remarks.strip():
                    raise ValidationFailed.one("remarks", "say why the meeting is rejected")
                # J2: this meeting and every later unapproved one go back to the bookkeeper;
                # their openings depend on it. Undone newest first.
                later = [
                    r
                    for r in await repository.meetings(conn, cbo.cbo_id)
                    if r["status"] == CLOSED and r["number"] >= req.number
                ]
                for r in sorted(later, key=lambda x: -x["number"]):
                    undo = repository.loads(r["undo"])
                    await repository.delete_meeting_entries(conn, r["id"])
                    await repository.delete_loans(conn, cbo.cbo_id, undo["new_loans"])
                    before = [loan_from_json(v) for v in undo["loans_before"].values()]
                    await repository.save_loans(conn, cbo.cbo_id, _loan_states(before))
                    await repository.set_meeting_status(
                        conn, r["id"], REJECTED, principal.user_id, req.remarks
                    )
                    await repository.update_book(
                        conn,
                        cbo.cbo_id,
                        last_number=r["number"] - 1,
                        last_date=dt.date.fromisoformat(undo["last_date"]),
                        cs_arrears=undo["cs_arrears"],
                    )
                decided = later
            for r in decided:
                result = repository.loads(r["result"])
                await add_event(
                    session,
                    outbox,
                    f"transactions.meeting.{'approved' if req.approve else 'rejected'}",
                    cbo.state,
                    pb.MeetingEvent(
                        cbo_id=str(cbo.cbo_id),
                        cbo_type=cbo.cbo_type.value,
                        number=r["number"],
                        date=r["date"].isoformat(),
                        status=APPROVED if req.approve else REJECTED,
                        totals=protojson.from_json(result.get("totals", {}), pb.MeetingTotals()),
                        block_lgd_code=cbo.block,
                        district_lgd_code=cbo.district,
                        maker=r["maker"],
                        checker=principal.user_id,
                    ),
                )
            fresh = await conn.fetchrow("SELECT * FROM meeting WHERE id = $1", row["id"])
            await session.commit()
        assert fresh is not None
        return _meeting_view(fresh)

    # --- reads --------------------------------------------------------------------------------

    async def list_meetings(self, principal: Principal, cbo_id: str) -> pb.ListMeetingsResponse:
        async with self.db.read_session() as session:
            conn = await repository.raw(session)
            cbo = await self._cbo(conn, cbo_id)
            access.require_reader(principal, cbo.where)
            held = await repository.book(conn, cbo.cbo_id)
            rows = await repository.meetings(conn, cbo.cbo_id)
        return pb.ListMeetingsResponse(
            meetings=[_meeting_view(r, full=False) for r in rows],
            cutoff=_cutoff_view(held) if held is not None else None,
        )

    async def get_meeting(self, principal: Principal, cbo_id: str, number: int) -> pb.MeetingView:
        async with self.db.read_session() as session:
            conn = await repository.raw(session)
            cbo = await self._cbo(conn, cbo_id)
            access.require_reader(principal, cbo.where)
            row = await repository.live_meeting(conn, cbo.cbo_id, number)
        if row is None:
            raise NotFound("no such meeting", code="meeting_not_found")
        return _meeting_view(row)

    async def balances(
        self, principal: Principal, req: pb.GetBalancesRequest, today: dt.date
    ) -> pb.BalancesView:
        as_of = _date(req.as_of, "as_of", today)
        async with self.db.read_session() as session:
            conn = await repository.raw(session)
            cbo = await self._cbo(conn, req.cbo_id)
            access.require_reader(principal, cbo.where)
            rows = await repository.balances(conn, cbo.cbo_id, as_of, req.approved_only)
            pending = await repository.pending_numbers(conn, cbo.cbo_id)
        b = Balances(defaultdict(int))
        for row in rows:
            if row["balance"]:
                b.by_account[Account(row["head"], row["sub"])] = row["balance"]
        chart = acc.CHARTS[cbo.cbo_type]
        sheet = balance_sheet(b, chart, acc.SURPLUS)
        return pb.BalancesView(
            cbo_id=str(cbo.cbo_id),
            as_of=as_of.isoformat(),
            trial_balance=[
                pb.AccountBalance(
                    head=t.account.head, sub=t.account.sub, debit=t.debit, credit=t.credit
                )
                for t in trial_balance(b)
            ],
            assets=sheet.assets,
            liabilities=sheet.liabilities,
            funds=sheet.funds,
            total_assets=sheet.total_assets,
            total_liabilities_and_funds=sheet.total_liabilities_and_funds,
            pending_meetings=pending,
        )

    async def loan(
        self, principal: Principal, req: pb.GetLoanRequest, today: dt.date
    ) -> pb.LoanView:
        as_of = _date(req.as_of, "as_of", today)
        async with self.db.read_session() as session:
            conn = await repository.raw(session)
            cbo = await self._cbo(conn, req.cbo_id)
            access.require_reader(principal, cbo.where)
            row = await repository.loan(conn, cbo.cbo_id, req.loan_id)
        if row is None:
            raise NotFound("no such loan", code="loan_not_found")
        state: LoanState = loan_from_json(repository.loads(row["state"]))
        view = loan_to_proto(state, row["purpose"])
        od = overdue_as_of(state, as_of)
        view.overdue_principal = od.principal
        view.overdue_interest = od.interest
        view.days_past_due = od.days_past_due
        return view

    async def passbook(
        self, principal: Principal, req: pb.GetPassbookRequest, today: dt.date
    ) -> pb.PassbookView:
        """R9: the member's line of every meeting and her loans with overdue as of today."""
        async with self.db.read_session() as session:
            conn = await repository.raw(session)
            cbo = await self._cbo(conn, req.cbo_id)
            access.require_reader(principal, cbo.where)
            rows = await repository.passbook_rows(conn, cbo.cbo_id, req.member_id)
            loans = await repository.member_loans(conn, cbo.cbo_id, req.member_id)
        view = pb.PassbookView(member_id=req.member_id)
        for r in rows:
            line = view.lines.add(
                meeting_number=r["number"], date=r["date"].isoformat(), status=r["status"]
            )
            protojson.from_json(repository.loads(r["row"]), line.row)
        for row in loans:
            state = loan_from_json(repository.loads(row["state"]))
            loan_view = loan_to_proto(state, row["purpose"])
            od = overdue_as_of(state, today)
            loan_view.overdue_principal = od.principal
            loan_view.overdue_interest = od.interest
            loan_view.days_past_due = od.days_past_due
            view.loans.append(loan_view)
        return view

    async def meeting_pack(
        self, principal: Principal, req: pb.GetMeetingPackRequest, today: dt.date
    ) -> pb.MeetingPackView:
        """T0.3: everything the app needs to conduct the next meeting offline."""
        async with self.db.read_session() as session:
            conn = await repository.raw(session)
            cbo = await self._cbo(conn, req.cbo_id)
            access.require_reader(principal, cbo.where)
            held = await repository.book(conn, cbo.cbo_id)
            if held is None:
                raise NotFound("the books of this CBO are not open", code="books_not_open")
            policy = self._policy(held)
            expected = meeting_date(held["last_date"], Frequency(held["frequency"]), 1)
            state = await repository.book_state(conn, cbo.cbo_id)
        books = _books_from(cbo, held, policy, state, max(today, expected))
        pending = state["pending"]
        number = books.last_meeting_number + 1
        members = []
        for member in sorted(books.active_members):
            loans = [ln for ln in books.loans.values() if ln.member_id == member]
            members.append(
                pb.PackMember(
                    member_id=member,
                    compulsory_total=-books.balances.signed(acc.COMPULSORY_SAVINGS, member),
                    voluntary_total=-books.balances.signed(acc.VOLUNTARY_SAVINGS, member),
                    compulsory_arrear=books.cs_arrears.get(member, 0),
                    compulsory_due=books.compulsory_amount,
                    fines_receivable=books.balances.signed(acc.FINES_RECEIVABLE, member),
                    loans=[
                        pb.LoanDue(
                            loan_id=ln.loan_id,
                            penalty=d.penalty,
                            overdue_interest=d.overdue_interest,
                            overdue_principal=d.overdue_principal,
                            current_interest=d.current_interest,
                            current_principal=d.current_principal,
                            outstanding_principal=ln.outstanding_principal,
                        )
                        for ln in sorted(loans, key=lambda x: x.loan_id)
                        for d in (dues_at(ln, number),)
                    ],
                )
            )
        return pb.MeetingPackView(
            cbo_id=str(cbo.cbo_id),
            next_number=number,
            expected_date=meeting_date(books.last_meeting_date, books.frequency, 1).isoformat(),
            last_date=books.last_meeting_date.isoformat(),
            frequency=books.frequency.value,
            compulsory_amount=books.compulsory_amount,
            balances={loc: books.location_balance(loc) for loc in ("CASH", *books.bank_accounts)},
            bank_accounts=[
                pb.BankAccountIn(
                    account_id=b.account_id, kind=b.kind.value, drawing_power=b.drawing_power
                )
                for b in books.bank_accounts.values()
            ],
            members=members,
            pending_meetings=len(pending),
            max_offline_meetings=policy.max_offline_meetings,
            rounding_unit=policy.rounding_unit,
        )

    async def change_settings(
        self, principal: Principal, req: pb.ChangeSettingsRequest
    ) -> pb.SettingsView:
        async with self.db.session() as session:
            conn = await repository.raw(session)
            cbo = await self._cbo(conn, req.cbo_id)
            access.require_maker(principal, cbo.where)
            held = await repository.book(conn, cbo.cbo_id, lock=True)
            if held is None:
                raise NotFound("the books of this CBO are not open", code="books_not_open")
            r = Reader()
            start = r.date(req.effective_from, "effective_from")
            frequency = r.enum(Frequency, req.frequency, "frequency", Frequency(held["frequency"]))
            errors = _field_errors(r.errors)
            if not errors and start <= held["last_date"]:
                errors.append(
                    FieldError(
                        "effective_from",
                        "must be after the last recorded meeting "
                        f"({held['last_date'].isoformat()})",
                    )
                )
            policy = self._policy(held)
            if not 0 <= req.compulsory_amount <= policy.max_line_amount:
                errors.append(FieldError("compulsory_amount", "must be between 0 and the limit"))
            if errors:
                raise ValidationFailed(errors)
            await repository.upsert_setting(
                conn, cbo.cbo_id, start, frequency.value, req.compulsory_amount, principal.user_id
            )
            await repository.update_book(
                conn, cbo.cbo_id, frequency=frequency.value, compulsory_amount=req.compulsory_amount
            )
            rows = await repository.settings(conn, cbo.cbo_id)
            await session.commit()
        return pb.SettingsView(
            settings=[
                pb.Setting(
                    effective_from=x["effective_from"].isoformat(),
                    frequency=x["frequency"],
                    compulsory_amount=x["compulsory_amount"],
                    set_by=x["set_by"],
                )
                for x in rows
            ]
        )

    async def receipts_payments(
        self, principal: Principal, req: pb.GetReceiptsPaymentsRequest, today: dt.date
    ) -> pb.ReceiptsPaymentsView:
        """R8: opening + receipts − payments = closing, per head, for a period."""
        end = _date(req.to_date, "to_date", today)
        start = _date(req.from_date, "from_date", end.replace(day=1))
        if start > end:
            raise ValidationFailed.one("from_date", "must not be after to_date")
        async with self.db.read_session() as session:
            conn = await repository.raw(session)
            cbo = await self._cbo(conn, req.cbo_id)
            access.require_reader(principal, cbo.where)
            heads = await repository.receipts_payments(conn, cbo.cbo_id, start, end)
            opening = await repository.money_balances(conn, cbo.cbo_id, start)
            closing = await repository.money_balances(conn, cbo.cbo_id, end + dt.timedelta(days=1))
        receipts = {r["head"]: r["receipts"] for r in heads if r["receipts"]}
        payments = {r["head"]: r["payments"] for r in heads if r["payments"]}
        return pb.ReceiptsPaymentsView(
            from_date=start.isoformat(),
            to_date=end.isoformat(),
            opening=opening,
            receipts=receipts,
            payments=payments,
            closing=closing,
            total_receipts=sum(receipts.values()),
            total_payments=sum(payments.values()),
        )

    async def journal(self, principal: Principal, req: pb.GetJournalRequest) -> pb.JournalView:
        async with self.db.read_session() as session:
            conn = await repository.raw(session)
            cbo = await self._cbo(conn, req.cbo_id)
            access.require_reader(principal, cbo.where)
            meeting_id = None
            if req.meeting_number:
                row = await repository.live_meeting(conn, cbo.cbo_id, req.meeting_number)
                if row is None:
                    raise NotFound("no such meeting", code="meeting_not_found")
                meeting_id = row["id"]
            rows = await repository.journal(conn, cbo.cbo_id, meeting_id)
        return pb.JournalView(
            entries=[
                pb.JournalEntryView(
                    id=r["id"],
                    date=r["entry_date"].isoformat(),
                    kind=r["kind"],
                    narration=r["narration"],
                    reverses=r["reverses"] or 0,
                    postings=[
                        pb.PostingView(head=h, sub=s, side="D" if a > 0 else "C", amount=abs(a))
                        for h, s, a in zip(r["heads"], r["subs"], r["amounts"], strict=True)
                    ],
                )
                for r in rows
            ]
        )


_LoanRow = tuple[str, str, str, str, uuid.UUID | None, dict[str, Any], int, bool]


@dataclass
class _Recorded:
    """A meeting computed in an upload, waiting to be written with the others."""

    meeting_id: uuid.UUID
    client_id: str
    payload: dict[str, Any]  # the meeting as sent
    result: dict[str, Any]  # its computed view as stored (rows included)
    undo: dict[str, Any]
    outcome: Outcome
    view: pb.MeetingView  # the answer: the stored view with the row's columns
    loans: list[_LoanRow]  # ``repository.save_loans`` rows of the loans it touched


def _refused(m: pb.MeetingIn, problems: list[tuple[str, str]]) -> pb.MeetingResult:
    return pb.MeetingResult(
        client_id=m.client_id,
        number=m.number,
        outcome="REFUSED",
        problems=[pb.FieldProblem(field=f, message=msg) for f, msg in problems],
    )


def _nonzero(balances: Balances) -> Balances:
    """The accounts with a balance only, as the running balances are read."""
    return Balances(defaultdict(int, {a: v for a, v in balances.by_account.items() if v}))


def active_on(members: Iterable[Any], on: dt.date) -> frozenset[str]:
    """The SHG's members on ``on`` from rows ``(member_id, status, left_shg, active_since,
    inactive_since)`` (``repository.member_records``): approved or modified ones, and one who
    left still on the days before she left (``inactive_since`` is the day after)."""
    return frozenset(
        member_id
        for member_id, status, left_shg, since, until in members
        if (status in ACTIVE_MEMBER_STATUSES or (status == "inactive" and left_shg))
        and (since is None or since <= on)
        and (until is None or until > on)
    )


def _setting_on(settings: Iterable[Any], on: dt.date) -> Any | None:
    """The dated setting ``(effective_from, frequency, compulsory_amount)`` in force on ``on``
    (the rows come ordered by date)."""
    found = None
    for row in settings:
        if row[0] <= on:
            found = row
    return found


def _books_from(
    cbo: Cbo,
    held: asyncpg.Record,
    policy: BookPolicy,
    state: asyncpg.Record,
    on: dt.date | None = None,
) -> Books:
    """The books as the ``book`` row and :func:`repository.book_state` hold them; members and
    settings as of ``on`` (default: the last meeting's date; a meeting sets its own)."""
    on = on or held["last_date"]
    balances = Balances(defaultdict(int))
    for head, sub, balance in state["balances"]:
        balances.by_account[Account(head, sub)] = balance
    banks = {
        account_id: BankAccount(account_id, acc.BankAccountKind(kind), drawing_power)
        for account_id, kind, drawing_power in state["banks"]
    }
    # B1: the compulsory amount (and A2: the frequency) in force on the date.
    setting = _setting_on(state["settings"], on)
    return Books(
        chart=acc.CHARTS[cbo.cbo_type],
        policy=policy,
        balances=balances,
        loans={lid: loan_from_json(repository.loads(st)) for lid, st in state["loans"]},
        active_members=active_on(state["members"], on),
        compulsory_amount=setting[2] if setting is not None else held["compulsory_amount"],
        bank_accounts=banks,
        last_meeting_number=held["last_number"],
        last_meeting_date=held["last_date"],
        frequency=Frequency(setting[1] if setting is not None else held["frequency"]),
        cs_arrears=dict(repository.loads(held["cs_arrears"])),
        formed_on=cbo.formed_on,
    )


async def _corrections(
    conn: asyncpg.Connection, cbo: Cbo, m: pb.MeetingIn
) -> tuple[Correction, ...]:
    """The meeting's corrections with the entries they name, as these books hold them."""
    rows = {
        r["id"]: r
        for r in await repository.entries_to_correct(
            conn, cbo.cbo_id, [c.entry_id for c in m.corrections]
        )
    }
    out = []
    for c in m.corrections:
        row = rows.get(c.entry_id)
        if row is None:
            out.append(Correction(c.entry_id, c.reason, EntryStanding.UNKNOWN))
            continue
        original = JournalEntry(
            row["entry_date"],
            row["kind"],
            row["narration"],
            tuple(
                Posting(Account(h, sub), Side.DEBIT if a > 0 else Side.CREDIT, abs(a))
                for h, sub, a in zip(row["heads"], row["subs"], row["amounts"], strict=True)
            ),
            reverses=row["reverses"],
        )
        standing = (
            EntryStanding.REVERSED
            if row["reversed"]
            else EntryStanding.APPROVED
            if row["status"] == APPROVED
            else EntryStanding.PENDING
        )
        out.append(Correction(c.entry_id, c.reason, standing, original))
    return tuple(out)


def _cutoff_view(row: asyncpg.Record) -> pb.CutOffView:
    return pb.CutOffView(
        cbo_id=str(row["cbo_id"]),
        client_id=row["cutoff_client_id"],
        status=row["cutoff_status"],
        date=row["cutoff_date"].isoformat(),
        last_paper_meeting=row["cutoff_last_paper_meeting"],
        total_assets=row["cutoff_total"],
        total_liabilities_and_funds=row["cutoff_total"],
        maker=row["maker"],
        checker=row["checker"],
        remarks=row["remarks"],
    )


def _meeting_view(row: asyncpg.Record, full: bool = True) -> pb.MeetingView:
    view = pb.MeetingView()
    if full:
        protojson.from_json(repository.loads(row["result"]), view)
    view.id = str(row["id"])
    view.cbo_id = str(row["cbo_id"])
    view.client_id = row["client_id"]
    view.number = row["number"]
    view.date = row["date"].isoformat()
    view.status = row["status"]
    view.maker = row["maker"]
    view.checker = row["checker"]
    view.remarks = row["remarks"]
    return view


def _loan_states(
    loans: Iterable[LoanState],
) -> list[tuple[str, str, str, str, uuid.UUID | None, dict[str, Any], int, bool]]:
    """Rows for :func:`repository.save_loans` that replace each loan's state (no purpose or
    disbursing meeting: those stay as first recorded)."""
    return [
        (
            ln.loan_id,
            ln.member_id,
            ln.source.value,
            "",
            None,
            loan_to_json(ln),
            ln.outstanding_principal,
            ln.closed,
        )
        for ln in loans
    ]


def _loan_positions(out: Outcome) -> list[pb.LoanPosition]:
    """The loans a closed meeting left open or was paid at, for the reports' DCB and PAR."""
    number = out.meeting.number
    positions = []
    for lid, loan in out.loans.items():
        paid = out.allocations.get(lid)
        if not loan.outstanding_principal and paid is None:
            continue
        due = [inst for inst in loan.schedule if inst.due_meeting == number]
        overdue = overdue_as_of(loan, out.meeting.date)
        positions.append(
            pb.LoanPosition(
                loan_id=lid,
                member_id=loan.member_id,
                source=loan.source.value,
                amount=loan.terms.amount,
                outstanding_principal=loan.outstanding_principal,
                due_principal=sum(i.principal for i in due),
                due_interest=sum(i.interest for i in due),
                collected_principal=paid.total_principal if paid else 0,
                collected_interest=paid.interest if paid else 0,
                overdue_principal=overdue.principal,
                overdue_interest=overdue.interest,
                days_overdue=overdue.days_past_due,
            )
        )
    return positions
