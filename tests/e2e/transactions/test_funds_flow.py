"""Community funds through the gateway (issue 13; F1–F6, J1): the state mission's CIF reaches a
CLF, the CLF lends to its VO, the VO to its SHG, the SHG lends to a member from it and repays the
VO over three meetings — every book balanced at every step, each movement approved by its tier's
approver and confirmed by the receiver, the reconciliation report empty at the end and listing a
planted mismatch. Then the refusals: RF to an ineligible SHG (each reason named), RF twice, CEF
in cash, bad input (the field named, nothing recorded), an approver of another federation."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from lokos.db import asyncpg_dsn
from services.transactions import funds_repository
from tests.conftest import Api
from tests.e2e.identity_helpers import create_user, new_code
from tests.e2e.profiles.profile_helpers import PW, h, make_block, new_shg
from tests.e2e.test_thin_flow import wait_for
from tests.e2e.transactions.books_helpers import (
    SB,
    Shg,
    mobile_login,
    rs,
    running_balances_agree,
    shg_with_members,
)
from tests.e2e.transactions.test_maker_checker import approved_vo

pytestmark = pytest.mark.platform

Headers = dict[str, str]


@dataclass
class Federation:
    s: Shg  # the SHG, its two members and its bookkeeper
    vo: str
    clf: str
    clf_bk: Headers
    vo_bk: Headers
    shg_approver: Headers  # SHG Meeting & Transaction Approver of the VO
    vo_approver: Headers  # VO Meeting & Transaction Approver of the CLF
    bpm: Headers  # Block Program Manager: the CLF's approver by default


def community_user(api: Api, s: Shg, role: str, cbo_id: str) -> Headers:
    user = f"UP_TFU{new_code(6)}"
    r = create_user(
        api.http, s.blk.admin, user, role, "block", [s.blk.block], mobile="9876543212", password=PW
    )
    assert r.status_code == 201, r.text
    assert wait_for(
        lambda: (
            api.http.post(
                f"/v1/users/{user}/cbos", json={"cbo_ids": [cbo_id]}, headers=h(s.blk.admin)
            ).status_code
            == 200
        ),
        timeout=15,
    )
    return mobile_login(api, user, f"fu-{new_code(6)}")


def link(api: Api, s: Shg, child: str, parent: str) -> None:
    r = api.http.post(
        f"/v1/cbos/{child}/federation", json={"parent_id": parent}, headers=h(s.blk.admin)
    )
    assert r.status_code == 200, r.text


def open_books(api: Api, cbo: str, who: Headers, **sheet: Any) -> None:
    body = {
        "client_id": str(uuid.uuid4()),
        "cutoff": {"date": "2026-01-01", "bank_accounts": [{"account_id": SB}], **sheet},
    }
    assert wait_for(
        lambda: api.http.post(f"/v1/books/{cbo}/cutoff", json=body, headers=who).status_code == 201,
        timeout=30,
        interval=0.5,
    )


def decide_cutoff(api: Api, cbo: str, who: Headers) -> int:
    r = api.http.post(f"/v1/books/{cbo}/cutoff/decision", json={"approve": True}, headers=who)
    return r.status_code


@pytest.fixture(scope="module")
def fed(api: Api) -> Federation:
    s = shg_with_members(api, count=2)
    vo = approved_vo(api, s, "Ujjwala VO")
    clf = approved_vo(api, s, "Sangam CLF", cbo_type="CLF")
    link(api, s, s.shg_id, vo)
    link(api, s, vo, clf)
    f = Federation(
        s,
        vo,
        clf,
        community_user(api, s, "CLF_BOOKKEEPER", clf),
        community_user(api, s, "VO_BOOKKEEPER", vo),
        community_user(api, s, "SHG_MEETING_TRANSACTION_APPROVER", vo),
        community_user(api, s, "VO_MEETING_TRANSACTION_APPROVER", clf),
        h(s.blk.bpm),
    )
    open_books(api, clf, f.clf_bk)
    open_books(api, vo, f.vo_bk)
    # The SHG brings ₹10,000 in its bank from its paper books (its accumulated surplus).
    open_books(
        api,
        s.shg_id,
        s.bookkeeper,
        members=[{"member_id": m} for m in s.members],
        compulsory_amount=rs(100),
        banks={SB: rs(10_000)},
        surplus=rs(10_000),
    )
    # K3: the SHG passed its grading (CIF and RF eligibility read the latest grade).
    grade(api, s.shg_id, passed=True, period_end=dt.date(2026, 2, 28))
    # F6 at the books' level: each tier's approver opens its books, no other tier's.
    assert decide_cutoff(api, clf, f.vo_approver) == 403
    assert decide_cutoff(api, clf, f.bpm) == 200
    assert wait_for(lambda: decide_cutoff(api, vo, f.vo_approver) == 200, timeout=30)
    assert wait_for(lambda: decide_cutoff(api, s.shg_id, f.shg_approver) == 200, timeout=30)
    return f


def grade(api: Api, cbo: str, passed: bool, period_end: dt.date) -> None:
    """A Panchasutra grade as the grading part stores it (K3)."""

    async def insert() -> None:
        conn = await asyncpg.connect(asyncpg_dsn(api.platform.database_url("transactions")))
        try:
            await funds_repository.insert_grade(
                conn,
                uuid.UUID(cbo),
                "SHG",
                "UP",
                period_end,
                "88.00" if passed else "61.00",
                "A" if passed else "C",
                passed,
                "test",
            )
        finally:
            await conn.close()

    asyncio.run(insert())


def fund_events(api: Api, transfer_id: str) -> list[str]:
    async def read() -> list[str]:
        conn = await asyncpg.connect(asyncpg_dsn(api.platform.database_url("transactions")))
        try:
            rows = await conn.fetch(
                "SELECT type FROM outbox WHERE type LIKE 'transactions.fund.%'"
                " AND position(convert_to($1, 'UTF8') in envelope) > 0 ORDER BY id",
                transfer_id,
            )
        finally:
            await conn.close()
        return [r["type"] for r in rows]

    return asyncio.run(read())


def record(api: Api, who: Headers | str, **body: Any) -> tuple[int, dict[str, Any]]:
    headers = h(who) if isinstance(who, str) else who
    payload = {"client_id": str(uuid.uuid4()), "giver_account": SB, **body}
    if body.get("movement") == "RELEASE":
        payload.pop("giver_account")
    r = api.http.post("/v1/funds/transfers", json=payload, headers=headers)
    return r.status_code, r.json()


def decide(api: Api, tid: str, who: Headers, approve: bool = True, remarks: str = "") -> int:
    r = api.http.post(
        f"/v1/funds/transfers/{tid}/decision",
        json={"approve": approve, "remarks": remarks},
        headers=who,
    )
    return r.status_code


def confirm(api: Api, tid: str, who: Headers, amount: int, date: str) -> dict[str, Any]:
    r = api.http.post(
        f"/v1/funds/transfers/{tid}/confirmation",
        json={"amount": amount, "date": date, "receiver_account": SB},
        headers=who,
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def balanced(api: Api, cbo: str, who: Headers) -> dict[str, Any]:
    """The CBO's trial balance agrees and its balance sheet balances; the sheet comes back."""
    r = api.http.get(f"/v1/books/{cbo}/balances", headers=who)
    assert r.status_code == 200, r.text
    b = r.json()
    tb = b["trial_balance"]
    assert sum(x["debit"] for x in tb) == sum(x["credit"] for x in tb), tb
    assert b["total_assets"] == b["total_liabilities_and_funds"], b
    return dict(b)


