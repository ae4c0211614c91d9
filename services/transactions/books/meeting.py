"""One meeting of a CBO: its lines become balanced journal entries, member dues and a closing check.

``record_meeting`` takes the books as they stood after the previous meeting (``Books``) and the
meeting as the bookkeeper captured it (``Meeting``), and either refuses it with every problem named
by field, or returns the entries, the updated loans, each member's row and the closing position.
Nothing is written here; the service stores the outcome in one transaction.

Rules applied: A2 (meetings in order), A7 (no future dates), B1/B3 (compulsory savings due, arrears
shown, never back-dated), C8/C9 (allocation), C13/E3 (money must be there), D1 (fines are income),
E2 (opening + receipts − payments = closing, against the cash counted and each passbook), E4
(double entry).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction

from services.transactions.books import accounts as acc
from services.transactions.books.accounts import BankAccountKind, Chart, LoanSource
from services.transactions.books.ledger import (
    Balances,
    JournalEntry,
    LedgerError,
    Posting,
    check_against_chart,
    credit,
    debit,
)
from services.transactions.books.loans import (
    Allocation,
    LoanState,
    allocate,
    apply_allocation,
    dues_at,
)
from services.transactions.books.money import Paise, format_rupees, round_half_up
from services.transactions.books.policy import BookPolicy
from services.transactions.books.schedule import (
    Frequency,
    LoanTerms,
    Method,
    build_schedule,
    meeting_date,
)

CASH = "CASH"  # the money location "cash in hand"; any other location is a bank account id


class Attendance(enum.StrEnum):
    PRESENT = "PRESENT"
    LATE = "LATE"
    ABSENT = "ABSENT"
    LEAVE = "LEAVE"  # absent with prior intimation

    @property
    def present(self) -> bool:
        return self in (Attendance.PRESENT, Attendance.LATE)


class GroupLineKind(enum.StrEnum):
    RECEIPT = "RECEIPT"
    PAYMENT = "PAYMENT"


class BankEventKind(enum.StrEnum):
    INTEREST = "INTEREST"  # SB interest credited by the bank (A1)
    CHARGES = "CHARGES"  # charges debited by the bank


@dataclass(frozen=True)
class BankAccount:
    account_id: str
    kind: BankAccountKind = BankAccountKind.SB
    drawing_power: Paise = 0  # CCL only (E3)


@dataclass(frozen=True)
class Repayment:
    loan_id: str
    amount: Paise
    via: str = CASH


@dataclass(frozen=True)
class Disbursal:
    loan_id: str  # chosen by the client so an upload can be retried (idempotency)
    amount: Paise
    rate: int  # hundredths of a percent per month
    method: Method
    tenure: int
    source: LoanSource = LoanSource.OWN_FUNDS
    purpose: str = ""
    first_due_meeting: int | None = None  # default: the next meeting
    via: str = CASH


class WithdrawalKind(enum.StrEnum):
    SAVINGS_RETURN = "SAVINGS_RETURN"  # B4: her savings given back, on exit or share-out
    DIVIDEND = "DIVIDEND"  # B4, D2: a share of the accumulated surplus


class SavingsLedger(enum.StrEnum):
    COMPULSORY = "COMPULSORY"
    VOLUNTARY = "VOLUNTARY"


@dataclass(frozen=True)
class Withdrawal:
    kind: WithdrawalKind
    amount: Paise
    resolution: str  # B4 [I]: the resolution that decided it; the meeting's approver checks it
    ledger: SavingsLedger = SavingsLedger.COMPULSORY
    via: str = CASH


@dataclass(frozen=True)
class MemberLine:
    member_id: str
    attendance: Attendance = Attendance.PRESENT
    compulsory: Paise = 0
    voluntary: Paise = 0
    fine: Paise = 0
    repayments: tuple[Repayment, ...] = ()
    disbursals: tuple[Disbursal, ...] = ()
    via: str = CASH  # where savings and fines were paid
    withdrawals: tuple[Withdrawal, ...] = ()


@dataclass(frozen=True)
class GroupLine:
    kind: GroupLineKind
    head: str
    amount: Paise
    via: str = CASH
    narration: str = ""


@dataclass(frozen=True)
class Contra:
    """Money moved between cash and a bank account: neither a receipt nor a payment (E2)."""

    from_location: str
    to_location: str
    amount: Paise


@dataclass(frozen=True)
class BankEvent:
    account_id: str
    kind: BankEventKind
    amount: Paise


class EntryStanding(enum.Enum):
    """Where an earlier entry named by a correction stands (the service looks it up)."""

    APPROVED = "APPROVED"  # in an approved meeting: frozen, corrected by reversal (A6, E5)
    PENDING = "PENDING"  # its meeting waits for approval: the approver rejects it instead
    REVERSED = "REVERSED"  # reversed already
    UNKNOWN = "UNKNOWN"  # not an entry of these books


# Entries a reversal may not undo: loans carry a schedule and state beyond their postings, and
# the cut-off is amended by a new approved cut-off (I4), never by a meeting.
NOT_REVERSIBLE = frozenset({"REPAYMENT", "DISBURSAL", "CUTOFF"})


@dataclass(frozen=True)
class Correction:
    """A6/E5: reverse an entry of an earlier, approved meeting in this one, with a reason. The
    corrected transaction, if any, is then recorded in this meeting like any other."""

    entry_id: int
    reason: str
    standing: EntryStanding
    original: JournalEntry | None = None


@dataclass(frozen=True)
class Meeting:
    number: int
    date: dt.date
    members: tuple[MemberLine, ...]
    group: tuple[GroupLine, ...] = ()
    contras: tuple[Contra, ...] = ()
    bank_events: tuple[BankEvent, ...] = ()
    cash_counted: Paise | None = None
    passbook: dict[str, Paise] = field(default_factory=dict)
    corrections: tuple[Correction, ...] = ()


@dataclass(frozen=True)
class Books:
    """A CBO's books after its last closed meeting or cut-off: what the next meeting opens on."""

    chart: Chart
    policy: BookPolicy
    balances: Balances
    loans: dict[str, LoanState]
    active_members: frozenset[str]
    compulsory_amount: Paise
    bank_accounts: dict[str, BankAccount]
    last_meeting_number: int
    last_meeting_date: dt.date
    frequency: Frequency = Frequency.MONTHLY
    cs_arrears: dict[str, Paise] = field(default_factory=dict)
    formed_on: dt.date | None = None  # the CBO's formation date, when known (C1)

    def location_balance(self, location: str) -> Paise:
        if location == CASH:
            return self.balances.signed(acc.CASH)
        return self.balances.signed(acc.BANK, location)


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class MeetingRefused(ValueError):
    """The meeting cannot be recorded; ``errors`` name every field at fault."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class MemberRow:
    """A member's line of the meeting book (B3): due, paid, arrear; savings and loans after."""

    member_id: str
    attendance: Attendance
    compulsory_due: Paise
    compulsory_paid: Paise
    compulsory_arrear: Paise  # after this meeting; negative = paid ahead
    compulsory_total: Paise
    voluntary_paid: Paise
    voluntary_total: Paise
    loan_due: Paise
    loan_repaid: Paise
    fine: Paise
    disbursed: Paise
    loan_outstanding: Paise
    principal_repaid: Paise = 0
    interest_repaid: Paise = 0
    fines_receivable: Paise = 0  # D1: levied and not yet paid, after this meeting
    withdrawn: Paise = 0  # B4: savings returned and dividend paid to her at this meeting


