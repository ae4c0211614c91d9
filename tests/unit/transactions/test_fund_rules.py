"""Fund release rules (F1–F3): each refusal named, the rulebook's defaults, a state's override."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from services.transactions.books.funds import (
    FundKind,
    FundRule,
    FundType,
    Mode,
    Recipient,
    Tier,
    check_release,
    default_rules,
)
from services.transactions.books.money import rupees

TODAY = date(2026, 11, 30)
RULES = default_rules()
ELIGIBLE_SHG = Recipient(
    tier=Tier.SHG, formed_on=date(2026, 1, 1), has_bank_account=True, grade_passed=True
)


def codes(rule: FundRule, recipient: Recipient, amount: int, mode: Mode = Mode.BANK) -> list[str]:
    return [r.code for r in check_release(rule, recipient, amount, mode, TODAY)]


def test_an_eligible_shg_receives_rf() -> None:
    assert codes(RULES[FundType.RF], ELIGIBLE_SHG, rupees(15_000)) == []


@pytest.mark.parametrize(
    ("recipient", "code"),
    [
        (replace(ELIGIBLE_SHG, formed_on=date(2026, 10, 1)), "FUND_RECIPIENT_TOO_YOUNG"),
        (replace(ELIGIBLE_SHG, has_bank_account=False), "FUND_NO_BANK_ACCOUNT"),
        (replace(ELIGIBLE_SHG, grade_passed=False), "FUND_GRADE_NOT_PASSED"),
        (replace(ELIGIBLE_SHG, grade_passed=None), "FUND_GRADE_NOT_PASSED"),
        (replace(ELIGIBLE_SHG, received={FundType.RF: 1}), "FUND_ALREADY_RECEIVED"),
        (replace(ELIGIBLE_SHG, tier=Tier.VO), "FUND_WRONG_TIER"),
    ],
)
def test_rf_refused_for_an_ineligible_shg_with_its_reason(recipient: Recipient, code: str) -> None:
    assert codes(RULES[FundType.RF], recipient, rupees(15_000)) == [code]


def test_reasons_are_sentences_a_bookkeeper_reads() -> None:
    young = replace(ELIGIBLE_SHG, formed_on=date(2026, 10, 1), grade_passed=None)
    refusals = check_release(RULES[FundType.RF], young, rupees(15_000), Mode.BANK, TODAY)
    assert [r.reason for r in refusals] == [
        "RF needs 90 days since formation; this SHG is 60 days old",
        "RF needs a passing grade; this group has not been graded",
    ]
    assert {r.field for r in refusals} == {"recipient"}


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (0, "FUND_AMOUNT_NOT_POSITIVE"),
        (-rupees(1), "FUND_AMOUNT_NOT_POSITIVE"),
        (rupees(9_999), "FUND_AMOUNT_BELOW_MINIMUM"),
        (rupees(15_001), "FUND_AMOUNT_ABOVE_MAXIMUM"),
    ],
)
def test_rf_amount_within_the_state_limits(amount: int, code: str) -> None:
    assert codes(RULES[FundType.RF], ELIGIBLE_SHG, amount) == [code]


def test_a_state_that_gives_more_rf_sets_it_as_data() -> None:
    # CAPUAT quotes ₹20,000–30,000 under the newer master circular.
    newer = replace(RULES[FundType.RF], min_amount=rupees(20_000), max_amount=rupees(30_000))
    assert codes(newer, ELIGIBLE_SHG, rupees(30_000)) == []
    assert codes(RULES[FundType.RF], ELIGIBLE_SHG, rupees(30_000)) == ["FUND_AMOUNT_ABOVE_MAXIMUM"]


def test_cef_in_cash_refused_and_by_bank_allowed() -> None:
    cef = RULES[FundType.CEF]
    assert codes(cef, ELIGIBLE_SHG, rupees(50_000), Mode.CASH) == ["FUND_CASH_NOT_ALLOWED"]
    assert codes(cef, ELIGIBLE_SHG, rupees(50_000), Mode.BANK) == []
    assert cef.own_account is True


def test_cif_lender_tier_is_a_state_setting() -> None:
    assert RULES[FundType.CIF].lender is Tier.CLF
    gujarat = replace(RULES[FundType.CIF], lender=Tier.VO)
    assert gujarat.lender is Tier.VO
    assert codes(gujarat, ELIGIBLE_SHG, rupees(1_50_000)) == []
    assert codes(gujarat, ELIGIBLE_SHG, rupees(1_50_001)) == ["FUND_AMOUNT_ABOVE_MAXIMUM"]


def test_a_rule_that_cannot_hold_is_refused() -> None:
    with pytest.raises(ValueError, match="lender"):
        FundRule(fund=FundType.CIF, kind=FundKind.LOAN, recipient=Tier.SHG)
    with pytest.raises(ValueError, match="out of order"):
        FundRule(
            fund=FundType.RF,
            kind=FundKind.GRANT,
            recipient=Tier.SHG,
            min_amount=rupees(2),
            max_amount=rupees(1),
        )
