"""shared/TRANSACTIONS.md §8 computed by the core, to the rupee."""

from __future__ import annotations

import datetime as dt

import pytest

from services.transactions.books import accounts as acc
from services.transactions.books.ledger import Side, balance_sheet, trial_balance
from services.transactions.books.loans import allocate, overdue_as_of
from services.transactions.books.meeting import MeetingRefused, books_after, record_meeting
from services.transactions.books.money import rupees
from services.transactions.books.policy import BookPolicy, Component
from services.transactions.books.schedule import LoanTerms, Method, build_schedule
from tests.unit.transactions.worked_meeting import (
    M03_SCHEDULE,
    M03_TERMS,
    M07_SCHEDULE,
    MEETING_DATE,
    SB,
    meeting_25,
    opening_books,
)

TODAY = dt.date(2026, 1, 10)
CHART = acc.CHARTS[acc.CboType.SHG]


def as_rupees(paise: int) -> int:
    assert paise % 100 == 0, paise
    return paise // 100


def test_opening_position_balances() -> None:
    books = opening_books()
    sheet = balance_sheet(books.balances, CHART, acc.SURPLUS)
    assert as_rupees(sheet.total_assets) == 53_929
    assert as_rupees(sheet.total_liabilities_and_funds) == 53_929
    assert as_rupees(books.loans["L-M03"].outstanding_principal) == 4_079
    assert as_rupees(sheet.liabilities[acc.COMPULSORY_SAVINGS]) == 33_000
    assert as_rupees(sheet.liabilities[acc.VOLUNTARY_SAVINGS]) == 1_600
    assert as_rupees(sheet.funds[acc.RF_CORPUS]) == 15_000
    assert as_rupees(sheet.funds[acc.SURPLUS]) == 4_329


def test_m03_schedule() -> None:
    rows = build_schedule(M03_TERMS, BookPolicy().rounding_unit)
    got = [
        (
            as_rupees(r.total),
            as_rupees(r.interest),
            as_rupees(r.principal),
            as_rupees(r.balance_after),
        )
        for r in rows
    ]
    assert got == M03_SCHEDULE
    assert rows[2].due_meeting == 25


def test_meeting_25() -> None:
    books = opening_books()
    out = record_meeting(books, meeting_25(), TODAY)

    # journal: seven entries, debits = credits = 18,436
    kinds = [e.kind for e in out.entries]
    assert kinds == ["CS", "VS", "REPAYMENT", "FINE", "PAYMENT", "CONTRA", "DISBURSAL"]
    amounts = [as_rupees(e.total_debit) for e in out.entries]
    assert amounts == [2_800, 500, 1_071, 5, 60, 4_000, 10_000]
    assert sum(amounts) == 18_436
    assert all(e.total_debit == e.total_credit for e in out.entries)
    cs = out.entries[0]
    assert len([p for p in cs.postings if p.side is Side.CREDIT]) == 14
    repayment = {
        (p.account.head, p.account.sub): as_rupees(p.amount) for p in out.entries[2].postings
    }
    assert repayment == {
        ("CASH", ""): 1_071,
        ("LOAN_OWN_FUNDS", "L-M03"): 989,
        ("INT_INCOME", ""): 82,
    }
    contra = {(p.account.head, p.side) for p in out.entries[5].postings}
    assert contra == {("BANK", Side.DEBIT), ("CASH", Side.CREDIT)}

    # receipts & payments (contra excluded) and the closing identity
    assert as_rupees(out.receipts) == 4_376
    assert as_rupees(out.payments) == 10_060
    assert as_rupees(out.opening["CASH"] + out.opening[SB]) == 49_850
    assert as_rupees(out.closing["CASH"]) == 1_566
    assert as_rupees(out.closing[SB]) == 42_600

    # member part
    rows = {r.member_id: r for r in out.rows}
    assert as_rupees(rows["M15"].compulsory_arrear) == 200
    assert as_rupees(rows["M15"].compulsory_total) == 2_200
    assert as_rupees(rows["M01"].compulsory_total) == 2_400
    assert as_rupees(rows["M05"].voluntary_total) == 950
    assert as_rupees(rows["M03"].loan_due) == 1_071
    assert (as_rupees(rows["M03"].principal_repaid), as_rupees(rows["M03"].interest_repaid)) == (
        989,
        82,
    )
    assert out.totals.present == 14
    assert as_rupees(out.totals.compulsory) == 2_800
    assert as_rupees(out.totals.voluntary) == 500
    assert as_rupees(out.totals.disbursed) == 10_000

    # M07's new schedule
    m07 = out.loans["L-M07"]
    got = [
        (
            i.due_meeting,
            as_rupees(i.total),
            as_rupees(i.interest),
            as_rupees(i.principal),
            as_rupees(i.balance_after),
        )
        for i in m07.schedule
    ]
    assert got == M07_SCHEDULE
    assert m07.schedule[0].due_date == dt.date(2026, 2, 10)
    assert as_rupees(sum(i.interest for i in m07.schedule)) == 1_133

    # closing position
    after = books_after(books, out)
    sheet = balance_sheet(after.balances, CHART, acc.SURPLUS)
    assert as_rupees(sheet.assets[acc.CASH]) == 1_566
    assert as_rupees(sheet.assets[acc.BANK]) == 42_600
    assert as_rupees(sheet.assets["LOAN_OWN_FUNDS"]) == 13_090
    assert as_rupees(sheet.total_assets) == 57_256
    assert as_rupees(sheet.liabilities[acc.COMPULSORY_SAVINGS]) == 35_800
    assert as_rupees(sheet.liabilities[acc.VOLUNTARY_SAVINGS]) == 2_100
    assert as_rupees(sheet.funds[acc.SURPLUS]) == 4_356
    assert as_rupees(sheet.total_liabilities_and_funds) == 57_256
    tb = trial_balance(after.balances)
    assert sum(line.debit for line in tb) == sum(line.credit for line in tb)
    assert after.last_meeting_number == 25
    assert after.location_balance("CASH") == rupees(1_566)


