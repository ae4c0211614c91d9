"""A member loan's state: what is due, what is overdue, and where a repayment goes (C8–C10).

The state is the schedule plus what has been paid against each instalment. A repayment is allocated
by the policy's order (default penalty → interest → principal, overdue before today's within each,
C8); a payment beyond today's dues pays the principal of the coming instalments (C9). An
instalment unpaid at the meeting where it falls due is overdue from that day; days past due count
from the oldest unpaid due date (C10).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from services.transactions.books.accounts import LoanSource
from services.transactions.books.ledger import LedgerError
from services.transactions.books.money import Paise, format_rupees
from services.transactions.books.policy import AdvancePolicy, BookPolicy, Component
from services.transactions.books.schedule import Instalment, LoanTerms


@dataclass(frozen=True)
class Paid:
    principal: Paise = 0
    interest: Paise = 0


@dataclass(frozen=True)
class LoanState:
    loan_id: str
    member_id: str
    source: LoanSource
    terms: LoanTerms
    schedule: tuple[Instalment, ...]
    paid: tuple[Paid, ...]  # one per instalment
    penalty_due: Paise = 0  # penal interest levied and not yet paid

    @classmethod
    def new(
        cls,
        loan_id: str,
        member_id: str,
        source: LoanSource,
        terms: LoanTerms,
        schedule: list[Instalment],
    ) -> LoanState:
        return cls(
            loan_id, member_id, source, terms, tuple(schedule), tuple(Paid() for _ in schedule)
        )

    @property
    def outstanding_principal(self) -> Paise:
        return sum(i.principal for i in self.schedule) - sum(p.principal for p in self.paid)

    @property
    def closed(self) -> bool:
        return self.outstanding_principal == 0 and self.unpaid_interest_due(None) == 0

    def unpaid_interest_due(self, meeting_number: int | None) -> Paise:
        return sum(
            i.interest - p.interest
            for i, p in zip(self.schedule, self.paid, strict=True)
            if meeting_number is None or i.due_meeting <= meeting_number
        )


@dataclass(frozen=True)
class Dues:
    """What a loan asks for at a meeting, before that meeting's payment."""

    penalty: Paise
    overdue_interest: Paise
    overdue_principal: Paise
    current_interest: Paise
    current_principal: Paise

    @property
    def total(self) -> Paise:
        return (
            self.penalty
            + self.overdue_interest
            + self.overdue_principal
            + self.current_interest
            + self.current_principal
        )


def dues_at(loan: LoanState, meeting_number: int) -> Dues:
    od_i = od_p = cur_i = cur_p = 0
    for inst, paid in zip(loan.schedule, loan.paid, strict=True):
        if inst.due_meeting < meeting_number:
            od_i += inst.interest - paid.interest
            od_p += inst.principal - paid.principal
        elif inst.due_meeting == meeting_number:
            cur_i += inst.interest - paid.interest
            cur_p += inst.principal - paid.principal
    return Dues(loan.penalty_due, od_i, od_p, cur_i, cur_p)


@dataclass(frozen=True)
class Overdue:
    principal: Paise
    interest: Paise
    days_past_due: int


def overdue_as_of(loan: LoanState, as_of: dt.date) -> Overdue:
    """Unpaid parts of instalments due on or before ``as_of`` (after that day's payments)."""
    principal = interest = 0
    oldest: dt.date | None = None
    for inst, paid in zip(loan.schedule, loan.paid, strict=True):
        if inst.due_date > as_of:
            break
        p = inst.principal - paid.principal
        i = inst.interest - paid.interest
        if p or i:
            principal += p
            interest += i
            oldest = oldest or inst.due_date
    return Overdue(principal, interest, (as_of - oldest).days if oldest else 0)


@dataclass(frozen=True)
class Allocation:
    penalty: Paise = 0
    interest: Paise = 0
    principal: Paise = 0  # of instalments due at or before this meeting
    advance_principal: Paise = 0  # of instalments not yet due (C9)
    by_instalment: tuple[tuple[int, Paid], ...] = field(default=())

    @property
    def total(self) -> Paise:
        return self.penalty + self.interest + self.principal + self.advance_principal

    @property
    def total_principal(self) -> Paise:
        return self.principal + self.advance_principal


def allocate(loan: LoanState, amount: Paise, meeting_number: int, policy: BookPolicy) -> Allocation:
    """Split ``amount`` over the loan's dues in the policy's order; refuse what cannot be placed."""
    if type(amount) is not int or amount <= 0:
        raise LedgerError("amount", "a repayment is a positive whole number of paise")
    due = [
        (idx, inst) for idx, inst in enumerate(loan.schedule) if inst.due_meeting <= meeting_number
    ]
    if not policy.overdue_first:
        due.sort(key=lambda t: (t[1].due_meeting != meeting_number, t[1].due_meeting))
    left = amount
    penalty = 0
    interest_by: dict[int, Paise] = {}
    principal_by: dict[int, Paise] = {}
    for component in policy.allocation_order:
        if component is Component.PENALTY:
            penalty = min(left, loan.penalty_due)
            left -= penalty
            continue
        for idx, inst in due:
            if not left:
                break
            if component is Component.INTEREST:
                take = min(left, inst.interest - loan.paid[idx].interest)
                interest_by[idx] = take
            else:
                take = min(left, inst.principal - loan.paid[idx].principal)
                principal_by[idx] = take
            left -= take
    advance_by: dict[int, Paise] = {}
    if left and policy.advance_policy is AdvancePolicy.NEXT_INSTALMENTS:
        for idx, inst in enumerate(loan.schedule):
            if not left:
                break
            if inst.due_meeting > meeting_number:
                take = min(left, inst.principal - loan.paid[idx].principal)
                advance_by[idx] = take
                left -= take
    if left:
        raise LedgerError(
            "amount",
            f"repayment exceeds what loan {loan.loan_id} can take by {format_rupees(left)}",
        )
    touched = sorted(set(interest_by) | set(principal_by) | set(advance_by))
    by_instalment = tuple(
        (
            idx + 1,
            Paid(principal_by.get(idx, 0) + advance_by.get(idx, 0), interest_by.get(idx, 0)),
        )
        for idx in touched
        if principal_by.get(idx, 0) or advance_by.get(idx, 0) or interest_by.get(idx, 0)
    )
    return Allocation(
        penalty=penalty,
        interest=sum(interest_by.values()),
        principal=sum(principal_by.values()),
        advance_principal=sum(advance_by.values()),
        by_instalment=by_instalment,
    )


def apply_allocation(loan: LoanState, allocation: Allocation) -> LoanState:
    paid = list(loan.paid)
    for number, part in allocation.by_instalment:
        old = paid[number - 1]
        paid[number - 1] = Paid(old.principal + part.principal, old.interest + part.interest)
    return replace(loan, paid=tuple(paid), penalty_due=loan.penalty_due - allocation.penalty)


def with_instalments_paid(loan: LoanState, count: int) -> LoanState:
    """The loan after its first ``count`` instalments were paid in full (cut-off, tests)."""
    paid = tuple(
        Paid(i.principal, i.interest) if i.number <= count else Paid() for i in loan.schedule
    )
    return replace(loan, paid=paid)
