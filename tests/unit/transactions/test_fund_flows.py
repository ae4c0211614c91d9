"""Fund movements between the books (F1–F6): dated state rules, who lends to whom, each side's
entry balanced, the refusals of a movement, and the approver of each tier (pure, no I/O)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

import pytest

from lokos import catalogue
from lokos.errors import NotFound, PermissionDenied
from lokos.principal import GeoPath, Principal, RoleGrant, Scope
from services.transactions import access
from services.transactions.books.accounts import CHARTS, CboType
from services.transactions.books.flows import Movement, giver_entry, receiver_entry
from services.transactions.books.funds import (
    FundType,
    Mode,
    Recipient,
    Tier,
    default_rules,
    fund_rules_from_json,
    lending_refusal,
)
from services.transactions.books.ledger import check_against_chart
from services.transactions.books.money import rupees
from services.transactions.books.schedule import Method
from services.transactions.funds_service import TransferIn, release_refusals

ON = date(2026, 6, 1)
RULES = default_rules()


def test_a_states_dated_changes_apply_from_their_dates_on_top_of_each_other() -> None:
    rules = fund_rules_from_json(
        {
            "RF": [
                {"from": "2024-04-01", "max_amount": rupees(30_000), "min_amount": rupees(20_000)},
                {"from": "2025-04-01", "min_age_days": 180},
            ],
            "CIF": [{"from": "2021-11-25", "lender": "VO"}],
        }
    )
    assert rules.rule(FundType.RF, date(2024, 3, 31)).max_amount == rupees(15_000)
    later = rules.rule(FundType.RF, date(2025, 6, 1))
    assert (later.min_amount, later.max_amount, later.min_age_days) == (
        rupees(20_000),
        rupees(30_000),
        180,
    )
    assert rules.rule(FundType.CIF, ON).lender is Tier.VO
    assert rules.rule(FundType.CEF, ON) == RULES[FundType.CEF]


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"XYZ": []}, "unknown fund"),
        ({"RF": [{"max_amount": 1}]}, "names the date"),
        ({"RF": [{"from": "soon"}]}, "from"),
        ({"RF": [{"from": "2024-01-01", "colour": "red"}]}, "colour"),
        ({"RF": [{"from": "2024-01-01", "max_amount": "lots"}]}, "max_amount"),
        ({"RF": [{"from": "2024-01-01", "needs_bank_account": 1}]}, "needs_bank_account"),
        ({"CIF": [{"from": "2024-01-01", "lender": "BANK"}]}, "lender"),
        ({"RF": [{"from": "2024-01-01", "max_amount": 5, "min_amount": 10}]}, "out of order"),
    ],
)
def test_a_bad_fund_setting_is_named(settings: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        fund_rules_from_json(settings)


@pytest.mark.parametrize(
    ("lender", "giver", "receiver", "code"),
    [
        (Tier.CLF, Tier.CLF, Tier.VO, None),
        (Tier.CLF, Tier.CLF, Tier.SHG, None),
        (Tier.CLF, Tier.VO, Tier.SHG, None),  # the VO on-lends what its CLF lent it
        (Tier.CLF, Tier.VO, Tier.VO, "FUND_WRONG_TIER"),
        (Tier.CLF, Tier.SHG, Tier.SHG, "FUND_WRONG_LENDER"),
        (Tier.VO, Tier.VO, Tier.SHG, None),  # Gujarat: CIF sits with the VO
        (Tier.VO, Tier.CLF, Tier.VO, "FUND_WRONG_LENDER"),
    ],
)
def test_who_lends_cif_to_whom(lender: Tier, giver: Tier, receiver: Tier, code: str | None) -> None:
    rule = replace(RULES[FundType.CIF], lender=lender)
    refusal = lending_refusal(rule, giver, receiver)
    assert (refusal.code if refusal else None) == code


def transfer(movement: Movement, fund: FundType, mode: Mode = Mode.BANK) -> TransferIn:
    return TransferIn(
        "c1", movement, fund, None, uuid.uuid4(), rupees(15_000), mode, "SB1", ON,
        "", "L1", 100, 3, Method.DECLINING_EMI,
    )  # fmt: skip


ELIGIBLE = Recipient(Tier.SHG, date(2023, 1, 1), has_bank_account=True, grade_passed=True)


def codes(
    movement: Movement, fund: FundType, giver: Tier, receiver: Tier, **kw: object
) -> list[str]:
    mode = kw.pop("mode", Mode.BANK)
    assert isinstance(mode, Mode)
    recipient = replace(ELIGIBLE, **kw)  # type: ignore[arg-type]
    t = transfer(movement, fund, mode)
    return [r.code for r in release_refusals(RULES[fund], t, giver, receiver, recipient)]


def test_movement_refusals() -> None:
    assert codes(Movement.RELEASE, FundType.RF, Tier.STATE, Tier.SHG) == []
    assert codes(Movement.GRANT, FundType.RF, Tier.VO, Tier.SHG) == []
    assert codes(Movement.RELEASE, FundType.CIF, Tier.STATE, Tier.CLF) == []
    # CIF is held by the CLF by default: the state releases it to CLFs only
    assert codes(Movement.RELEASE, FundType.CIF, Tier.STATE, Tier.VO) == ["FUND_WRONG_TIER"]
    assert codes(Movement.RELEASE, FundType.VRF, Tier.STATE, Tier.SHG) == ["FUND_WRONG_TIER"]
    assert codes(Movement.RELEASE, FundType.CIF, Tier.STATE, Tier.SHG) == ["FUND_WRONG_TIER"]
    assert codes(Movement.GRANT, FundType.CIF, Tier.CLF, Tier.SHG) == ["FUND_NOT_A_GRANT"]
    assert codes(Movement.RELEASE, FundType.RF, Tier.STATE, Tier.SHG, grade_passed=None) == [
        "FUND_GRADE_NOT_PASSED"
    ]
    assert codes(
        Movement.RELEASE, FundType.RF, Tier.STATE, Tier.SHG, received={FundType.RF: 1}
    ) == ["FUND_ALREADY_RECEIVED"]
    assert codes(Movement.LOAN, FundType.CIF, Tier.VO, Tier.SHG, has_bank_account=False) == [
        "FUND_NO_BANK_ACCOUNT"
    ]
    # F3: CEF never in cash, named once whichever rule finds it
    assert codes(Movement.RELEASE, FundType.CEF, Tier.STATE, Tier.CLF, mode=Mode.CASH) == [
        "FUND_CASH_NOT_ALLOWED"
    ]
    assert codes(Movement.LOAN, FundType.CEF, Tier.CLF, Tier.SHG, mode=Mode.CASH) == [
        "FUND_CASH_NOT_ALLOWED"
    ]
    assert codes(Movement.REPAYMENT, FundType.RF, Tier.SHG, Tier.VO) == ["FUND_NOT_A_LOAN"]


@pytest.mark.parametrize("movement", list(Movement))
@pytest.mark.parametrize("fund", [FundType.CIF, FundType.CEF, FundType.RF])
def test_each_side_is_a_balanced_entry_of_its_chart(movement: Movement, fund: FundType) -> None:
    loan_fund = fund in (FundType.CIF, FundType.CEF)
    if movement in (Movement.LOAN, Movement.REPAYMENT) and not loan_fund:
        return
    giver, receiver = (
        (CboType.SHG, CboType.VO) if movement is Movement.REPAYMENT else (CboType.CLF, CboType.VO)
    )
    out = giver_entry(
        movement, fund, rupees(1_000), "SB1", ON, "t", loan_id="L1",
        principal=rupees(900), interest=rupees(100),
    )  # fmt: skip
    if movement is Movement.RELEASE:
        assert out is None
    else:
        assert out is not None and out.total_debit == out.total_credit == rupees(1_000)
        check_against_chart(out, CHARTS[giver])
    for confirmed in (rupees(1_000), rupees(50)):  # as recorded, and short (interest first)
        back = receiver_entry(
            movement, fund, confirmed, "SB1", ON, "t", loan_id="L1", interest=rupees(100)
        )
        assert back.total_debit == back.total_credit == confirmed
        check_against_chart(back, CHARTS[receiver])


def who(user: str, role: str, level: str, code: str) -> Principal:
    return Principal(user, "up", "lokos-up", (RoleGrant(role, Scope(level, frozenset([code]))),))


def test_each_tier_has_its_approver() -> None:
    vo_path = GeoPath("up", district="10", block="100", cbo_ids=("vo-1", "clf-1"))
    clf_path = GeoPath("up", district="10", block="100", cbo_ids=("clf-1",))
    (vo_approver,) = access.VO_BOOK_APPROVERS
    assert catalogue.role(vo_approver).cbo_category == "CLF"
    vo_tier = access.book_approvers("VO")
    access.require_approver(who("a", vo_approver, "cbo", "clf-1"), vo_path, "bk", vo_tier)
    with pytest.raises(NotFound):  # another federation's
        access.require_approver(who("b", vo_approver, "cbo", "clf-2"), vo_path, "bk", vo_tier)
    (shg_side,) = [r for r in access.SHG_BOOK_APPROVERS if catalogue.role(r).cbo_category == "VO"]
    with pytest.raises(PermissionDenied):  # an SHG approver of the VO: not the VO's tier
        access.require_approver(who("c", shg_side, "cbo", "vo-1"), vo_path, "bk", vo_tier)
    # a CLF's: the configured staff role of its block (default the BPM), never the maker
    clf_tier = access.book_approvers("CLF")
    assert clf_tier == catalogue.CLF_BOOK_APPROVERS
    (bpm,) = clf_tier
    access.require_approver(who("d", bpm, "block", "100"), clf_path, "bk", clf_tier)
    with pytest.raises(NotFound):
        access.require_approver(who("e", bpm, "block", "200"), clf_path, "bk", clf_tier)
    with pytest.raises(PermissionDenied):
        access.require_approver(who("d", bpm, "block", "100"), clf_path, "d", clf_tier)
    with pytest.raises(PermissionDenied):
        access.require_approver(who("f", vo_approver, "cbo", "clf-1"), clf_path, "bk", clf_tier)