@dataclass(frozen=True)
class Totals:
    compulsory: Paise = 0
    voluntary: Paise = 0
    disbursed: Paise = 0
    principal_repaid: Paise = 0
    interest_repaid: Paise = 0
    penalty_repaid: Paise = 0
    fines: Paise = 0
    other_receipts: Paise = 0
    other_payments: Paise = 0
    loans_outstanding: Paise = 0
    present: int = 0
    members: int = 0


@dataclass(frozen=True)
class Outcome:
    meeting: Meeting
    entries: tuple[JournalEntry, ...]
    allocations: dict[str, Allocation]  # loan id → this meeting's allocation
    loans: dict[str, LoanState]  # every loan after the meeting
    new_loans: tuple[str, ...]
    rows: tuple[MemberRow, ...]
    opening: dict[str, Paise]  # money location → balance
    closing: dict[str, Paise]
    receipts: Paise
    payments: Paise
    totals: Totals
    warnings: tuple[str, ...] = ()
    penalties: dict[str, Paise] = field(default_factory=dict)  # loan id → penal interest levied


def _withdrawal(
    books: Books,
    meeting: Meeting,
    member: str,
    w: Withdrawal,
    parts: dict[str, int],
    f: str,
    err: Callable[[str, str], None],
) -> JournalEntry | None:
    """B4: savings go back to a member only whole (on exit or share-out) unless the policy
    allows partial withdrawals, never beyond what she has (this meeting's savings included);
    a dividend comes out of the accumulated surplus. Each needs its resolution."""
    problem = amount_problem(w.amount, books.policy)
    if problem is None and w.amount == 0:
        problem = "must be more than zero"
    if problem:
        err(f"{f}.amount", problem)
        return None
    if w.via != CASH and w.via not in books.bank_accounts:
        err(f"{f}.via", f"unknown bank account {w.via!r}")
        return None
    if not w.resolution.strip():
        err(f"{f}.resolution", "a withdrawal needs the resolution that decided it (B4)")
        return None
    if w.kind is WithdrawalKind.DIVIDEND:
        return JournalEntry(
            meeting.date,
            "DIVIDEND",
            f"dividend to {member}, resolution {w.resolution.strip()}",
            (debit(acc.SURPLUS, w.amount), _money_credit(w.via, w.amount)),
            meeting.number,
        )
    head = acc.COMPULSORY_SAVINGS if w.ledger is SavingsLedger.COMPULSORY else acc.VOLUNTARY_SAVINGS
    paid_now = parts["compulsory" if w.ledger is SavingsLedger.COMPULSORY else "voluntary"]
    has = -books.balances.signed(head, member) + paid_now - parts[f"returned_{w.ledger}"]
    if w.amount > has:
        err(f"{f}.amount", f"more than her {w.ledger.lower()} savings ({format_rupees(has)})")
        return None
    if not books.policy.partial_savings_withdrawal and w.amount != has:
        err(
            f"{f}.amount",
            f"savings are returned whole, on exit or share-out (B4): her {w.ledger.lower()} "
            f"savings are {format_rupees(has)}",
        )
        return None
    parts[f"returned_{w.ledger}"] += w.amount
    return JournalEntry(
        meeting.date,
        "SAVINGS_RETURN",
        f"savings returned to {member}, resolution {w.resolution.strip()}",
        (debit(head, w.amount, member), _money_credit(w.via, w.amount)),
        meeting.number,
    )


