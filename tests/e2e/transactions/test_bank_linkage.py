"""The SHG's loans from its bank (G2, G5–G8) through the gateway: a term loan and a cash-credit
limit sanctioned, drawn and repaid on the bank's dates as entries in the SHG's books (the
liability to the bank apart from the members' loans, G7); days past due and NPA after 90 days
(G6); prompt payer per quarter (G5); the bank-portal files (G8); bad input refused with the
field named and nothing recorded."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest

from lokos.common.v1 import events_pb2
from lokos.db import asyncpg_dsn
from lokos.transactions.v1 import grading_pb2 as gpb
from tests.conftest import Api
from tests.e2e.profiles.profile_helpers import h
from tests.e2e.test_thin_flow import wait_for
from tests.e2e.transactions.books_helpers import SB, Shg, rs, shg_with_members
from tests.e2e.transactions.test_maker_checker import approved_vo, approver_of, decide

pytestmark = pytest.mark.platform

IFSC = "SBIN0001234"


@pytest.fixture(scope="module")
def shg(api: Api) -> Shg:
    """Books opened on 2026-01-01 with ₹50,000 in the SB account (the RF), cut-off approved."""
    s = shg_with_members(api, count=2)
    vo = approved_vo(api, s, "Bank VO")
    linked = api.http.post(
        f"/v1/cbos/{s.shg_id}/federation", json={"parent_id": vo}, headers=h(s.blk.admin)
    )
    assert linked.status_code == 200, linked.text
    approver = approver_of(api, s, vo)
    cutoff = {
        "client_id": str(uuid.uuid4()),
        "cutoff": {
            "date": "2026-01-01",
            "banks": {SB: rs(50_000)},
            "funds": {"RF_CORPUS": rs(50_000)},
            "bank_accounts": [{"account_id": SB}],
            "compulsory_amount": rs(100),
            "members": [{"member_id": m} for m in s.members],
        },
    }
    assert wait_for(
        lambda: (
            api.http.post(
                f"/v1/books/{s.shg_id}/cutoff", json=cutoff, headers=s.bookkeeper
            ).status_code
            == 201
        ),
        timeout=30,
        interval=0.5,
    )
    assert wait_for(lambda: decide(api, s, approver, None, True)[0] == 200, timeout=30)
    return s


def term_loan() -> dict[str, Any]:
    return {
        "client_id": str(uuid.uuid4()),
        "loan_account": "TL-0001",
        "facility": "TL",
        "sb_account": SB,
        "sanctioned_on": "2026-01-15",
        "amount": rs(100_000),
        "rate": 1150,
        "instalments": 10,
        "instalment_amount": rs(10_500),
        "frequency": "M",
        "first_due_on": "2026-03-01",
        "ifsc": IFSC,
        "sb_opened_on": "2025-06-01",
        "pin": "226001",
    }


def post(api: Api, s: Shg, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    r = api.http.post(f"/v1/books/{s.shg_id}/bank-loans{path}", json=body, headers=s.bookkeeper)
    return r.status_code, r.json()


def money(on: str, amount: int, interest: int = 0) -> dict[str, Any]:
    return {"client_id": str(uuid.uuid4()), "on": on, "amount": amount, "interest": interest}


def loan(api: Api, s: Shg, account: str, as_of: str) -> dict[str, Any]:
    r = api.http.get(
        f"/v1/books/{s.shg_id}/bank-loans/{account}", params={"as_of": as_of}, headers=s.bookkeeper
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_term_loan_sanction_drawal_repayment_and_npa_after_90_days(api: Api, shg: Shg) -> None:
    s = shg
    code, sanctioned = post(api, s, "", term_loan())
    assert code == 201, sanctioned
    assert (sanctioned["outstanding"], sanctioned["disbursed"]) == (0, 0)

    drawal = money("2026-01-20", rs(100_000))
    code, drawn = post(api, s, "/TL-0001/disbursals", drawal)
    assert code == 200 and drawn["outstanding"] == rs(100_000), drawn
    code, again = post(api, s, "/TL-0001/disbursals", drawal)  # the same client id
    assert code == 200 and again["replayed"] and again["outstanding"] == rs(100_000)
    code, beyond = post(api, s, "/TL-0001/disbursals", money("2026-01-21", rs(1)))
    assert code == 422 and [e["field"] for e in beyond["errors"]] == ["amount"]

    # the first instalment, paid on its date: ₹958 interest, ₹9,542 principal
    code, repaid = post(api, s, "/TL-0001/repayments", money("2026-03-01", rs(10_500), rs(958)))
    assert code == 200 and repaid["outstanding"] == rs(90_458), repaid

    # April's instalment is never paid: 90 days past due on 30 June, NPA the day after (G6)
    on_30_june = loan(api, s, "TL-0001", "2026-06-30")
    assert (on_30_june["days_past_due"], on_30_june["npa"]) == (90, False)
    on_1_july = loan(api, s, "TL-0001", "2026-07-01")
    assert (on_1_july["days_past_due"], on_1_july["npa"]) == (91, True)
    # prompt payer per quarter (G5): Q1's only instalment paid on time; Q2's none
    assert [(q["quarter"], q["prompt_payer"]) for q in on_1_july["prompt_payer"]] == [
        ("2026-Q1", True),
        ("2026-Q2", False),
    ]
    assert [
        (x["on"], x["particulars"], x["debit"], x["credit"], x["balance"])
        for x in on_1_july["statement"]
    ] == [
        ("2026-01-20", "DRAWAL", rs(100_000), 0, rs(100_000)),
        ("2026-03-01", "INTEREST", rs(958), 0, rs(100_958)),
        ("2026-03-01", "REPAYMENT", 0, rs(10_500), rs(90_458)),
    ]


def test_cash_credit_drawing_power_and_out_of_order(api: Api, shg: Shg) -> None:
    s = shg
    body = {
        **term_loan(),
        "loan_account": "CC-0002",
        "facility": "CC",
        "sanctioned_on": "2026-02-01",
        "amount": rs(200_000),
        "drawing_power": rs(150_000),
        "instalments": 0,
        "instalment_amount": 0,
        "first_due_on": None,
    }
    code, cc = post(api, s, "", body)
    assert code == 201, cc
    code, drawn = post(api, s, "/CC-0002/disbursals", money("2026-02-02", rs(100_000)))
    assert code == 200 and drawn["outstanding"] == rs(100_000)
    # E3: a cash credit draws down to its drawing power, no further
    code, over = post(api, s, "/CC-0002/disbursals", money("2026-02-10", rs(60_000)))
    assert code == 422 and [e["field"] for e in over["errors"]] == ["amount"], over
    code, repaid = post(api, s, "/CC-0002/repayments", money("2026-03-03", rs(20_000), rs(1_000)))
    assert code == 200 and repaid["outstanding"] == rs(81_000)

    in_order = loan(api, s, "CC-0002", "2026-05-31")  # a credit within the last 90 days
    assert (in_order["npa"], in_order["out_of_order"]) == (False, [])
    out_of_order = loan(api, s, "CC-0002", "2026-06-15")
    assert out_of_order["npa"] is True
    assert out_of_order["out_of_order"] == ["no credit in the last 90 days"]

    # G7: the SHG's liability to the bank is its own head, apart from the members' loans
    b = api.http.get(
        f"/v1/books/{s.shg_id}/balances", params={"as_of": "2026-06-30"}, headers=s.bookkeeper
    ).json()
    assert b["liabilities"]["BANK_LOAN"] == rs(90_458) + rs(81_000)
    assert b["assets"]["BANK"] == rs(50_000 + 100_000 - 10_500 + 100_000 - 20_000)
    assert "LOAN_BANK_TL" not in b["assets"] and "LOAN_BANK_CCL" not in b["assets"]
    assert b["total_assets"] == b["total_liabilities_and_funds"]


def test_portal_files_are_pipe_delimited_with_iso_dates(api: Api, shg: Shg) -> None:
    s = shg
    r = api.http.get(
        f"/v1/books/{s.shg_id}/bank-portal", params={"template": 1}, headers=s.bookkeeper
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain"), r.text
    lines = r.text.splitlines()
    tl = next(line.split("|") for line in lines if line.startswith("TL-0001|"))
    assert tl[:9] == [
        "TL-0001",
        "TL",
        "100000.00",
        "2026-01-15",
        "0",
        "11.50",
        "10",
        "10500.00",
        "M",
    ]
    assert tl[9] == s.shg_id and tl[11] == s.blk.block and tl[12] == s.blk.district
    assert tl[13:] == ["226001", SB, "2025-06-01", IFSC, "N"]
    cc = next(line.split("|") for line in lines if line.startswith("CC-0002|"))
    assert cc[1:4] == ["CC", "150000.00", "2026-02-01"]

    r = api.http.get(
        f"/v1/books/{s.shg_id}/bank-portal",
        params={"template": 2, "from": "2026-03-01", "to": "2026-03-31"},
        headers=s.bookkeeper,
    )
    assert r.status_code == 200, r.text
    assert r.text.splitlines() == [
        f"CC-0002|2026-03-03|INTEREST|1000.00|0.00|101000.00|{IFSC}",
        f"CC-0002|2026-03-03|REPAYMENT|0.00|20000.00|81000.00|{IFSC}",
        f"TL-0001|2026-03-01|INTEREST|958.00|0.00|100958.00|{IFSC}",
        f"TL-0001|2026-03-01|REPAYMENT|0.00|10500.00|90458.00|{IFSC}",
    ]
    # the block's file holds the same loans; staff of the block only
    block = api.http.get(
        f"/v1/blocks/{s.blk.block}/bank-portal", params={"template": 1}, headers=h(s.blk.admin)
    )
    assert block.status_code == 200 and block.text == "\n".join(lines) + "\n"
    assert (
        api.http.get(
            f"/v1/blocks/{s.blk.block}/bank-portal", params={"template": 1}, headers=s.bookkeeper
        ).status_code
        == 403
    )


def test_events_for_reports(api: Api, shg: Shg) -> None:
    async def read() -> list[tuple[str, str, int]]:
        conn = await asyncpg.connect(asyncpg_dsn(api.platform.database_url("transactions")))
        try:
            rows = await conn.fetch(
                "SELECT type, envelope FROM outbox WHERE type LIKE 'transactions.bank_loan.%'"
                " ORDER BY id"
            )
        finally:
            await conn.close()
        out = []
        for row in rows:
            env = events_pb2.EventEnvelope.FromString(row["envelope"])
            e = gpb.BankLoanEvent()
            env.payload.Unpack(e)
            if e.cbo_id == shg.shg_id:
                out.append((row["type"].rsplit(".", 1)[1], e.loan_account, e.outstanding))
        return out

    assert asyncio.run(read()) == [
        ("sanctioned", "TL-0001", 0),
        ("disbursed", "TL-0001", rs(100_000)),
        ("repaid", "TL-0001", rs(90_458)),
        ("sanctioned", "CC-0002", 0),
        ("disbursed", "CC-0002", rs(100_000)),
        ("repaid", "CC-0002", rs(81_000)),
    ]


def test_eligibility_reads_the_latest_grade_and_the_loans(api: Api, shg: Shg) -> None:
    """G1: in active existence 6 months (formed 2023-04-01), graded and passed, no loan NPA."""
    s = shg

    def reasons(on: str) -> list[str]:
        r = api.http.get(
            f"/v1/books/{s.shg_id}/bank-eligibility", params={"on": on}, headers=s.bookkeeper
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["eligible"] is (not body["reasons"])
        return [x["code"] for x in body["reasons"]]

    assert reasons("2026-02-15") == ["not_graded"]
    assert reasons("2026-07-01") == ["not_graded", "npa", "npa"]  # CC-0002 and TL-0001
    # graded over February–June with no meeting held: 0·20 + 15 + 20 + 0·15 + 20 + 0·10 = 55 → C
    graded = api.http.post(
        f"/v1/books/{s.shg_id}/grades", json={"as_of": "2026-06-30"}, headers=h(s.blk.admin)
    )
    assert graded.status_code == 200, graded.text
    assert [(g["score"], g["grade"]) for g in graded.json()["grades"]] == [("55.00", "C")]
    assert reasons("2026-07-01") == ["grade_not_passed", "npa", "npa"]
    # the grade is of the periods ending 30 June; the CC is out of order by then already
    assert reasons("2026-06-29") == ["not_graded", "npa"]


def test_bad_input_names_the_field_and_records_nothing(api: Api, shg: Shg) -> None:
    s = shg
    before = loan(api, s, "TL-0001", "2026-07-01")["statement"]
    cases: list[tuple[str, dict[str, Any], list[str]]] = [
        ("", {**term_loan(), "facility": "XX", "ifsc": "bad"}, ["facility", "ifsc"]),
        ("", {**term_loan(), "loan_account": "TL|9"}, ["loan_account"]),
        ("", {**term_loan(), "loan_account": "TL-9", "sb_account": "NOPE"}, ["sb_account"]),
        ("", {**term_loan(), "amount": 100.5}, ["amount"]),
        ("", {**term_loan(), "first_due_on": "2026-01-01"}, ["first_due_on"]),
        ("/TL-0001/repayments", money("2026-04-01", -5), ["amount"]),
        ("/TL-0001/repayments", money("2026-04-01", rs(100), rs(200)), ["interest"]),
        ("/TL-0001/repayments", money("2026-04-01", rs(10_000_000)), ["amount"]),
        ("/TL-0001/repayments", money("2999-04-01", rs(100)), ["on"]),
        ("/TL-0001/disbursals", money("2026-13-01", rs(100)), ["on"]),
    ]
    for path, body, fields in cases:
        code, answer = post(api, s, path, body)
        assert code == 422, (path, body, answer)
        assert [e["field"].split(".")[-1] for e in answer["errors"]] == fields, answer
    code, _ = post(api, s, "/NO-SUCH/repayments", money("2026-04-01", rs(100)))
    assert code == 404
    assert loan(api, s, "TL-0001", "2026-07-01")["statement"] == before
    r = api.http.get(f"/v1/books/{s.shg_id}/bank-loans/TL-9", headers=s.bookkeeper)
    assert r.status_code == 404
