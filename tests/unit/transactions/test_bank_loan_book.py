"""The SHG's bank loan in its books (G2, G5–G7): entries, statement, standing."""

from __future__ import annotations

import datetime as dt

from services.transactions.books.bank_linkage import Facility, Frequency
from services.transactions.books.bank_loan_book import (
    DISBURSAL,
    REPAYMENT,
    Line,
    Terms,
    complete_quarters,
    disbursal_entry,
    eligibility,
    instalments,
    repayment_entry,
    standing,
    statement,
)

D = dt.date


def test_entries_keep_the_bank_liability_apart() -> None:
    drawn = disbursal_entry(D(2026, 1, 20), "SB1", 100_000_00, "TL-1")
    assert {(p.account.head, p.account.sub, p.signed) for p in drawn.postings} == {
        ("BANK", "SB1", 100_000_00),
        ("BANK_LOAN", "", -100_000_00),
    }
    paid = repayment_entry(D(2026, 3, 1), "SB1", 9_542_00, 958_00, "TL-1")
    assert {(p.account.head, p.signed) for p in paid.postings} == {
        ("BANK_LOAN", 9_542_00),
        ("BANK_LOAN_INTEREST", 958_00),
        ("BANK", -10_500_00),
    }
    only_interest = repayment_entry(D(2026, 3, 1), "SB1", 0, 500_00, "TL-1")
    assert [p.account.head for p in only_interest.postings] == ["BANK_LOAN_INTEREST", "BANK"]


def test_instalments_at_the_sanctioned_frequency() -> None:
    assert [i.due_on for i in instalments(D(2026, 1, 31), Frequency.QUARTERLY, 3, 5)] == [
        D(2026, 1, 31),
        D(2026, 4, 30),
        D(2026, 7, 31),
    ]


def test_statement_debits_interest_and_credits_the_payment() -> None:
    lines = [
        Line(D(2026, 3, 1), REPAYMENT, "REPAYMENT", 9_542, 958),
        Line(D(2026, 1, 20), DISBURSAL, "DRAWAL", 100_000, 0),
    ]
    assert [(s.particulars, s.debit, s.credit) for s in statement(lines)] == [
        ("DRAWAL", 100_000, 0),
        ("INTEREST", 958, 0),
        ("REPAYMENT", 0, 10_500),
    ]


def test_complete_quarters_only() -> None:
    assert [name for _, name in complete_quarters(D(2026, 1, 15), D(2026, 6, 29))] == ["2026-Q1"]
    assert [name for _, name in complete_quarters(D(2025, 11, 1), D(2026, 3, 31))] == [
        "2025-Q4",
        "2026-Q1",
    ]


TL = Terms(Facility.TERM_LOAN, D(2026, 1, 15), 0, Frequency.MONTHLY, D(2026, 3, 1), 10, 10_500)


def test_term_loan_npa_after_90_days_past_due() -> None:
    lines = [
        Line(D(2026, 1, 20), DISBURSAL, "DRAWAL", 100_000, 0),
        Line(D(2026, 3, 1), REPAYMENT, "REPAYMENT", 9_542, 958),
    ]
    on_30_june = standing(TL, lines, D(2026, 6, 30))
    assert (on_30_june.outstanding, on_30_june.days_past_due, on_30_june.npa) == (90_458, 90, False)
    on_1_july = standing(TL, lines, D(2026, 7, 1))
    assert (on_1_july.days_past_due, on_1_july.npa) == (91, True)
    assert on_1_july.prompt_payer == (("2026-Q1", True), ("2026-Q2", False))
    # lines after the date do not count
    assert standing(TL, lines, D(2026, 2, 1)).outstanding == 100_000


def test_a_fresh_cash_credit_is_not_out_of_order_yet() -> None:
    cc = Terms(Facility.CASH_CREDIT, D(2026, 2, 1), 150_000, Frequency.MONTHLY, None, 0, 0)
    lines = [Line(D(2026, 2, 2), DISBURSAL, "DRAWAL", 100_000, 0)]
    assert standing(cc, lines, D(2026, 4, 30)).npa is False  # drawn 87 days ago
    late = standing(cc, lines, D(2026, 5, 10))  # 97 days, never a credit
    assert late.npa and late.out_of_order == ("no credit in the last 90 days",)
    assert standing(cc, [], D(2026, 12, 31)).npa is False  # nothing drawn, nothing owed


def test_eligibility_for_a_bank_loan_names_every_reason() -> None:
    assert eligibility(D(2026, 1, 1), D(2026, 7, 1), "B", True, []) == []
    codes = [r.code for r in eligibility(D(2026, 1, 2), D(2026, 7, 1), "C", False, ["TL-1"])]
    assert codes == ["too_young", "grade_not_passed", "npa"]
    assert [r.code for r in eligibility(None, D(2026, 7, 1), None, None, [])] == [
        "too_young",
        "not_graded",
    ]
    # a revived group: the state sets 3 months
    assert eligibility(D(2026, 4, 1), D(2026, 7, 1), "A", True, [], min_months=3) == []
