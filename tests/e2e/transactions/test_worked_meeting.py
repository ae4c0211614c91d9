"""shared/TRANSACTIONS.md §8 end to end through the gateway, to the rupee: the opening position
(cut-off), meeting 25, the closing position, M07's schedule and the journal."""

from __future__ import annotations

import pytest

from tests.conftest import Api
from tests.e2e.transactions.books_helpers import (
    SB,
    Shg,
    meeting_25,
    open_books,
    rs,
    shg_with_members,
)

pytestmark = pytest.mark.platform

M07 = [
    (26, 1113, 200, 913, 9087),
    (27, 1113, 182, 931, 8156),
    (28, 1113, 163, 950, 7206),
    (29, 1113, 144, 969, 6237),
    (30, 1113, 125, 988, 5249),
    (31, 1113, 105, 1008, 4241),
    (32, 1113, 85, 1028, 3213),
    (33, 1113, 64, 1049, 2164),
    (34, 1113, 43, 1070, 1094),
    (35, 1116, 22, 1094, 0),
]


@pytest.fixture(scope="module")
def shg(api: Api) -> Shg:
    return shg_with_members(api)


def test_worked_meeting_to_the_rupee(api: Api, shg: Shg) -> None:
    s = shg
    cutoff = open_books(api, s)
    assert cutoff["status"] == "SUBMITTED"
    assert cutoff["total_assets"] == rs(53_929)

    opening = api.http.get(
        f"/v1/books/{s.shg_id}/balances", params={"as_of": "2025-12-10"}, headers=s.bookkeeper
    ).json()
    assert opening["total_assets"] == opening["total_liabilities_and_funds"] == rs(53_929)
    assert opening["liabilities"] == {"CS": rs(33_000), "VS": rs(1_600)}
    assert opening["funds"] == {"RF_CORPUS": rs(15_000), "SURPLUS": rs(4_329)}

    body = meeting_25(s)
    r = api.http.post(
        f"/v1/books/{s.shg_id}/meetings", json={"meetings": [body]}, headers=s.bookkeeper
    )
    assert r.status_code == 200, r.text
    (result,) = r.json()["results"]
    assert result["outcome"] == "RECORDED", result
    meeting = result["meeting"]
    assert meeting["status"] == "CLOSED"
    assert meeting["opening"] == {"CASH": rs(1_250), SB: rs(48_600)}
    assert meeting["closing"] == {"CASH": rs(1_566), SB: rs(42_600)}
    totals = meeting["totals"]
    assert (totals["receipts"], totals["payments"]) == (rs(4_376), rs(10_060))
    assert (totals["compulsory"], totals["voluntary"], totals["disbursed"]) == (
        rs(2_800),
        rs(500),
        rs(10_000),
    )
    assert (totals["principal_repaid"], totals["interest_repaid"], totals["fines"]) == (
        rs(989),
        rs(82),
        rs(5),
    )
    assert (totals["present"], totals["members"]) == (14, 15)
    rows = {row["member_id"]: row for row in meeting["rows"]}
    assert rows[s.m(15)]["compulsory_arrear"] == rs(200)
    assert rows[s.m(15)]["compulsory_total"] == rs(2_200)
    assert rows[s.m(1)]["compulsory_total"] == rs(2_400)
    assert rows[s.m(5)]["voluntary_total"] == rs(950)
    assert rows[s.m(3)]["loan_due"] == rs(1_071)
    assert rows[s.m(7)]["loan_outstanding"] == rs(10_000)

    # M07's schedule
    loan = api.http.get(f"/v1/books/{s.shg_id}/loans/L-M07", headers=s.bookkeeper).json()
    got = [
        (
            i["due_meeting"],
            (i["principal"] + i["interest"]) // 100,
            i["interest"] // 100,
            i["principal"] // 100,
            i["balance_after"] // 100,
        )
        for i in loan["schedule"]
    ]
    assert got == M07
    assert loan["schedule"][0]["due_date"] == "2026-02-10"
    m03 = api.http.get(f"/v1/books/{s.shg_id}/loans/L-M03", headers=s.bookkeeper).json()
    assert m03["outstanding_principal"] == rs(3_090)

    # the journal: seven entries, debits = credits = 18,436
    entries = api.http.get(
        f"/v1/books/{s.shg_id}/journal", params={"meeting": 25}, headers=s.bookkeeper
    ).json()["entries"]
    assert [e["kind"] for e in entries] == [
        "CS",
        "VS",
        "REPAYMENT",
        "FINE",
        "PAYMENT",
        "CONTRA",
        "DISBURSAL",
    ]
    debits = [sum(p["amount"] for p in e["postings"] if p["side"] == "D") for e in entries]
    credits = [sum(p["amount"] for p in e["postings"] if p["side"] == "C") for e in entries]
    assert debits == credits == [rs(x) for x in (2_800, 500, 1_071, 5, 60, 4_000, 10_000)]
    assert sum(debits) == rs(18_436)
    repayment = {(p["head"], p["sub"], p["side"]): p["amount"] for p in entries[2]["postings"]}
    assert repayment == {
        ("CASH", "", "D"): rs(1_071),
        ("LOAN_OWN_FUNDS", "L-M03", "C"): rs(989),
        ("INT_INCOME", "", "C"): rs(82),
    }

    # closing position
    closing = api.http.get(
        f"/v1/books/{s.shg_id}/balances", params={"as_of": "2026-01-10"}, headers=s.bookkeeper
    ).json()
    assert closing["assets"] == {
        "CASH": rs(1_566),
        "BANK": rs(42_600),
        "LOAN_OWN_FUNDS": rs(13_090),
    }
    assert closing["total_assets"] == closing["total_liabilities_and_funds"] == rs(57_256)
    assert closing["liabilities"] == {"CS": rs(35_800), "VS": rs(2_100)}
    assert closing["funds"] == {"RF_CORPUS": rs(15_000), "SURPLUS": rs(4_356)}
    assert closing["pending_meetings"] == [25]
    tb = closing["trial_balance"]
    assert sum(t["debit"] for t in tb) == sum(t["credit"] for t in tb)

    # the Receipts & Payments account of §8 (R8)
    rp = api.http.get(
        f"/v1/books/{s.shg_id}/receipts-payments",
        params={"from": "2026-01-01", "to": "2026-01-31"},
        headers=s.bookkeeper,
    ).json()
    assert rp["opening"] == {"CASH": rs(1_250), SB: rs(48_600)}
    assert rp["receipts"] == {
        "CS": rs(2_800),
        "VS": rs(500),
        "LOAN_OWN_FUNDS": rs(989),
        "INT_INCOME": rs(82),
        "FINE_INCOME": rs(5),
    }
    assert rp["payments"] == {"LOAN_OWN_FUNDS": rs(10_000), "STATIONERY": rs(60)}
    assert (rp["total_receipts"], rp["total_payments"]) == (rs(4_376), rs(10_060))
    assert rp["closing"] == {"CASH": rs(1_566), SB: rs(42_600)}

    # the member's passbook (R9) and the pack for meeting 26
    book = api.http.get(
        f"/v1/books/{s.shg_id}/members/{s.m(3)}/passbook", headers=s.bookkeeper
    ).json()
    (line,) = book["lines"]
    assert (line["meeting_number"], line["status"]) == (25, "CLOSED")
    assert (line["row"]["principal_repaid"], line["row"]["interest_repaid"]) == (rs(989), rs(82))
    assert line["row"]["compulsory_total"] == rs(2_400)
    assert [(ln["loan_id"], ln["outstanding_principal"]) for ln in book["loans"]] == [
        ("L-M03", rs(3_090))
    ]
    pack = api.http.get(f"/v1/books/{s.shg_id}/pack", headers=s.bookkeeper).json()
    assert (pack["next_number"], pack["expected_date"]) == (26, "2026-02-10")
    assert pack["balances"] == {"CASH": rs(1_566), SB: rs(42_600)}
    by_member = {m["member_id"]: m for m in pack["members"]}
    (m03_due,) = by_member[s.m(3)]["loans"]
    assert (m03_due["current_principal"], m03_due["current_interest"]) == (rs(1_009), rs(62))
    (m07_due,) = by_member[s.m(7)]["loans"]
    assert (m07_due["current_principal"], m07_due["current_interest"]) == (rs(913), rs(200))
    assert by_member[s.m(15)]["compulsory_arrear"] == rs(200)

    # the same upload again: the first answer, nothing doubled
    again = api.http.post(
        f"/v1/books/{s.shg_id}/meetings", json={"meetings": [body]}, headers=s.bookkeeper
    ).json()["results"][0]
    assert again["outcome"] == "ALREADY_RECORDED"
    assert again["meeting"]["closing"] == meeting["closing"]
    after = api.http.get(
        f"/v1/books/{s.shg_id}/balances", params={"as_of": "2026-01-10"}, headers=s.bookkeeper
    ).json()
    assert after["total_assets"] == rs(57_256)
