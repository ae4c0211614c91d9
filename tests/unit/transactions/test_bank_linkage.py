"""The SHG's bank loan (G5–G8): days past due, NPA, prompt payer and the portal's flat files."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from services.transactions.books.bank_linkage import (
    Facility,
    Frequency,
    Instalment,
    PortalLoan,
    StatementLine,
    cash_credit_out_of_order,
    days_past_due,
    is_npa,
    prompt_payer_cash_credit,
    prompt_payer_term_loan,
    quarter_of,
    template1,
    template2,
)
from services.transactions.books.money import rupees

MONTHLY = [Instalment(date(2026, m, 1), rupees(1_000)) for m in (1, 2, 3)]
Q1 = (date(2026, 1, 1), date(2026, 3, 31))


def test_days_past_due_counts_from_the_oldest_instalment_not_covered() -> None:
    # ₹1,500 repaid covers January and half of February: February 1 is the oldest unpaid.
    assert days_past_due(MONTHLY, rupees(1_500), date(2026, 4, 15)) == 73
    assert days_past_due(MONTHLY, rupees(3_000), date(2026, 4, 15)) == 0
    # Instalments not yet due are not overdue.
    assert days_past_due(MONTHLY, 0, date(2026, 1, 10)) == 9


def test_a_term_loan_is_npa_after_ninety_days_overdue() -> None:
    assert not is_npa(
        Facility.TERM_LOAN, date(2026, 5, 2), instalments=MONTHLY, repaid=rupees(1_500)
    )  # 90 days: not yet
    assert is_npa(Facility.TERM_LOAN, date(2026, 5, 3), instalments=MONTHLY, repaid=rupees(1_500))


def _drawn(amount: int, *credits: tuple[date, int]) -> list[StatementLine]:
    lines = [StatementLine(date(2026, 1, 10), "DRAWAL", rupees(amount), 0)]
    lines += [
        StatementLine(day, "INTEREST", rupees(1_000), 0)
        for day in (date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30))
    ]
    lines += [StatementLine(day, "REPAYMENT", 0, rupees(value)) for day, value in credits]
    return lines


@pytest.mark.parametrize(
    ("statement", "reasons"),
    [
        (_drawn(90_000, (date(2026, 2, 15), 5_000)), ["no credit in the last 90 days"]),
        (
            _drawn(90_000, (date(2026, 4, 10), 500)),
            ["credits ₹500.00 do not cover the interest ₹2000.00"],
        ),
        (_drawn(90_000, (date(2026, 4, 10), 5_000)), []),
        (
            _drawn(1_10_000, *((date(2026, m, 20), 2_000) for m in (1, 2, 3, 4, 5))),
            ["above the drawing power for more than 90 days"],
        ),
    ],
)
def test_cash_credit_out_of_order(statement: list[StatementLine], reasons: list[str]) -> None:
    on = date(2026, 5, 31)
    assert cash_credit_out_of_order(statement, 0, rupees(1_00_000), on) == reasons
    assert is_npa(
        Facility.CASH_CREDIT, on, statement=statement, drawing_power=rupees(1_00_000)
    ) is bool(reasons)


def test_term_loan_prompt_payer_per_quarter() -> None:
    dues = [Instalment(date(2026, m, 15), rupees(1_000)) for m in (1, 2, 3)]
    on_time = [(date(2026, 1, 20), rupees(1_000)), (date(2026, 2, 10), rupees(1_000))]
    assert prompt_payer_term_loan(dues, [*on_time, (date(2026, 4, 10), rupees(1_000))], Q1)
    # March's instalment paid 36 days late, or not at all.
    assert not prompt_payer_term_loan(dues, [*on_time, (date(2026, 4, 20), rupees(1_000))], Q1)
    assert not prompt_payer_term_loan(dues, on_time, Q1)


def test_an_arrear_is_paid_before_the_quarter_counts() -> None:
    dues = [Instalment(date(2025, 12, 15), rupees(1_000))] + [
        Instalment(date(2026, m, 15), rupees(1_000)) for m in (1, 2, 3)
    ]
    payments = [
        (date(2026, 1, 20), rupees(1_000)),  # pays December's arrear
        (date(2026, 2, 10), rupees(1_000)),  # January's, 26 days after its due date
        (date(2026, 3, 12), rupees(1_000)),  # February's, 25 days after
        (date(2026, 4, 10), rupees(1_000)),  # March's, 26 days after
    ]
    assert prompt_payer_term_loan(dues, payments, Q1)
    assert not prompt_payer_term_loan(dues, payments[:1] + payments[2:], Q1)


def _cc(*lines: tuple[date, int, int]) -> list[StatementLine]:
    return [StatementLine(day, "X", rupees(debit), rupees(credit)) for day, debit, credit in lines]


def test_cash_credit_prompt_payer() -> None:
    dp = rupees(1_00_000)
    monthly_credits = [(date(2026, m, 5), 0, 1_000) for m in (1, 2, 3)]
    assert prompt_payer_cash_credit(_cc(*monthly_credits), rupees(50_000), dp, Q1)
    # No credit in February.
    assert not prompt_payer_cash_credit(_cc(*monthly_credits[::2]), rupees(50_000), dp, Q1)
    # Over the DP from January 6 to February 20: 45 days running.
    long_run = [*monthly_credits, (date(2026, 1, 6), 60_000, 0), (date(2026, 2, 20), 0, 20_000)]
    assert not prompt_payer_cash_credit(_cc(*long_run), rupees(50_000), dp, Q1)
    # Over the DP from January 6 to January 26: 20 days, allowed.
    short_run = [*monthly_credits, (date(2026, 1, 6), 60_000, 0), (date(2026, 1, 26), 0, 20_000)]
    assert prompt_payer_cash_credit(_cc(*short_run), rupees(50_000), dp, Q1)


def test_quarter_of() -> None:
    assert quarter_of(date(2026, 11, 30)) == (date(2026, 10, 1), date(2026, 12, 31))
    assert quarter_of(date(2026, 2, 1)) == Q1


LOAN = PortalLoan(
    loan_account="LN001",
    facility=Facility.CASH_CREDIT,
    amount_or_dp=rupees(1_50_000),
    dated=date(2026, 4, 1),
    moratorium_months=0,
    rate_hundredths=700,
    instalments=36,
    instalment_amount=rupees(4_632),
    frequency=Frequency.MONTHLY,
    shg_name="Jai Maa Durga SHG",
    village="Rampur",
    block="Bisra",
    district="Sundargarh",
    pin="770036",
    sb_account="SB123",
    sb_opened_on=date(2025, 6, 1),
    ifsc="SBIN0001234",
    capital_subsidy=False,
)


def test_template1_is_pipe_delimited_with_iso_dates() -> None:
    assert list(template1([LOAN])) == [
        "LN001|CC|150000.00|2026-04-01|0|7.00|36|4632.00|M|Jai Maa Durga SHG|Rampur|Bisra|"
        "Sundargarh|770036|SB123|2025-06-01|SBIN0001234|N"
    ]


def test_template2_carries_the_closing_balance() -> None:
    lines = _cc((date(2026, 4, 2), 50_000, 0), (date(2026, 4, 30), 0, 5_000))
    assert list(template2("LN001", "SBIN0001234", 0, lines)) == [
        "LN001|2026-04-02|X|50000.00|0.00|50000.00|SBIN0001234",
        "LN001|2026-04-30|X|0.00|5000.00|45000.00|SBIN0001234",
    ]


def test_a_field_with_the_delimiter_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot contain"):
        list(template1([replace(LOAN, shg_name="A|B")]))