def _penal_interest(books: Books, number: int) -> dict[str, Paise]:
    """Penal interest levied at this meeting on each loan with principal overdue: the policy's
    rate per meeting of the overdue principal, rounded to the book's unit. It is owed on the
    loan (paid first by C8's default order) and booked as income when paid: the books are on a
    cash basis (B3), so levying moves no money."""
    rate = books.policy.penal_rate_per_meeting
    if not rate:
        return {}
    out = {}
    for lid, loan in books.loans.items():
        overdue = dues_at(loan, number).overdue_principal
        if loan.closed or overdue <= 0:
            continue
        levy = round_half_up(Fraction(overdue * rate, 10_000), books.policy.rounding_unit)
        if levy:
            out[lid] = levy
    return out


def _absence_fines(books: Books, meeting: Meeting) -> JournalEntry | None:
    """D1: the fine levied on each member absent without prior intimation (not on leave), as a
    receivable she pays when she attends: fine income now, no cash today."""
    fine = books.policy.absence_fine
    if not fine:
        return None
    attended = {m.member_id: m.attendance for m in meeting.members}
    absent = [
        m
        for m in sorted(books.active_members)
        if attended.get(m, Attendance.ABSENT) is Attendance.ABSENT
    ]
    if not absent:
        return None
    return JournalEntry(
        meeting.date,
        "FINE_LEVIED",
        "fines levied on members absent without intimation",
        (
            *(debit(acc.FINES_RECEIVABLE, fine, m) for m in absent),
            credit(acc.FINE_INCOME, fine * len(absent)),
        ),
        meeting.number,
    )


