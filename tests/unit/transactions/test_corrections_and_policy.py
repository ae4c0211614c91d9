"""A6/E5 corrections by the core (reversal entries, refusals named by field) and the book
settings as JSON (a state's defaults, a book's own on top)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from services.transactions.books import accounts as acc
from services.transactions.books.cutoff import CutOffSheet, check_cutoff
from services.transactions.books.ledger import JournalEntry, credit, debit
from services.transactions.books.meeting import (
    Attendance,
    Correction,
    EntryStanding,
    Meeting,
    MeetingRefused,
    MemberLine,
    Repayment,
    Withdrawal,
    WithdrawalKind,
    books_after,
    record_meeting,
)
from services.transactions.books.money import rupees
from services.transactions.books.policy import (
    AdvancePolicy,
    BookPolicy,
    Component,
    policy_from_json,
)
from tests.unit.transactions.worked_meeting import meeting_25, opening_books, opening_sheet

TODAY = dt.date(2026, 1, 10)
# Meeting 24's stationery, booked at ₹60 instead of ₹6: reversed in meeting 25.
STATIONERY = JournalEntry(
    dt.date(2025, 12, 10),
    "GROUP_PAYMENT",
    "stationery",
    (debit("STATIONERY", rupees(60)), credit(acc.CASH, rupees(60))),
    24,
)


def corrected(*corrections: Correction, cash_delta: int = 0) -> Meeting:
    m = meeting_25()
    assert m.cash_counted is not None
    return dataclasses.replace(m, corrections=corrections, cash_counted=m.cash_counted + cash_delta)


def test_a_reversal_flips_the_entry_into_this_meeting_and_moves_the_cash() -> None:
    fix = Correction(7, "₹6 of stationery typed as ₹60", EntryStanding.APPROVED, STATIONERY)
    out = record_meeting(opening_books(), corrected(fix, cash_delta=rupees(60)), TODAY)
    (reversal,) = [e for e in out.entries if e.reverses is not None]
    assert (reversal.kind, reversal.narration, reversal.reverses) == (
        "REVERSAL:GROUP_PAYMENT",
        "₹6 of stationery typed as ₹60",
        7,
    )
    assert reversal.date == TODAY and reversal.meeting_number == 25
    assert {(p.account.head, p.side.name, p.amount) for p in reversal.postings} == {
        ("STATIONERY", "CREDIT", rupees(60)),
        (acc.CASH, "DEBIT", rupees(60)),
    }
    assert out.closing["CASH"] == meeting_25().cash_counted + rupees(60)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("correction", "says"),
    [
        (Correction(7, " ", EntryStanding.APPROVED, STATIONERY), "needs a reason"),
        (Correction(7, "typo", EntryStanding.UNKNOWN), "no entry 7"),
        (Correction(7, "typo", EntryStanding.PENDING, STATIONERY), "rejects that meeting"),
        (Correction(7, "typo", EntryStanding.REVERSED, STATIONERY), "reversed already"),
        (
            Correction(
                7, "typo", EntryStanding.APPROVED, dataclasses.replace(STATIONERY, kind="REPAYMENT")
            ),
            "cannot be reversed",
        ),
    ],
)
def test_a_correction_that_cannot_be_made_is_named(correction: Correction, says: str) -> None:
    with pytest.raises(MeetingRefused) as exc:
        record_meeting(opening_books(), corrected(correction), TODAY)
    (error,) = exc.value.errors
    field = "reason" if "reason" in says else "entry_id"
    assert error.field == f"corrections[0].{field}"
    assert says in error.message


def test_book_settings_as_json_over_a_base() -> None:
    state = policy_from_json({"rounding_unit": 1, "min_age_for_lending_days": 90})
    assert (state.rounding_unit, state.min_age_for_lending_days) == (1, 90)
    book = policy_from_json(
        {
            "allocation_order": ["INTEREST", "PENALTY", "PRINCIPAL"],
            "advance_policy": "REFUSE",
            "max_open_loans_per_member": 2,
        },
        state,
    )
    assert book.rounding_unit == 1  # the state's, kept
    assert book.allocation_order == (Component.INTEREST, Component.PENALTY, Component.PRINCIPAL)
    assert book.advance_policy is AdvancePolicy.REFUSE
    assert book.max_open_loans_per_member == 2
    assert policy_from_json({}) == BookPolicy()


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"rounding_units": 1}, "unknown book settings: rounding_units"),
        ({"rounding_unit": "1"}, "rounding_unit"),
        ({"rounding_unit": 0}, "rounding_unit"),
        ({"allow_future_dates": 1}, "allow_future_dates"),
        ({"advance_policy": "LATER"}, "advance_policy"),
        ({"allocation_order": ["INTEREST", "PRINCIPAL"]}, "allocation_order"),
    ],
)
def test_a_bad_book_setting_is_named(settings: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        policy_from_json(settings)


def test_an_old_group_brings_its_balances_through_the_cutoff() -> None:
    """I1: 12 or more paper meetings and an empty sheet is refused; a new group opens empty."""
    chart = acc.CHARTS[acc.CboType.SHG]
    empty = CutOffSheet(
        date=dt.date(2025, 12, 1), last_paper_meeting=12, cash=0, banks={}, members=()
    )
    with pytest.raises(MeetingRefused) as exc:
        check_cutoff(empty, chart, BookPolicy())
    assert [e.field for e in exc.value.errors] == ["last_paper_meeting"]
    young = dataclasses.replace(empty, last_paper_meeting=11)
    assert check_cutoff(young, chart, BookPolicy()).entry is None
    # the threshold is the state's (or the book's) setting
    assert check_cutoff(empty, chart, policy_from_json({"cutoff_required_after_meetings": 13}))
    assert check_cutoff(opening_sheet(), chart, BookPolicy()).total_assets > 0


def test_a_fine_on_an_absentee_is_a_receivable_she_pays_when_she_attends() -> None:
    """D1 with a ₹5 absence fine: M15 (absent at meeting 25) owes it, no cash moves; at meeting
    26 she pays ₹10 of fines: ₹5 settles what she owed, ₹5 is that day's fine income."""
    policy = BookPolicy(absence_fine=rupees(5))
    books = opening_books(policy)
    m25 = meeting_25()
    out = record_meeting(books, m25, TODAY)  # the same cash counted: the levy is not cash
    (levy,) = [e for e in out.entries if e.kind == "FINE_LEVIED"]
    assert {(p.account.head, p.account.sub, p.side.name, p.amount) for p in levy.postings} == {
        (acc.FINES_RECEIVABLE, "M15", "DEBIT", rupees(5)),
        (acc.FINE_INCOME, "", "CREDIT", rupees(5)),
    }
    rows = {r.member_id: r for r in out.rows}
    assert (rows["M15"].fines_receivable, rows["M12"].fines_receivable) == (rupees(5), 0)
    # LEAVE (absent with prior intimation) is not fined
    on_leave = dataclasses.replace(
        m25,
        members=tuple(
            dataclasses.replace(m, attendance=Attendance.LEAVE) if m.member_id == "M15" else m
            for m in m25.members
        ),
    )
    assert not [
        e for e in record_meeting(books, on_leave, TODAY).entries if e.kind == "FINE_LEVIED"
    ]

    after = books_after(books, out)
    m26 = dataclasses.replace(
        m25,
        number=26,
        date=dt.date(2026, 2, 10),
        members=(
            *(MemberLine(m.member_id) for m in m25.members if m.member_id != "M15"),
            MemberLine("M15", fine=rupees(10)),
        ),
        contras=(),
        group=(),
        cash_counted=out.closing["CASH"] + rupees(10),
        passbook={k: v for k, v in out.closing.items() if k != "CASH"},
    )
    paid = record_meeting(after, m26, dt.date(2026, 2, 10))
    (fines,) = [e for e in paid.entries if e.kind == "FINE"]
    assert {(p.account.head, p.account.sub, p.side.name, p.amount) for p in fines.postings} == {
        ("CASH", "", "DEBIT", rupees(10)),
        (acc.FINES_RECEIVABLE, "M15", "CREDIT", rupees(5)),
        (acc.FINE_INCOME, "", "CREDIT", rupees(5)),
    }
    assert {r.member_id: r.fines_receivable for r in paid.rows}["M15"] == 0
    assert not [e for e in paid.entries if e.kind == "FINE_LEVIED"]  # nobody absent