def every_book_balances(api: Api, f: Federation) -> None:
    balanced(api, f.clf, f.clf_bk)
    balanced(api, f.vo, f.vo_bk)
    balanced(api, f.s.shg_id, f.s.bookkeeper)


def report(api: Api, f: Federation) -> dict[str, Any]:
    r = api.http.get("/v1/funds/reconciliation", params={"block": f.s.blk.block}, headers=f.bpm)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_cif_flows_from_the_state_to_a_member_and_back(api: Api, fed: Federation) -> None:
    f, s = fed, fed.s
    every_book_balances(api, f)

    # 1. The state mission releases CIF into the CLF (recorded by state staff, no book of its
    # own here); the CLF's bookkeeper confirms it into her bank account.
    code, release = record(
        api, api.token, movement="RELEASE", fund="CIF", receiver_id=f.clf, amount=rs(5_00_000),
        date="2026-02-01", reference="SRLM/CIF/2026/17",
    )  # fmt: skip
    assert code == 201, release
    assert (release["status"], release["counterpart"]) == ("APPROVED", "AWAITING")
    awaiting = api.http.get(
        f"/v1/funds/cbos/{f.clf}/transfers",
        params={"awaiting_confirmation": "true"},
        headers=f.clf_bk,
    ).json()
    assert [t["id"] for t in awaiting["transfers"]] == [release["id"]]
    assert confirm(api, release["id"], f.clf_bk, rs(5_00_000), "2026-02-01")["counterpart"] == (
        "CONFIRMED"
    )
    assert balanced(api, f.clf, f.clf_bk)["funds"]["CIF_CORPUS"] == rs(5_00_000)
    every_book_balances(api, f)

    # 2. CIF as a loan CLF → VO at the CLF's rate, approved by the CLF's approver (default the
    # BPM), not by the VO tier's approver nor by the maker.
    code, to_vo = record(
        api, f.clf_bk, movement="LOAN", fund="CIF", giver_id=f.clf, receiver_id=f.vo,
        amount=rs(2_00_000), date="2026-02-10", loan_id="CIF-VO-1", rate=50, tenure=12,
    )  # fmt: skip
    assert code == 201, to_vo
    assert to_vo["status"] == "PENDING" and len(to_vo["schedule"]) == 12
    assert sum(i["principal"] for i in to_vo["schedule"]) == rs(2_00_000)
    assert decide(api, to_vo["id"], f.vo_approver) == 403
    assert decide(api, to_vo["id"], f.clf_bk) == 403  # the maker holds no approver role
    assert decide(api, to_vo["id"], f.bpm) == 200
    every_book_balances(api, f)
    confirm(api, to_vo["id"], f.vo_bk, rs(2_00_000), "2026-02-10")
    vo_books = balanced(api, f.vo, f.vo_bk)
    assert vo_books["liabilities"]["CIF_PAYABLE"] == rs(2_00_000)
    clf_books = balanced(api, f.clf, f.clf_bk)
    assert clf_books["assets"]["LOAN_CIF"] == rs(2_00_000)
    assert clf_books["assets"]["BANK"] == rs(3_00_000)

    # 3. The VO on-lends CIF to its SHG over 3 months at 1% a month, approved by the CLF's VO
    # Meeting & Transaction Approver (not the VO's SHG approver).
    code, to_shg = record(
        api, f.vo_bk, movement="LOAN", fund="CIF", giver_id=f.vo, receiver_id=s.shg_id,
        amount=rs(50_000), date="2026-03-01", loan_id="CIF-SHG-1", rate=100, tenure=3,
    )  # fmt: skip
    assert code == 201, to_shg
    assert decide(api, to_shg["id"], f.shg_approver) == 403
    assert decide(api, to_shg["id"], f.vo_approver) == 200
    confirm(api, to_shg["id"], s.bookkeeper, rs(50_000), "2026-03-01")
    every_book_balances(api, f)

    # The VO's own books run on the same meeting engine: its bookkeeper pays the honorarium at
    # its meeting; the CLF's VO approver approves it, the VO's SHG approver cannot.
    vo_meeting = {
        "client_id": str(uuid.uuid4()),
        "number": 1,
        "date": "2026-03-02",
        "group": [{"kind": "PAYMENT", "head": "BK_HONORARIUM", "amount": rs(500), "via": SB}],
        "cash_counted": 0,
        "passbook": {SB: rs(1_49_500)},
    }
    r = api.http.post(
        f"/v1/books/{f.vo}/meetings", json={"meetings": [vo_meeting]}, headers=f.vo_bk
    )
    assert r.status_code == 200 and r.json()["results"][0]["outcome"] == "RECORDED", r.text
    for who, status in ((f.shg_approver, 403), (f.bpm, 403), (f.vo_approver, 200)):
        r = api.http.post(
            f"/v1/books/{f.vo}/meetings/1/decision", json={"approve": True}, headers=who
        )
        assert r.status_code == status, r.text
    every_book_balances(api, f)

    # 4. The SHG lends ₹40,000 of it to a member at its meeting (source CIF).
    meeting_1 = {
        "client_id": str(uuid.uuid4()),
        "number": 1,
        "date": "2026-03-05",
        "members": [
            {
                "member_id": s.m(1),
                "compulsory": rs(100),
                "disbursals": [
                    {
                        "loan_id": "M1-CIF",
                        "amount": rs(40_000),
                        "rate": 150,
                        "tenure": 3,
                        "source": "CIF",
                        "via": SB,
                    }
                ],
            },
            {"member_id": s.m(2), "compulsory": rs(100)},
        ],
        "cash_counted": rs(200),
        "passbook": {SB: rs(20_000)},
    }
    upload = api.http.post(
        f"/v1/books/{s.shg_id}/meetings", json={"meetings": [meeting_1]}, headers=s.bookkeeper
    )
    assert upload.status_code == 200, upload.text
    assert api.http.post(
        f"/v1/books/{s.shg_id}/meetings/1/decision", json={"approve": True}, headers=f.shg_approver
    ).status_code == 200  # fmt: skip
    shg_books = balanced(api, s.shg_id, s.bookkeeper)
    assert shg_books["assets"]["LOAN_CIF"] == rs(40_000)
    assert shg_books["liabilities"]["CIF_PAYABLE"] == rs(50_000)

    # 5. Three meetings: the member repays her instalment in cash, it goes to the bank, and the
    # SHG repays the VO its instalment — recorded once in the SHG's book, approved by the SHG's
    # approver, confirmed by the VO's bookkeeper. Every book balances after each step.
    member_loan = api.http.get(f"/v1/books/{s.shg_id}/loans/M1-CIF", headers=s.bookkeeper).json()
    bank = rs(20_000)
    for k in (1, 2, 3):
        day = f"2026-{3 + k:02d}-05"
        due = member_loan["schedule"][k - 1]
        paid = due["principal"] + due["interest"]
        meeting = {
            "client_id": str(uuid.uuid4()),
            "number": 1 + k,
            "date": day,
            "members": [
                {
                    "member_id": s.m(1),
                    "compulsory": rs(100),
                    "repayments": [{"loan_id": "M1-CIF", "amount": paid}],
                },
                {"member_id": s.m(2), "compulsory": rs(100)},
            ],
            "contras": [{"from_location": "CASH", "to_location": SB, "amount": paid}],
            "cash_counted": rs(200) * (k + 1),
            "passbook": {SB: bank + paid},
        }
        upload = api.http.post(
            f"/v1/books/{s.shg_id}/meetings", json={"meetings": [meeting]}, headers=s.bookkeeper
        )
        assert upload.status_code == 200, upload.text
        bank += paid
        instalment = to_shg["schedule"][k - 1]
        owed = instalment["principal"] + instalment["interest"]
        code, repaid = record(
            api, s.bookkeeper, movement="REPAYMENT", fund="CIF", giver_id=s.shg_id,
            receiver_id=f.vo, amount=owed, date=day, loan_id="CIF-SHG-1",
        )  # fmt: skip
        assert code == 201, repaid
        assert (repaid["principal"], repaid["interest"]) == (
            instalment["principal"],
            instalment["interest"],
        )
        bank -= owed
        assert decide(api, repaid["id"], f.vo_approver) == 403  # an SHG's books: not the VO tier
        assert decide(api, repaid["id"], f.shg_approver) == 200
        confirm(api, repaid["id"], f.vo_bk, owed, day)
        every_book_balances(api, f)
        assert fund_events(api, repaid["id"]) == [
            "transactions.fund.repaid",
            "transactions.fund.received",
        ]
        assert api.http.post(
            f"/v1/books/{s.shg_id}/meetings/{1 + k}/decision",
            json={"approve": True},
            headers=f.shg_approver,
        ).status_code == 200  # fmt: skip

    vo_loan = api.http.get(f"/v1/books/{f.vo}/loans/CIF-SHG-1", headers=f.vo_bk).json()
    assert vo_loan["outstanding_principal"] == 0
    shg_books = balanced(api, s.shg_id, s.bookkeeper)
    assert "CIF_PAYABLE" not in shg_books["liabilities"]
    assert "LOAN_CIF" not in shg_books["assets"]  # the member repaid too
    assert shg_books["assets"]["BANK"] == bank
    vo_books = balanced(api, f.vo, f.vo_bk)
    assert "LOAN_CIF" not in vo_books["assets"]
    interest = sum(i["interest"] for i in to_shg["schedule"])
    assert vo_books["assets"]["BANK"] == rs(1_49_500) + rs(50_000) + interest
    assert fund_events(api, release["id"]) == [
        "transactions.fund.disbursed",
        "transactions.fund.received",
    ]
    running_balances_agree(api)

    # 6. Both books agree on every transfer: the report is empty. Then a planted mismatch: the
    # state releases VRF to the VO, whose passbook shows ₹500 less.
    assert report(api, f)["discrepancies"] == []
    code, vrf = record(
        api, api.token, movement="RELEASE", fund="VRF", receiver_id=f.vo, amount=rs(20_000),
        date="2026-07-01",
    )  # fmt: skip
    assert code == 201, vrf
    unconfirmed = report(api, f)["discrepancies"]
    assert [(d["transfer"]["id"], d["status"]) for d in unconfirmed] == [(vrf["id"], "UNMATCHED")]
    confirm(api, vrf["id"], f.vo_bk, rs(19_500), "2026-07-02")
    listed = report(api, f)
    found = [(d["transfer"]["id"], d["status"], d["difference"]) for d in listed["discrepancies"]]
    assert found == [(vrf["id"], "MISMATCHED", -rs(500))]
    assert [(b["status"], b["count"], b["amount"]) for b in listed["summary"]] == [
        ("MISMATCHED", 1, rs(500))
    ]
    every_book_balances(api, f)
    # A staff member of another block does not see this block's report.
    other = make_block(api)
    r = api.http.get(
        "/v1/funds/reconciliation", params={"block": s.blk.block}, headers=h(other.bpm)
    )
    assert r.status_code == 404, r.text