def _reversals(meeting: Meeting, err: Callable[[str, str], None]) -> list[JournalEntry]:
    """The reversal entries of the meeting's corrections (A6, E5), each refused with a reason
    naming the field when it cannot be made."""
    out: list[JournalEntry] = []
    seen: set[int] = set()
    for i, c in enumerate(meeting.corrections):
        f = f"corrections[{i}]"
        if not c.reason.strip():
            err(f"{f}.reason", "a correction needs a reason")
            continue
        if c.entry_id in seen:
            err(f"{f}.entry_id", f"entry {c.entry_id} is corrected twice in this meeting")
            continue
        seen.add(c.entry_id)
        if c.standing is EntryStanding.UNKNOWN or c.original is None:
            err(f"{f}.entry_id", f"no entry {c.entry_id} in these books")
        elif c.standing is EntryStanding.PENDING:
            err(
                f"{f}.entry_id",
                f"entry {c.entry_id} belongs to a meeting waiting for approval: the approver "
                "rejects that meeting instead",
            )
        elif c.standing is EntryStanding.REVERSED:
            err(f"{f}.entry_id", f"entry {c.entry_id} is reversed already")
        elif c.original.kind in NOT_REVERSIBLE or c.original.reverses is not None:
            err(f"{f}.entry_id", f"a {c.original.kind} entry cannot be reversed by a meeting")
        else:
            out.append(
                replace(
                    c.original.reversal(meeting.date, c.reason.strip(), meeting.number),
                    reverses=c.entry_id,
                )
            )
    return out


def _money_account(location: str) -> tuple[str, str]:
    return (acc.CASH, "") if location == CASH else (acc.BANK, location)


def _money_debit(location: str, amount: Paise) -> Posting:
    head, sub = _money_account(location)
    return debit(head, amount, sub)


def _money_credit(location: str, amount: Paise) -> Posting:
    head, sub = _money_account(location)
    return credit(head, amount, sub)


def amount_problem(value: object, policy: BookPolicy) -> str | None:
    if type(value) is not int:
        return "must be a whole number of paise"
    if value < 0:
        return "must not be negative"
    if value > policy.max_line_amount:
        return f"is above the limit of ₹{format_rupees(policy.max_line_amount)} for one line"
    return None