def test_a_young_group_does_not_lend_before_the_minimum_age() -> None:
    """C1 with 90 days: meeting 25 (10 Jan 2026) disburses M07's loan; a group formed on
    1 Nov 2025 is 70 days old then and is refused, naming the disbursal; one of 2023 is not."""
    policy = BookPolicy(min_age_for_lending_days=90)
    young = dataclasses.replace(opening_books(policy), formed_on=dt.date(2025, 11, 1))
    with pytest.raises(MeetingRefused) as exc:
        record_meeting(young, meeting_25(), TODAY)
    error, passbook = exc.value.errors  # the ₹10,000 not paid out leaves SB above the passbook
    assert (error.field, passbook.field) == ("members[6].disbursals[0].amount", "passbook.SB1")
    assert "70 days old" in error.message
    old = dataclasses.replace(young, formed_on=dt.date(2023, 4, 1))
    assert record_meeting(old, meeting_25(), TODAY).new_loans == ("L-M07",)


def test_penal_interest_on_overdue_principal_is_paid_first() -> None:
    """2% a meeting of the overdue principal: M03 paid nothing at meeting 25, so at meeting 26
    her instalment 3 (₹989 principal) is overdue: ₹19.78 → ₹20 levied; her ₹1,000 pays that
    first (penalty income), then interest, then principal (C8)."""
    policy = BookPolicy(penal_rate_per_meeting=200)
    books = dataclasses.replace(
        opening_books(policy), last_meeting_number=25, last_meeting_date=dt.date(2026, 1, 10)
    )
    before = books.location_balance("CASH")
    m26 = Meeting(
        number=26,
        date=dt.date(2026, 2, 10),
        members=(MemberLine("M03", repayments=(Repayment("L-M03", rupees(1_000)),)),),
        cash_counted=before + rupees(1_000),
        passbook={"SB1": books.location_balance("SB1")},
    )
    out = record_meeting(books, m26, dt.date(2026, 2, 10))
    assert out.penalties == {"L-M03": rupees(20)}
    assert out.allocations["L-M03"].penalty == rupees(20)
    (repayment,) = [e for e in out.entries if e.kind == "REPAYMENT"]
    assert (acc.PENALTY_INCOME, rupees(20)) in {
        (p.account.head, p.amount) for p in repayment.postings
    }
    row = {r.member_id: r for r in out.rows}["M03"]
    assert row.loan_due == rupees(20 + 82 + 989 + 62 + 1009)
    assert out.loans["L-M03"].penalty_due == 0
    # no rate, no levy
    plain = dataclasses.replace(m26, number=25)
    assert record_meeting(opening_books(), plain, m26.date).penalties == {}