def test_refusals_approvers_and_bad_input(api: Api, fed: Federation) -> None:
    f, s = fed, fed.s
    # The books' calendar is India's (the service's "today").
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=5, minutes=30))).date()

    # RF to an ineligible SHG: too young, no bank account, its grade failed — each named.
    young = str(
        new_shg(
            api.http, s.blk.admin, s.blk, "Nayi Kiran SHG",
            formed_on=(today - dt.timedelta(days=30)).isoformat(),
        )["id"]
    )  # fmt: skip
    link(api, s, young, f.vo)
    grade(api, young, passed=False, period_end=today - dt.timedelta(days=1))

    def rf_to_young() -> tuple[int, dict[str, Any]]:
        return record(
            api, api.token, movement="RELEASE", fund="RF", receiver_id=young, amount=rs(15_000)
        )

    assert wait_for(lambda: rf_to_young()[1].get("code") != "cbo_not_found", timeout=30)
    code, problem = rf_to_young()
    assert code == 422, problem
    assert problem["code"] == "validation_failed"
    reasons = {e["code"]: e for e in problem["errors"]}
    assert set(reasons) == {
        "FUND_RECIPIENT_TOO_YOUNG",
        "FUND_NO_BANK_ACCOUNT",
        "FUND_GRADE_NOT_PASSED",
    }, problem
    assert "30 days old" in reasons["FUND_RECIPIENT_TOO_YOUNG"]["message"]
    assert all(e["field"] == "recipient" for e in problem["errors"])

    # RF to the eligible SHG (graded and passed in the fixture), once; a second is refused.
    code, rf = record(
        api, api.token, movement="RELEASE", fund="RF", receiver_id=s.shg_id, amount=rs(15_000)
    )
    assert code == 201, rf
    code, problem = record(
        api, api.token, movement="RELEASE", fund="RF", receiver_id=s.shg_id, amount=rs(15_000)
    )
    assert code == 422 and [e["code"] for e in problem["errors"]] == ["FUND_ALREADY_RECEIVED"]
    # The same request again (its client id) is the first answer, not a second RF.
    again = api.http.post(
        "/v1/funds/transfers",
        json={"client_id": rf["client_id"], "movement": "RELEASE", "fund": "RF",
              "receiver_id": s.shg_id, "amount": rs(15_000)},
        headers=h(api.token),
    )  # fmt: skip
    assert again.status_code == 200 and again.json()["id"] == rf["id"]

    # CEF never moves in cash (F3).
    code, problem = record(
        api, api.token, movement="RELEASE", fund="CEF", receiver_id=f.clf, amount=rs(1_00_000),
        mode="CASH",
    )  # fmt: skip
    assert code == 422, problem
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("mode", "FUND_CASH_NOT_ALLOWED")
    ]

    # Bad input: problem+json naming the field; nothing recorded in any book.
    before = {c: balanced(api, c, f.clf_bk if c == f.clf else f.vo_bk) for c in (f.clf, f.vo)}
    listed_before = api.http.get(f"/v1/funds/cbos/{f.vo}/transfers", headers=f.vo_bk).json()
    loan = {"movement": "LOAN", "fund": "CIF", "giver_id": f.clf, "receiver_id": f.vo}
    cases: list[tuple[dict[str, Any], str]] = [
        ({**loan, "amount": -rs(10), "loan_id": "X1", "rate": 50, "tenure": 6}, "amount"),
        ({**loan, "amount": 100.5, "loan_id": "X1", "rate": 50, "tenure": 6}, "amount"),
        ({**loan, "amount": "100", "loan_id": "X1", "rate": 50, "tenure": 6}, "amount"),
        ({**loan, "amount": rs(10), "rate": 50, "tenure": 6}, "loan_id"),
        ({**loan, "amount": rs(10), "loan_id": "X1", "rate": 50, "tenure": 0}, "tenure"),
        ({**loan, "movement": "GIFT", "amount": rs(10)}, "movement"),
        ({**loan, "fund": "XYZ", "amount": rs(10), "loan_id": "X1", "tenure": 6}, "fund"),
        ({**loan, "amount": rs(10), "loan_id": "X1", "tenure": 6, "date": "2999-01-01"}, "date"),
        ({**loan, "amount": rs(10), "loan_id": "X1", "tenure": 6, "giver_id": "nope"}, "giver_id"),
        (
            {**loan, "amount": rs(10), "loan_id": "X1", "tenure": 6, "giver_account": "SB9"},
            "giver_account",
        ),
        ({**loan, "amount": rs(10_00_000), "loan_id": "X1", "tenure": 6}, "amount"),
    ]
    for body, field in cases:
        code, problem = record(api, f.clf_bk, **body)
        assert code == 422, (body, problem)
        fields = [e["field"] for e in problem["errors"]]
        assert any(x == field or x.endswith(f".{field}") for x in fields), (field, problem)
    # a VO lends only to its own SHGs (once the stranger's profile has reached the books)
    stranger = str(new_shg(api.http, s.blk.admin, s.blk, "Dusri SHG")["id"])

    def lend_to_stranger() -> tuple[int, dict[str, Any]]:
        return record(
            api, f.vo_bk, movement="LOAN", fund="CIF", giver_id=f.vo, receiver_id=stranger,
            amount=rs(10_000), loan_id="X2", rate=100, tenure=3,
        )  # fmt: skip

    assert wait_for(lambda: lend_to_stranger()[1].get("code") != "cbo_not_found", timeout=30)
    code, problem = lend_to_stranger()
    assert code == 422 and problem["errors"][0]["field"] == "receiver_id", problem
    for cbo, was in before.items():
        assert balanced(api, cbo, f.clf_bk if cbo == f.clf else f.vo_bk) == was
    listed_after = api.http.get(f"/v1/funds/cbos/{f.vo}/transfers", headers=f.vo_bk).json()
    assert listed_after == listed_before

    # Approvers by tier: another CLF's VO approver does not see the VO's transfer; the maker's
    # rejection needs remarks, and undoes the giver's entry.
    other_clf = approved_vo(api, s, "Milan CLF", cbo_type="CLF")
    theirs = community_user(api, s, "VO_MEETING_TRANSACTION_APPROVER", other_clf)
    vo_bank = balanced(api, f.vo, f.vo_bk)["assets"]["BANK"]
    code, lent = record(
        api, f.vo_bk, movement="LOAN", fund="CIF", giver_id=f.vo, receiver_id=s.shg_id,
        amount=rs(10_000), loan_id="CIF-SHG-2", rate=100, tenure=3,
    )  # fmt: skip
    assert code == 201, lent
    assert balanced(api, f.vo, f.vo_bk)["assets"]["BANK"] == vo_bank - rs(10_000)
    assert decide(api, lent["id"], theirs) == 404
    assert decide(api, lent["id"], f.vo_approver, approve=False) == 422  # remarks needed
    assert decide(api, lent["id"], f.vo_approver, False, "no resolution of the VO-EC") == 200
    assert balanced(api, f.vo, f.vo_bk)["assets"]["BANK"] == vo_bank
    got = api.http.get(f"/v1/funds/transfers/{lent['id']}", headers=f.vo_bk).json()
    assert got["status"] == "REJECTED"
    r = api.http.post(
        f"/v1/funds/transfers/{lent['id']}/confirmation",
        json={"amount": rs(10_000), "receiver_account": SB},
        headers=s.bookkeeper,
    )
    assert r.status_code == 409, r.text
    # A BPM of another block cannot approve the CLF's transfers.
    code, clf_loan = record(
        api, f.clf_bk, movement="LOAN", fund="CIF", giver_id=f.clf, receiver_id=f.vo,
        amount=rs(10_000), loan_id="CIF-VO-2", rate=50, tenure=6,
    )  # fmt: skip
    assert code == 201, clf_loan
    other = make_block(api)
    assert decide(api, clf_loan["id"], h(other.bpm)) == 404
    assert decide(api, clf_loan["id"], f.bpm) == 200
    every_book_balances(api, f)