def record_meeting(books: Books, meeting: Meeting, today: dt.date) -> Outcome:
    """Validate the meeting against the books; compute everything the bookkeeper must not type."""
    errors: list[FieldError] = []
    warnings: list[str] = []
    policy = books.policy

    def err(f: str, m: str) -> None:
        errors.append(FieldError(f, m))

    def amount(f: str, value: Paise, positive: bool = False) -> bool:
        problem = amount_problem(value, policy)
        if problem is None and positive and value == 0:
            problem = "must be more than zero"
        if problem:
            err(f, problem)
            return False
        return True

    def location_ok(f: str, location: str) -> bool:
        if location != CASH and location not in books.bank_accounts:
            err(f, f"unknown bank account {location!r}")
            return False
        return True

    # A2, A7: meetings in order, never in the future
    if meeting.number != books.last_meeting_number + 1:
        err("number", f"the next meeting is number {books.last_meeting_number + 1}")
    if meeting.date <= books.last_meeting_date:
        err("date", f"must be after the previous meeting ({books.last_meeting_date.isoformat()})")
    if not policy.allow_future_dates and meeting.date > today:
        err("date", "a meeting cannot be recorded for a future date")

    seen: set[str] = set()
    loans = dict(books.loans)
    penalties = _penal_interest(books, meeting.number)
    for lid, levy in penalties.items():
        loans[lid] = replace(loans[lid], penalty_due=loans[lid].penalty_due + levy)
    allocations: dict[str, Allocation] = {}
    new_loans: list[str] = []
    cs_entries: dict[str, list[Posting]] = defaultdict(list)
    vs_entries: dict[str, list[Posting]] = defaultdict(list)
    fine_entries: dict[str, list[Posting]] = defaultdict(list)
    repayment_entries: list[JournalEntry] = []
    withdrawal_entries: list[JournalEntry] = []
    disbursal_entries: list[JournalEntry] = []
    totals: dict[str, int] = defaultdict(int)
    row_parts: dict[str, dict[str, int]] = {}
    open_loans_by_member: dict[str, int] = defaultdict(int)
    for loan in books.loans.values():
        if not loan.closed:
            open_loans_by_member[loan.member_id] += 1

    for i, line in enumerate(meeting.members):
        f = f"members[{i}]"
        if line.member_id in seen:
            err(f"{f}.member_id", f"member {line.member_id} appears twice")
            continue
        seen.add(line.member_id)
        if line.member_id not in books.active_members:
            err(f"{f}.member_id", f"{line.member_id} is not an active member on this date")
            continue
        parts = row_parts.setdefault(line.member_id, defaultdict(int))
        via_ok = location_ok(f"{f}.via", line.via)
        for name, value, bucket, head in (
            ("compulsory", line.compulsory, cs_entries, acc.COMPULSORY_SAVINGS),
            ("voluntary", line.voluntary, vs_entries, acc.VOLUNTARY_SAVINGS),
            ("fine", line.fine, fine_entries, acc.FINE_INCOME),
        ):
            if amount(f"{f}.{name}", value) and value and via_ok:
                if head == acc.FINE_INCOME:
                    # D1: a fine paid settles her fines receivable first; the rest is today's
                    receivable = books.balances.signed(acc.FINES_RECEIVABLE, line.member_id)
                    settled = min(value, max(receivable, 0))
                    if settled:
                        bucket[line.via].append(
                            credit(acc.FINES_RECEIVABLE, settled, line.member_id)
                        )
                        parts["fine_settled"] += settled
                    if value - settled:
                        bucket[line.via].append(credit(head, value - settled))
                else:
                    bucket[line.via].append(credit(head, value, line.member_id))
                totals[name] += value
                parts[name] += value
        for k, w in enumerate(line.withdrawals):
            entry = _withdrawal(
                books, meeting, line.member_id, w, parts, f"{f}.withdrawals[{k}]", err
            )
            if entry is not None:
                withdrawal_entries.append(entry)
                parts["withdrawn"] += w.amount
        for j, rep in enumerate(line.repayments):
            g = f"{f}.repayments[{j}]"
            owed = loans.get(rep.loan_id)
            if owed is None or owed.member_id != line.member_id:
                err(f"{g}.loan_id", f"{line.member_id} has no loan {rep.loan_id!r}")
                continue
            if not amount(f"{g}.amount", rep.amount, positive=True) or not location_ok(
                f"{g}.via", rep.via
            ):
                continue
            try:
                alloc = allocate(owed, rep.amount, meeting.number, policy)
            except LedgerError as exc:
                err(f"{g}.amount", exc.message)
                continue
            loans[rep.loan_id] = apply_allocation(owed, alloc)
            prev = allocations.get(rep.loan_id)
            allocations[rep.loan_id] = alloc if prev is None else _merge(prev, alloc)
            rep_postings = [_money_debit(rep.via, rep.amount)]
            if alloc.total_principal:
                rep_postings.append(
                    credit(acc.loan_head(owed.source), alloc.total_principal, rep.loan_id)
                )
            if alloc.interest:
                rep_postings.append(credit(acc.INTEREST_INCOME, alloc.interest))
            if alloc.penalty:
                rep_postings.append(credit(acc.PENALTY_INCOME, alloc.penalty))
            repayment_entries.append(
                JournalEntry(
                    meeting.date,
                    "REPAYMENT",
                    f"{line.member_id} repays loan {rep.loan_id}",
                    tuple(rep_postings),
                    meeting.number,
                )
            )
            parts["principal_repaid"] += alloc.total_principal
            parts["interest_repaid"] += alloc.interest
            totals["principal_repaid"] += alloc.total_principal
            totals["interest_repaid"] += alloc.interest
            totals["penalty_repaid"] += alloc.penalty
            parts["loan_repaid"] += rep.amount
        for j, dis in enumerate(line.disbursals):
            g = f"{f}.disbursals[{j}]"
            if dis.loan_id in loans:
                err(f"{g}.loan_id", f"loan {dis.loan_id!r} already exists")
                continue
            if not amount(f"{g}.amount", dis.amount, positive=True) or not location_ok(
                f"{g}.via", dis.via
            ):
                continue
            first_due = dis.first_due_meeting or meeting.number + 1
            if first_due <= meeting.number:
                err(f"{g}.first_due_meeting", "the first instalment falls due after this meeting")
                continue
            age = (meeting.date - books.formed_on).days if books.formed_on else None
            if (
                policy.min_age_for_lending_days
                and age is not None
                and (age < policy.min_age_for_lending_days)
            ):
                # C1: the group saves for a while before it lends (when the formation date is
                # known; an unknown date is not held against the group).
                err(
                    f"{g}.amount",
                    f"the group lends from {policy.min_age_for_lending_days} days after its "
                    f"formation; it is {age} days old",
                )
                continue
            limit = policy.max_open_loans_per_member
            if limit is not None and open_loans_by_member[line.member_id] >= limit:
                err(f"{g}", f"{line.member_id} already has {limit} open loan(s)")
                continue
            if not policy.rate_warning_low <= dis.rate <= policy.rate_warning_high:
                warnings.append(f"{g}.rate: {dis.rate / 100:.2f}% a month is unusual (C3)")
            try:
                terms = LoanTerms(
                    amount=dis.amount,
                    rate=dis.rate,
                    method=dis.method,
                    tenure=dis.tenure,
                    first_due_meeting=first_due,
                    first_due_date=meeting_date(
                        meeting.date, books.frequency, first_due - meeting.number
                    ),
                    frequency=books.frequency,
                )
            except ValueError as exc:
                err(g, str(exc))
                continue
            loans[dis.loan_id] = LoanState.new(
                dis.loan_id,
                line.member_id,
                dis.source,
                terms,
                build_schedule(terms, policy.rounding_unit),
            )
            open_loans_by_member[line.member_id] += 1
            new_loans.append(dis.loan_id)
            disbursal_entries.append(
                JournalEntry(
                    meeting.date,
                    "DISBURSAL",
                    f"loan {dis.loan_id} to {line.member_id} ({dis.source.value}) {dis.purpose}",
                    (
                        debit(acc.loan_head(dis.source), dis.amount, dis.loan_id),
                        _money_credit(dis.via, dis.amount),
                    ),
                    meeting.number,
                )
            )
            totals["disbursed"] += dis.amount
            parts["disbursed"] += dis.amount

    group_entries: list[JournalEntry] = []
    for i, gl in enumerate(meeting.group):
        f = f"group[{i}]"
        gl_head = books.chart.heads.get(gl.head)
        if gl_head is None or gl_head.drop_down is None:
            err(f"{f}.head", f"{gl.head!r} is not a receipt or payment head")
            continue
        if not amount(f"{f}.amount", gl.amount, positive=True) or not location_ok(
            f"{f}.via", gl.via
        ):
            continue
        gl_postings: tuple[Posting, Posting]
        if gl.kind is GroupLineKind.RECEIPT:
            gl_postings = (_money_debit(gl.via, gl.amount), credit(gl.head, gl.amount))
            totals["other_receipts"] += gl.amount
        else:
            gl_postings = (debit(gl.head, gl.amount), _money_credit(gl.via, gl.amount))
            totals["other_payments"] += gl.amount
        group_entries.append(
            JournalEntry(
                meeting.date,
                gl.kind.value,
                gl.narration or gl_head.name,
                gl_postings,
                meeting.number,
            )
        )

    contra_entries: list[JournalEntry] = []
    for i, c in enumerate(meeting.contras):
        f = f"contras[{i}]"
        ok = location_ok(f"{f}.from_location", c.from_location)
        ok = location_ok(f"{f}.to_location", c.to_location) and ok
        if not amount(f"{f}.amount", c.amount, positive=True) or not ok:
            continue
        if c.from_location == c.to_location:
            err(f"{f}.to_location", "a contra moves money between two different places")
            continue
        contra_entries.append(
            JournalEntry(
                meeting.date,
                "CONTRA",
                f"{c.from_location} → {c.to_location}",
                (_money_debit(c.to_location, c.amount), _money_credit(c.from_location, c.amount)),
                meeting.number,
            )
        )

    bank_entries: list[JournalEntry] = []
    for i, be in enumerate(meeting.bank_events):
        f = f"bank_events[{i}]"
        if be.account_id not in books.bank_accounts:
            err(f"{f}.account_id", f"unknown bank account {be.account_id!r}")
            continue
        if not amount(f"{f}.amount", be.amount, positive=True):
            continue
        be_postings: tuple[Posting, Posting]
        if be.kind is BankEventKind.INTEREST:
            be_postings = (
                debit(acc.BANK, be.amount, be.account_id),
                credit(acc.SB_INTEREST_INCOME, be.amount),
            )
            totals["other_receipts"] += be.amount
        else:
            be_postings = (
                debit(acc.BANK_CHARGES, be.amount),
                credit(acc.BANK, be.amount, be.account_id),
            )
            totals["other_payments"] += be.amount
        bank_entries.append(
            JournalEntry(meeting.date, f"BANK_{be.kind.value}", be.kind.value, be_postings)
        )

    def grouped(kind: str, by_via: dict[str, list[Posting]], what: str) -> list[JournalEntry]:
        out = []
        for via, credits in by_via.items():
            total = sum(p.amount for p in credits)
            out.append(
                JournalEntry(
                    meeting.date,
                    kind,
                    what,
                    (_money_debit(via, total), *credits),
                    meeting.number,
                )
            )
        return out

    entries = [
        *grouped("CS", cs_entries, "compulsory savings"),
        *grouped("VS", vs_entries, "voluntary savings"),
        *repayment_entries,
        *grouped("FINE", fine_entries, "fines"),
        *group_entries,
        *contra_entries,
        *disbursal_entries,
        *withdrawal_entries,
        *bank_entries,
    ]
    entries += _reversals(meeting, err)
    levied = _absence_fines(books, meeting)
    if levied is not None:
        entries.append(levied)
    # bank events carry the meeting number too (they are entered at this meeting, A1)
    entries = [
        e if e.meeting_number else replace(e, meeting_number=meeting.number) for e in entries
    ]
    for e in entries:
        check_against_chart(e, books.chart)

    # E2, E3: closing per money location, against the cash counted and each passbook
    locations = [CASH, *books.bank_accounts]
    opening = {loc: books.location_balance(loc) for loc in locations}
    movement: dict[str, Paise] = defaultdict(int)
    receipts = payments = 0
    for e in entries:
        for p in e.postings:
            if p.account.head in (acc.CASH, acc.BANK):
                loc = CASH if p.account.head == acc.CASH else p.account.sub
                movement[loc] += p.signed
        if e.kind != "CONTRA":
            for p in e.postings:
                if p.account.head in (acc.CASH, acc.BANK):
                    if p.signed > 0:
                        receipts += p.amount
                    else:
                        payments += p.amount
    closing = {loc: opening[loc] + movement[loc] for loc in locations}
    for loc in locations:
        floor = 0
        if loc != CASH and books.bank_accounts[loc].kind is BankAccountKind.CCL:
            floor = -books.bank_accounts[loc].drawing_power
        if closing[loc] < floor:
            name = "cash in hand" if loc == CASH else f"bank account {loc}"
            err(
                "cash_counted" if loc == CASH else f"passbook.{loc}",
                f"{name} would go below {'its drawing power' if floor else 'zero'}: "
                f"{format_rupees(closing[loc])}",
            )
    if meeting.cash_counted is None:
        err("cash_counted", "enter the cash counted at the close of the meeting")
    elif type(meeting.cash_counted) is not int or meeting.cash_counted < 0:
        err("cash_counted", "must be a whole, non-negative number of paise")
    elif meeting.cash_counted != closing[CASH]:
        err(
            "cash_counted",
            f"cash in hand: books {format_rupees(closing[CASH])}, counted "
            f"{format_rupees(meeting.cash_counted)}, difference "
            f"{format_rupees(meeting.cash_counted - closing[CASH])}",
        )
    for loc in books.bank_accounts:
        stated = meeting.passbook.get(loc)
        if stated is None:
            if movement[loc] or opening[loc]:
                err(f"passbook.{loc}", f"enter the passbook balance of bank account {loc}")
        elif stated != closing[loc]:
            err(
                f"passbook.{loc}",
                f"bank account {loc}: books {format_rupees(closing[loc])}, passbook "
                f"{format_rupees(stated)}, difference {format_rupees(stated - closing[loc])}",
            )
    for loc in meeting.passbook:
        if loc not in books.bank_accounts:
            err(f"passbook.{loc}", f"unknown bank account {loc!r}")

    if errors:
        raise MeetingRefused(errors)

    # What this meeting's reversals moved on members' savings (signed, credit negative).
    reversed_savings: dict[tuple[str, str], Paise] = defaultdict(int)
    for e in entries:
        if e.reverses is not None:
            for p in e.postings:
                if p.account.head in (acc.COMPULSORY_SAVINGS, acc.VOLUNTARY_SAVINGS):
                    reversed_savings[(p.account.head, p.account.sub)] += p.signed
    levied_on = {
        p.account.sub: p.amount
        for e in entries
        if e.kind == "FINE_LEVIED"
        for p in e.postings
        if p.account.head == acc.FINES_RECEIVABLE
    }
    rows = []
    for member in sorted(books.active_members):
        mline = next((m for m in meeting.members if m.member_id == member), None)
        parts = row_parts.get(member, defaultdict(int))
        due = books.compulsory_amount
        arrear = books.cs_arrears.get(member, 0) + due - parts["compulsory"]
        rows.append(
            MemberRow(
                member_id=member,
                attendance=mline.attendance if mline else Attendance.ABSENT,
                compulsory_due=due,
                compulsory_paid=parts["compulsory"],
                compulsory_arrear=arrear,
                compulsory_total=-books.balances.signed(acc.COMPULSORY_SAVINGS, member)
                - reversed_savings[(acc.COMPULSORY_SAVINGS, member)]
                + parts["compulsory"]
                - parts["returned_COMPULSORY"],
                voluntary_paid=parts["voluntary"],
                voluntary_total=-books.balances.signed(acc.VOLUNTARY_SAVINGS, member)
                - reversed_savings[(acc.VOLUNTARY_SAVINGS, member)]
                + parts["voluntary"]
                - parts["returned_VOLUNTARY"],
                withdrawn=parts["withdrawn"],
                loan_due=sum(
                    dues_at(ln, meeting.number).total + penalties.get(ln.loan_id, 0)
                    for ln in books.loans.values()
                    if ln.member_id == member
                ),
                loan_repaid=parts["loan_repaid"],
                fine=parts["fine"],
                disbursed=parts["disbursed"],
                principal_repaid=parts["principal_repaid"],
                interest_repaid=parts["interest_repaid"],
                fines_receivable=books.balances.signed(acc.FINES_RECEIVABLE, member)
                - parts["fine_settled"]
                + levied_on.get(member, 0),
                loan_outstanding=sum(
                    ln.outstanding_principal for ln in loans.values() if ln.member_id == member
                ),
            )
        )
    present = sum(1 for m in meeting.members if m.attendance.present)
    return Outcome(
        meeting=meeting,
        entries=tuple(entries),
        allocations=allocations,
        penalties=penalties,
        loans=loans,
        new_loans=tuple(new_loans),
        rows=tuple(rows),
        opening=opening,
        closing=closing,
        receipts=receipts,
        payments=payments,
        totals=Totals(
            compulsory=totals["compulsory"],
            voluntary=totals["voluntary"],
            disbursed=totals["disbursed"],
            principal_repaid=totals["principal_repaid"],
            interest_repaid=totals["interest_repaid"],
            penalty_repaid=totals["penalty_repaid"],
            fines=totals["fine"],
            other_receipts=totals["other_receipts"],
            other_payments=totals["other_payments"],
            loans_outstanding=sum(loan.outstanding_principal for loan in loans.values()),
            present=present,
            members=len(books.active_members),
        ),
        warnings=tuple(warnings),
    )


def _merge(a: Allocation, b: Allocation) -> Allocation:
    return Allocation(
        a.penalty + b.penalty,
        a.interest + b.interest,
        a.principal + b.principal,
        a.advance_principal + b.advance_principal,
        a.by_instalment + b.by_instalment,
    )


def books_after(books: Books, outcome: Outcome) -> Books:
    """The books the next meeting opens on."""
    balances = Balances(defaultdict(int, books.balances.by_account))
    for e in outcome.entries:
        balances.post(e)
    return replace(
        books,
        balances=balances,
        loans=outcome.loans,
        last_meeting_number=outcome.meeting.number,
        last_meeting_date=outcome.meeting.date,
        cs_arrears={r.member_id: r.compulsory_arrear for r in outcome.rows},
    )