def test_savings_go_back_whole_on_exit_and_a_dividend_comes_from_the_surplus() -> None:
    """B4: M15 leaves at meeting 25 — her ₹2,200 of compulsory savings are returned whole on a
    resolution; a part of them, more than she has, or no resolution is refused with the field;
    a ₹100 dividend to M01 comes out of the accumulated surplus."""
    books = opening_books()
    m25 = meeting_25()
    exit_line = MemberLine(
        "M15",
        Attendance.PRESENT,
        withdrawals=(
            Withdrawal(WithdrawalKind.SAVINGS_RETURN, rupees(2_200), "R-7/2026", via="SB1"),
        ),
    )
    dividend = Withdrawal(WithdrawalKind.DIVIDEND, rupees(100), "R-8/2026", via="SB1")

    def with_lines(m15: MemberLine, extra: tuple[Withdrawal, ...] = ()) -> Meeting:
        lines = tuple(
            m15
            if m.member_id == "M15"
            else dataclasses.replace(m, withdrawals=extra)
            if m.member_id == "M01"
            else m
            for m in m25.members
        )
        paid_out = sum(w.amount for w in (*m15.withdrawals, *extra))  # all from the bank
        passbook = {"SB1": m25.passbook["SB1"] - paid_out}
        return dataclasses.replace(m25, members=lines, passbook=passbook)

    out = record_meeting(books, with_lines(exit_line, (dividend,)), TODAY)
    kinds = {e.kind: e for e in out.entries}
    assert {
        (p.account.head, p.account.sub, p.side.name, p.amount)
        for p in kinds["SAVINGS_RETURN"].postings
    } == {
        (acc.COMPULSORY_SAVINGS, "M15", "DEBIT", rupees(2_200)),
        (acc.BANK, "SB1", "CREDIT", rupees(2_200)),
    }
    assert {(p.account.head, p.side.name) for p in kinds["DIVIDEND"].postings} == {
        (acc.SURPLUS, "DEBIT"),
        (acc.BANK, "CREDIT"),
    }
    rows = {r.member_id: r for r in out.rows}
    assert (rows["M15"].compulsory_total, rows["M15"].withdrawn) == (0, rupees(2_200))
    assert rows["M01"].withdrawn == rupees(100)

    for amount, resolution, says in (
        (rupees(1_000), "R-7/2026", "returned whole"),
        (rupees(3_000), "R-7/2026", "more than her"),
        (rupees(2_200), " ", "resolution"),
    ):
        line = dataclasses.replace(
            exit_line,
            withdrawals=(Withdrawal(WithdrawalKind.SAVINGS_RETURN, amount, resolution, via="SB1"),),
        )
        with pytest.raises(MeetingRefused) as exc:
            record_meeting(books, with_lines(line), TODAY)
        first = exc.value.errors[0]
        assert first.field.startswith("members[14].withdrawals[0].")
        assert says in first.message
    # a group that allows partial withdrawals
    partial = dataclasses.replace(
        exit_line,
        withdrawals=(
            Withdrawal(WithdrawalKind.SAVINGS_RETURN, rupees(1_000), "R-9/2026", via="SB1"),
        ),
    )
    allowing = opening_books(BookPolicy(partial_savings_withdrawal=True))
    assert {r.member_id: r for r in record_meeting(allowing, with_lines(partial), TODAY).rows}[
        "M15"
    ].compulsory_total == rupees(1_200)