def test_other_methods_for_m07() -> None:
    def interest(method: Method) -> int:
        terms = LoanTerms(rupees(10_000), 200, method, 10, 26, dt.date(2026, 2, 10))
        return as_rupees(sum(i.interest for i in build_schedule(terms, 100)))

    assert interest(Method.FLAT) == 2_000
    assert interest(Method.EQUAL_PRINCIPAL) == 1_100
    assert interest(Method.DECLINING_EMI) == 1_133
    flat = build_schedule(LoanTerms(rupees(10_000), 200, Method.FLAT, 10, 26, MEETING_DATE), 100)
    assert {as_rupees(i.total) for i in flat} == {1_200}


def test_allocation_check_of_section_8() -> None:
    loan = opening_books().loans["L-M03"]
    first = allocate(loan, rupees(500), 25, BookPolicy())
    assert (as_rupees(first.interest), as_rupees(first.principal)) == (82, 418)
    principal_first = BookPolicy(
        allocation_order=(Component.PRINCIPAL, Component.INTEREST, Component.PENALTY)
    )
    second = allocate(loan, rupees(500), 25, principal_first)
    assert (as_rupees(second.interest), as_rupees(second.principal)) == (0, 500)

    from services.transactions.books.loans import apply_allocation

    after_first = overdue_as_of(apply_allocation(loan, first), MEETING_DATE)
    assert (as_rupees(after_first.principal), as_rupees(after_first.interest)) == (571, 0)
    after_second = overdue_as_of(apply_allocation(loan, second), MEETING_DATE)
    assert (as_rupees(after_second.principal), as_rupees(after_second.interest)) == (489, 82)
    assert after_second.days_past_due == 0
    assert overdue_as_of(apply_allocation(loan, second), dt.date(2026, 1, 25)).days_past_due == 15


def test_mismatched_closing_names_each_account_and_difference() -> None:
    import dataclasses

    m = dataclasses.replace(meeting_25(), cash_counted=rupees(1_500), passbook={SB: rupees(42_700)})
    with pytest.raises(MeetingRefused) as exc:
        record_meeting(opening_books(), m, TODAY)
    by_field = {e.field: e.message for e in exc.value.errors}
    assert set(by_field) == {"cash_counted", f"passbook.{SB}"}
    assert "difference -66.00" in by_field["cash_counted"]
    assert "difference 100.00" in by_field[f"passbook.{SB}"]
