"""Arrange an SHG with 15 approved members and its mapped bookkeeper, through the gateway, and
the rulebook's worked meeting (shared/TRANSACTIONS.md §8) as JSON in paise."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import asyncpg

from lokos.db import asyncpg_dsn
from tests.conftest import Api
from tests.e2e.identity_helpers import create_user, latest_otp, login, new_code
from tests.e2e.profiles.profile_helpers import (
    PW,
    Block,
    add_member,
    approve_member,
    h,
    make_block,
    new_shg,
)
from tests.e2e.test_thin_flow import wait_for

SB = "SB1"


def rs(rupees: int) -> int:
    return rupees * 100


@dataclass
class Shg:
    blk: Block
    shg_id: str
    members: list[str]  # M01..M15 → profiles' member ids
    bookkeeper: dict[str, str]  # headers of the mapped bookkeeper's phone
    bookkeeper_id: str

    def m(self, n: int) -> str:
        return self.members[n - 1]


def mobile_login(api: Api, user_id: str, device: str) -> dict[str, str]:
    first = login(api.http, user_id, PW, client="mobile", device_id=device).json()
    if "access_token" in first:  # her bound phone again: no OTP
        return {**h(first["access_token"]), "X-Device-Id": device}
    tok = login(
        api.http,
        user_id,
        PW,
        client="mobile",
        device_id=device,
        challenge_id=first["challenge_id"],
        otp=latest_otp(api.platform, user_id),
    ).json()["access_token"]
    return {**h(tok), "X-Device-Id": device}


def shg_with_members(api: Api, count: int = 15) -> Shg:
    blk = make_block(api)
    shg = new_shg(api.http, blk.admin, blk, "Example SHG")
    shg_id = str(shg["id"])
    members = []
    for i in range(count):
        member = add_member(api.http, blk.admin, shg_id, i)
        approve_member(api.http, blk, blk.admin, member)
        members.append(str(member["id"]))
    bk = f"UP_TBK{new_code(6)}"
    created = create_user(
        api.http,
        blk.admin,
        bk,
        "SHG_BOOKKEEPER",
        "block",
        [blk.block],
        mobile="9876543210",
        password=PW,
    )
    assert created.status_code == 201, created.text
    assert wait_for(
        lambda: (
            api.http.post(
                f"/v1/users/{bk}/cbos", json={"cbo_ids": [shg_id]}, headers=h(blk.admin)
            ).status_code
            == 200
        ),
        timeout=15,
    )
    device = f"bk-{new_code(6)}"
    return Shg(blk, shg_id, members, mobile_login(api, bk, device), bk)


def cutoff_body(s: Shg) -> dict[str, object]:
    """The opening position of §8 (closing of meeting 24) as a cut-off sheet."""
    voluntary = {2: 400, 5: 700, 9: 500}
    return {
        "client_id": str(uuid.uuid4()),
        "cutoff": {
            "date": "2025-12-10",
            "last_paper_meeting": 24,
            "cash": rs(1_250),
            "banks": {SB: rs(48_600)},
            "bank_accounts": [{"account_id": SB, "kind": "SB"}],
            "frequency": "MONTHLY",
            "compulsory_amount": rs(200),
            "members": [
                {"member_id": s.m(n), "compulsory": rs(2_200), "voluntary": rs(voluntary.get(n, 0))}
                for n in range(1, 16)
            ],
            "loans": [
                {
                    "loan_id": "L-M03",
                    "member_id": s.m(3),
                    "terms": {
                        "amount": rs(6_000),
                        "rate": 200,
                        "method": "DECLINING_EMI",
                        "tenure": 6,
                        "first_due_meeting": 23,
                        "first_due_date": "2025-11-10",
                    },
                    "instalments_paid": 2,
                }
            ],
            "funds": {"RF_CORPUS": rs(15_000)},
            "surplus": rs(4_329),
        },
    }


def meeting_25(s: Shg) -> dict[str, object]:
    voluntary = {2: 100, 5: 250, 9: 150}
    lines: list[dict[str, object]] = []
    for n in range(1, 16):
        if n == 15:
            lines.append({"member_id": s.m(n), "attendance": "ABSENT"})
            continue
        line: dict[str, object] = {
            "member_id": s.m(n),
            "attendance": "LATE" if n == 12 else "PRESENT",
            "compulsory": rs(200),
            "voluntary": rs(voluntary.get(n, 0)),
        }
        if n == 12:
            line["fine"] = rs(5)
        if n == 3:
            line["repayments"] = [{"loan_id": "L-M03", "amount": rs(1_071)}]
        if n == 7:
            line["disbursals"] = [
                {
                    "loan_id": "L-M07",
                    "amount": rs(10_000),
                    "rate": 200,
                    "method": "DECLINING_EMI",
                    "tenure": 10,
                    "purpose": "dairy",
                    "via": SB,
                }
            ]
        lines.append(line)
    return {
        "client_id": str(uuid.uuid4()),
        "number": 25,
        "date": "2026-01-10",
        "members": lines,
        "group": [{"kind": "PAYMENT", "head": "STATIONERY", "amount": rs(60)}],
        "contras": [{"from_location": "CASH", "to_location": SB, "amount": rs(4_000)}],
        "cash_counted": rs(1_566),
        "passbook": {SB: rs(42_600)},
    }


def open_books(api: Api, s: Shg) -> dict[str, object]:
    """Submit the cut-off once the service has its copy of the SHG and the members."""
    body = cutoff_body(s)
    answer: dict[str, object] = {}
    last: list[str] = []

    def attempt() -> bool:
        r = api.http.post(f"/v1/books/{s.shg_id}/cutoff", json=body, headers=s.bookkeeper)
        last[:] = [r.text]
        if r.status_code == 201:
            answer.update(r.json())
            return True
        # The profiles events may not have reached transactions yet: the SHG's books, or some
        # of its members, are not known there. Any other refusal is a real one.
        problem = r.json()
        not_copied_yet = problem.get("code") == "cbo_not_found" or (
            problem.get("code") == "validation_failed"
            and all(e["field"].endswith(".member_id") for e in problem["errors"])
        )
        assert not_copied_yet, r.text
        return False

    assert wait_for(attempt, timeout=30, interval=0.5), last
    return answer


def running_balances_agree(api: Api) -> None:
    """The running balance of every account equals the sum of its live postings (the triggers
    on ``posting`` kept it through every insert and every rejection's delete)."""

    async def both() -> tuple[set[tuple[object, ...]], set[tuple[object, ...]]]:
        conn = await asyncpg.connect(asyncpg_dsn(api.platform.database_url("transactions")))
        try:
            running = await conn.fetch(
                "SELECT cbo_id, head, sub, balance FROM account_balance WHERE balance <> 0"
            )
            summed = await conn.fetch(
                "SELECT cbo_id, head, sub, sum(amount)::bigint FROM posting"
                " GROUP BY cbo_id, head, sub HAVING sum(amount) <> 0"
            )
        finally:
            await conn.close()
        return {tuple(r) for r in running}, {tuple(r) for r in summed}

    running, summed = asyncio.run(both())
    assert summed, "no postings at all: nothing was compared"
    assert running == summed
