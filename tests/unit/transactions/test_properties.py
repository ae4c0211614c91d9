"""Property-based tests of the books: balance, schedules, EMIs vs numpy-financial, allocation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from fractions import Fraction

import numpy_financial as npf
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.transactions.books import accounts as acc
from services.transactions.books.ledger import (
    Account,
    Balances,
    JournalEntry,
    LedgerError,
    Posting,
    Side,
    credit,
    debit,
)
from services.transactions.books.loans import LoanState, Paid, allocate, apply_allocation, dues_at
from services.transactions.books.meeting import (
    Attendance,
    GroupLine,
    GroupLineKind,
    Meeting,
    MeetingRefused,
    MemberLine,
    Repayment,
    books_after,
    record_meeting,
)
from services.transactions.books.policy import BookPolicy, Component
from services.transactions.books.schedule import (
    RATE_DENOMINATOR,
    LoanTerms,
    Method,
    build_schedule,
    exact_pmt,
)
from tests.unit.transactions.worked_meeting import MEMBERS, SB, opening_books

FIRST_DUE = dt.date(2026, 2, 10)
units = st.sampled_from([1, 100])
terms_st = st.builds(
    LoanTerms,
    amount=st.integers(100_00, 50_00_000_00),
    rate=st.integers(0, 500),
    method=st.sampled_from(list(Method)),
    tenure=st.integers(1, 120),
    first_due_meeting=st.integers(1, 500),
    first_due_date=st.just(FIRST_DUE),
)


# --- every posting balances -------------------------------------------------------------------


@settings(deadline=None)  # timings belong in bench/, not in tests (a loaded CI box is slow)
@given(
    st.lists(
        st.tuples(st.sampled_from([acc.CASH, acc.SURPLUS, acc.FINE_INCOME]), st.integers(1, 10**9)),
        min_size=1,
        max_size=6,
    ),
    st.lists(
        st.tuples(st.sampled_from([acc.CASH, acc.SURPLUS, acc.FINE_INCOME]), st.integers(1, 10**9)),
        min_size=1,
        max_size=6,
    ),
)
def test_an_entry_exists_only_when_balanced(
    debits: list[tuple[str, int]], credits: list[tuple[str, int]]
) -> None:
    postings = tuple([debit(h, a) for h, a in debits] + [credit(h, a) for h, a in credits])
    balanced = sum(a for _, a in debits) == sum(a for _, a in credits)
    if balanced:
        entry = JournalEntry(dt.date(2026, 1, 1), "X", "", postings)
        assert entry.total_debit == entry.total_credit
    else:
        with pytest.raises(LedgerError):
            JournalEntry(dt.date(2026, 1, 1), "X", "", postings)


@settings(deadline=None)
@given(st.integers(-10, 0) | st.just(1.5))
def test_postings_are_positive_whole_paise(bad: int) -> None:
    with pytest.raises(LedgerError):
        JournalEntry(
            dt.date(2026, 1, 1),
            "X",
            "",
            (
                Posting(Account(acc.CASH), Side.DEBIT, bad),
                Posting(Account(acc.SURPLUS), Side.CREDIT, bad),
            ),
        )


member_line = st.builds(
    MemberLine,
    member_id=st.sampled_from(MEMBERS),
    attendance=st.sampled_from(list(Attendance)),
    compulsory=st.integers(0, 2_000_00),
    voluntary=st.integers(0, 2_000_00),
    fine=st.integers(0, 50_00),
    repayments=st.just(()),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(member_line, max_size=15, unique_by=lambda m: m.member_id),
    st.integers(0, 3_000_00),
    st.integers(0, 1_000_00),
    st.integers(1, 3),
)
def test_every_recorded_meeting_balances(
    lines: list[MemberLine], m03_repays: int, stationery: int, meetings: int
) -> None:
    books = opening_books()
    for _ in range(meetings):
        ls = [
            dataclasses.replace(line, repayments=(Repayment("L-M03", m03_repays),))
            if line.member_id == "M03" and m03_repays
            else line
            for line in lines
        ]
        group = (GroupLine(GroupLineKind.PAYMENT, "STATIONERY", stationery),) if stationery else ()
        repaid = m03_repays if any(line.member_id == "M03" for line in ls) else 0
        cash = (
            books.location_balance("CASH")
            + sum(line.compulsory + line.voluntary + line.fine for line in ls)
            + repaid
            - stationery
        )
        meeting = Meeting(
            books.last_meeting_number + 1,
            books.last_meeting_date + dt.timedelta(days=30),
            tuple(ls),
            group,
            cash_counted=cash,
            passbook={SB: books.location_balance(SB)},
        )
        try:
            out = record_meeting(books, meeting, dt.date(2030, 1, 1))
        except MeetingRefused as refused:
            # only a repayment beyond what the loan can take, or cash below zero, refuses it
            assert {e.field.rsplit(".", 1)[-1] for e in refused.errors} <= {
                "amount",
                "cash_counted",
            }
            return
        for e in out.entries:
            assert e.total_debit == e.total_credit
        books = books_after(books, out)
        assert books.balances.is_balanced()


# --- schedules --------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(terms_st, units)
def test_principal_sums_to_amount_disbursed(terms: LoanTerms, unit: int) -> None:
    rows = build_schedule(terms, unit)
    assert len(rows) == terms.tenure
    assert sum(r.principal for r in rows) == terms.amount
    assert rows[-1].balance_after == 0
    assert all(r.principal >= 0 and r.interest >= 0 for r in rows)
    assert [r.due_meeting for r in rows] == list(
        range(terms.first_due_meeting, terms.first_due_meeting + terms.tenure)
    )


@settings(max_examples=300, deadline=None)
@given(terms_st.filter(lambda t: t.rate > 0), units)
def test_declining_emi_matches_numpy_financial(terms: LoanTerms, unit: int) -> None:
    """EMI = round(pmt); each interest within the rounding rule of the exact ipmt (C5, C6).

    Each period our balance can drift from the exact one by at most one rounding unit (the EMI's
    half unit and the interest's half unit), compounding at the rate; the interest then differs by
    the rate times that drift plus its own half unit.
    """
    terms = dataclasses.replace(terms, method=Method.DECLINING_EMI)
    rows = build_schedule(terms, unit)
    r = float(terms.period_rate)
    n = terms.tenure
    reference_pmt = -float(npf.pmt(r, n, terms.amount))
    emi = rows[0].total
    assert abs(emi - reference_pmt) <= unit / 2 + 1e-6 * terms.amount
    assert abs(Fraction(emi) - exact_pmt(terms.amount, terms.period_rate, n)) <= Fraction(unit, 2)
    # a coarse rounding unit on a tiny EMI can repay the loan early; the EMI then stops there
    assert all(row.total == emi or row.balance_after == 0 for row in rows[:-1])
    assume(all(row.balance_after > 0 for row in rows[:-1]))
    drift = 0.0
    for k, row in enumerate(rows, start=1):
        reference_interest = -float(npf.ipmt(r, k, n, terms.amount))
        tolerance = unit / 2 + r * drift + 1e-6 * terms.amount
        assert abs(row.interest - reference_interest) <= tolerance
        drift = drift * (1 + r) + unit


def test_zero_rate_is_equal_principal() -> None:
    rows = build_schedule(LoanTerms(1000_00, 0, Method.DECLINING_EMI, 3, 1, FIRST_DUE), 100)
    assert [r.principal for r in rows] == [333_00, 333_00, 334_00]
    assert RATE_DENOMINATOR == 10_000


# --- allocation -------------------------------------------------------------------------------

orders = st.permutations(list(Component)).map(tuple)


@st.composite
def loan_at_meeting(draw: st.DrawFn) -> tuple[LoanState, int]:
    terms = draw(terms_st.filter(lambda t: t.tenure <= 24))
    rows = build_schedule(terms, 100)
    paid = []
    for row in rows:
        p = draw(st.integers(0, row.principal))
        i = draw(st.integers(0, row.interest))
        paid.append(Paid(p, i))
    loan = LoanState(
        "L",
        "M01",
        acc.LoanSource.OWN_FUNDS,
        terms,
        tuple(rows),
        tuple(paid),
        penalty_due=draw(st.integers(0, 500_00)),
    )
    meeting = draw(
        st.integers(terms.first_due_meeting - 1, terms.first_due_meeting + terms.tenure + 2)
    )
    return loan, meeting


@settings(max_examples=400, deadline=None)
@given(loan_at_meeting(), orders, st.booleans(), st.data())
def test_allocation_order_holds_for_any_repayment(
    case: tuple[LoanState, int],
    order: tuple[Component, ...],
    overdue_first: bool,
    data: st.DataObject,
) -> None:
    loan, meeting = case
    policy = BookPolicy(allocation_order=order, overdue_first=overdue_first)
    owed_total = loan.penalty_due + sum(
        i.total - p.principal - p.interest for i, p in zip(loan.schedule, loan.paid, strict=True)
    )
    future_interest = sum(
        i.interest - p.interest
        for i, p in zip(loan.schedule, loan.paid, strict=True)
        if i.due_meeting > meeting
    )
    payable = owed_total - future_interest  # advance pays principal only (C9)
    if payable <= 0:
        with pytest.raises(LedgerError):
            allocate(loan, 1, meeting, policy)
        return
    amount = data.draw(st.integers(1, payable + 1_000))
    if amount > payable:
        with pytest.raises(LedgerError):
            allocate(loan, amount, meeting, policy)
        return
    a = allocate(loan, amount, meeting, policy)
    assert a.total == amount
    due = dues_at(loan, meeting)
    component_due = {
        Component.PENALTY: due.penalty,
        Component.INTEREST: due.overdue_interest + due.current_interest,
        Component.PRINCIPAL: due.overdue_principal + due.current_principal,
    }
    component_paid = {
        Component.PENALTY: a.penalty,
        Component.INTEREST: a.interest,
        Component.PRINCIPAL: a.principal,
    }
    # a later component gets money only when every earlier one is paid in full
    for earlier, later in itertools.combinations(order, 2):
        if component_paid[later]:
            assert component_paid[earlier] == component_due[earlier]
    # advance (not yet due) principal only after all dues are paid
    if a.advance_principal:
        assert all(component_paid[c] == component_due[c] for c in Component)
    # overdue before today's within a component (or today's first when so configured)
    within = {"interest": due.overdue_interest, "principal": due.overdue_principal}
    today = {"interest": due.current_interest, "principal": due.current_principal}
    for name, got in (("interest", a.interest), ("principal", a.principal)):
        first, second = (within, today) if overdue_first else (today, within)
        if got > first[name]:
            assert got - first[name] <= second[name]
        else:
            # nothing reached the second group: the first took everything of this component
            pass
    after = apply_allocation(loan, a)
    for inst, p in zip(after.schedule, after.paid, strict=True):
        assert 0 <= p.principal <= inst.principal
        assert 0 <= p.interest <= inst.interest
    assert after.outstanding_principal == loan.outstanding_principal - a.total_principal


def test_balances_of_no_entries_is_balanced() -> None:
    assert Balances().is_balanced()
