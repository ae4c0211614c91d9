"""Reports built from events, end to end through the gateway: one block's SHGs with members of
every social category, bank accounts of different ages, a VO and a CLF, a bookkeeper and an
approver, meetings with savings and a loan (one rejected) give exactly the expected numbers in
every panel at block, district and federation level; the state's are the sum of its districts;
a Block Program Manager sees only her block; bad filters are 4xx naming the field; downloads
stream as CSV and XLSX with Hindi headers."""

from __future__ import annotations

import csv
import io
import re
import uuid
import zipfile
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from services.reports.service import months_before
from tests.conftest import Api
from tests.e2e.profiles.profile_helpers import add_member, h, new_shg, submit
from tests.e2e.test_thin_flow import wait_for
from tests.e2e.transactions.books_helpers import Shg, rs, shg_with_members
from tests.e2e.transactions.test_maker_checker import approved_vo, approver_of, decide
from tests.e2e.transactions.test_offline_upload import open_new_books, upload

pytestmark = pytest.mark.platform


def _meetings(s: Shg) -> list[dict[str, object]]:
    """Meeting 1: ₹100 compulsory from each of the two members, ₹50 voluntary from the first;
    meeting 2: the same compulsory and a ₹150 loan to the second member from cash;
    meeting 3: compulsory again (the approver will send it back)."""
    m1, m2 = s.members
    return [
        {
            "client_id": str(uuid.uuid4()),
            "number": 1,
            "date": "2026-01-05",
            "members": [
                {"member_id": m1, "compulsory": rs(100), "voluntary": rs(50)},
                {"member_id": m2, "compulsory": rs(100)},
            ],
            "cash_counted": rs(250),
        },
        {
            "client_id": str(uuid.uuid4()),
            "number": 2,
            "date": "2026-02-05",
            "members": [
                {"member_id": m1, "compulsory": rs(100)},
                {
                    "member_id": m2,
                    "compulsory": rs(100),
                    "disbursals": [
                        {
                            "loan_id": "L-M02",
                            "amount": rs(150),
                            "rate": 200,
                            "method": "DECLINING_EMI",
                            "tenure": 3,
                            "purpose": "goat",
                        }
                    ],
                },
            ],
            "cash_counted": rs(300),
        },
        {
            "client_id": str(uuid.uuid4()),
            "number": 3,
            "date": "2026-03-05",
            "members": [{"member_id": m, "compulsory": rs(100)} for m in s.members],
            "cash_counted": rs(500),
        },
    ]


def _get(api: Api, path: str, token: str, **params: str) -> httpx.Response:
    return api.http.get(f"/v1/reports/{path}", params=params, headers=h(token))


def _panels(api: Api, token: str, **params: str) -> dict[str, Any]:
    r = _get(api, "dashboard", token, **params)
    assert r.status_code == 200, r.text
    return dict(r.json()["panels"])


@pytest.fixture(scope="module")
def scenario(api: Api) -> dict[str, Any]:
    # The SHG with books: formed 2023-04-01, no bank account, members SC and ST, mapped to an
    # SHG bookkeeper; linked to a VO, the VO to a CLF.
    s = shg_with_members(api, count=2)
    blk = s.blk
    today = datetime.now(UTC).date()
    ago = {n: months_before(today, n) for n in (2, 4, 7)}
    banked = new_shg(
        api.http,
        blk.admin,
        blk,
        "Lakshmi SHG",
        bank_account="123456789012",
        ifsc="SBIN0001234",
    )
    for i in range(5):  # SC, ST, OBC, GEN, OTH
        add_member(api.http, blk.admin, str(banked["id"]), i)
    for n in (2, 4, 7):
        new_shg(api.http, blk.admin, blk, f"New SHG {n}", formed_on=ago[n].isoformat())
    vo = approved_vo(api, s, "Ujala VO")
    clf = new_shg(api.http, blk.admin, blk, "Pragati CLF", cbo_type="CLF")
    sub = submit(api.http, blk.admin, "clf", clf).json()
    ok = api.http.post(f"/v1/submissions/{sub['id']}/approve", json={}, headers=h(blk.bpm))
    assert ok.status_code == 200, ok.text
    for child, parent in ((s.shg_id, vo), (str(banked["id"]), vo), (vo, str(clf["id"]))):
        r = api.http.post(
            f"/v1/cbos/{child}/federation", json={"parent_id": parent}, headers=h(blk.admin)
        )
        assert r.status_code == 200, r.text
    approver = approver_of(api, s, vo)
    open_new_books(api, s)
    code, answer = upload(api, s, _meetings(s))
    assert code == 200, answer
    assert wait_for(lambda: decide(api, s, approver, None, True)[0] == 200, timeout=30)
    for number, approve in ((1, True), (2, True), (3, False)):
        code, body = decide(api, s, approver, number, approve, "" if approve else "cash differs")
        assert code == 200, body
    return {"s": s, "vo": vo, "clf": str(clf["id"]), "banked": str(banked["id"])}


BLOCK = {
    "shgs_formed": 5,
    "members": 7,
    "sc_members": 2,
    "st_members": 2,
    "obc_members": 1,
    "general_members": 1,
    "other_members": 1,
    "with_bank_account": 1,
    "without_bank_account": 4,
    # formed 2023-04-01, 4 and 7 months ago (not the one of 2 months)
    "without_bank_account_3_months": 3,
    "without_bank_account_6_months": 2,
    "with_transactions": 1,
    "without_transactions": 4,
    # approved meetings only: 2 × ₹200 compulsory, ₹50 voluntary, ₹150 lent
    "compulsory_savings": 400,
    "voluntary_savings": 50,
    "loan_outstanding": 150,
}

FEDERATION = {
    **BLOCK,
    "shgs_formed": 2,
    "without_bank_account": 1,
    "without_bank_account_3_months": 1,
    "without_bank_account_6_months": 1,
    "without_transactions": 1,
}


def _differences(got: dict[str, Any], want: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}


def test_dashboard_numbers_at_every_level(api: Api, scenario: dict[str, Any]) -> None:
    s: Shg = scenario["s"]
    blk = s.blk
    assert wait_for(lambda: _panels(api, api.token, block_lgd_code=blk.block) == BLOCK, 90), (
        _differences(_panels(api, api.token, block_lgd_code=blk.block), BLOCK),
        api.platform.log_tail("reports", 60),
    )
    assert _panels(api, api.token, district_lgd_code=blk.district) == BLOCK
    assert _panels(api, api.token, clf_id=scenario["clf"]) == FEDERATION
    assert _panels(api, api.token, vo_id=scenario["vo"]) == FEDERATION
    # The block's Program Manager: her block, unfiltered or not.
    assert _panels(api, blk.bpm) == BLOCK
    assert _panels(api, blk.bpm, block_lgd_code=blk.block) == BLOCK
    fresh = _get(api, "dashboard", blk.bpm).json()["freshness"]
    assert fresh["as_of"] is not None and fresh["lag_seconds"] >= 0

    # Drill-down: state → districts (the state is their sum) → blocks → CLFs → VOs → SHGs.
    state = _get(api, "dashboard/drill-down", api.token).json()
    assert state["level"] == "district"
    total = _panels(api, api.token)
    for key in BLOCK:
        if key.startswith("without_bank_account_"):
            continue  # the boundary days may pass between the two reads; summed below
        assert sum(r["panels"][key] for r in state["rows"]) == total[key], key
    district = _get(api, "dashboard/drill-down", api.token, district_lgd_code=blk.district)
    assert [(r["level"], r["code"], r["panels"]) for r in district.json()["rows"]] == [
        ("block", blk.block, BLOCK)
    ]
    block = _get(api, "dashboard/drill-down", blk.bpm, block_lgd_code=blk.block).json()
    by_clf = {r["code"]: r for r in block["rows"]}
    assert by_clf[scenario["clf"]]["name"] == "Pragati CLF"
    assert by_clf[scenario["clf"]]["panels"] == FEDERATION
    assert by_clf[""]["panels"]["shgs_formed"] == 3  # the SHGs under no CLF
    clf = _get(api, "dashboard/drill-down", blk.bpm, clf_id=scenario["clf"]).json()
    assert [(r["level"], r["code"], r["name"]) for r in clf["rows"]] == [
        ("vo", scenario["vo"], "Ujala VO")
    ]
    vo = _get(api, "dashboard/drill-down", blk.bpm, vo_id=scenario["vo"]).json()
    assert {r["code"] for r in vo["rows"]} == {s.shg_id, scenario["banked"]}

    # The block's SHG list, two pages.
    first = _get(api, "shgs", blk.bpm, block_lgd_code=blk.block, page_size="3").json()
    assert len(first["shgs"]) == 3 and first["next_page_token"]
    rest = _get(
        api,
        "shgs",
        blk.bpm,
        block_lgd_code=blk.block,
        page_size="3",
        page_token=first["next_page_token"],
    ).json()
    listed = {x["shg_id"]: x for x in first["shgs"] + rest["shgs"]}
    assert len(listed) == 5 and rest["next_page_token"] == ""
    books = listed[s.shg_id]
    assert books["vo_id"] == scenario["vo"] and books["clf_id"] == scenario["clf"]
    assert books["panels"]["compulsory_savings"] == 400
    assert books["panels"]["members"] == 2


def test_cbo_summary_meetings_and_users(api: Api, scenario: dict[str, Any]) -> None:
    s: Shg = scenario["s"]
    blk = s.blk

    def summary() -> dict[str, Any]:
        r = _get(api, "cbo-summary", blk.bpm, block_lgd_code=blk.block)
        assert r.status_code == 200, r.text
        return dict(r.json())

    expected_shg = {
        "cbo_type": "SHG",
        "bookkeepers": 1,
        "bookkeepers_mapped": 1,
        "total": 5,
        "mapped": 1,
        "mapped_percent": 20,
        "mapped_migrated": 0,
        "mapped_new": 1,
        "approved": 0,
        "rejected": 0,
        "pending_with_block_manager": 0,
        "incomplete": 0,
        "pending_with_bookkeeper": 1,
        "approved_percent_of_mapped": 0,
        "approved_percent_overall": 0,
    }
    expected_meetings = {
        "cbo_type": "SHG",
        "submitted": 3,
        "approved": 2,
        "rejected": 1,
        "pending_with_approver": 0,
        "pending_with_bookkeeper": 1,
        "cbos_with_cutoff": 1,
        "cbos_met_last_30_days": 0,
        "cbos_met_last_60_days": 0,
        "cbos_met_last_90_days": 0,
    }
    assert wait_for(lambda: summary()["meetings"][0] == expected_meetings, 60), summary()
    got = summary()
    assert got["cbos"][0] == expected_shg
    vo, clf = got["cbos"][1], got["cbos"][2]
    assert (vo["cbo_type"], vo["total"], vo["approved"], vo["mapped"]) == ("VO", 1, 0, 0)
    assert (clf["cbo_type"], clf["total"], clf["approved_percent_overall"]) == ("CLF", 1, 100)

    users = _get(api, "users", blk.bpm, block_lgd_code=blk.block).json()["rows"]
    by_role = {u["role"]: u for u in users}
    assert by_role["SHG_BOOKKEEPER"]["active"] == 1
    assert by_role["SHG_BOOKKEEPER"]["mapped"] == 1
    assert by_role["SHG_BOOKKEEPER"]["level"] == "community"
    assert by_role["SHG_BOOKKEEPER"]["last_login"] is not None  # logged in on her phone
    assert by_role["BLOCK_PROGRAM_MANAGER"]["unmapped"] == 1


def test_a_block_user_sees_only_her_block_and_bad_filters_name_the_field(
    api: Api, scenario: dict[str, Any]
) -> None:
    blk = scenario["s"].blk
    other = api.new_block()
    assert _get(api, "dashboard", blk.bpm, block_lgd_code=other).status_code == 403
    assert _get(api, "shgs", blk.bpm, block_lgd_code=other).status_code == 403
    assert _get(api, "cbo-summary", blk.bpm, district_lgd_code=blk.district).status_code == 403
    for path, params, field in (
        ("dashboard", {"vo_id": str(uuid.uuid4())}, "vo_id"),
        ("dashboard", {"clf_id": scenario["vo"]}, "clf_id"),  # a VO is not a CLF
        ("dashboard", {"block_lgd_code": blk.block, "district_lgd_code": "12"}, "block_lgd_code"),
        ("shgs", {"block_lgd_code": blk.block, "page_size": "0"}, "page_size"),
        ("shgs", {"block_lgd_code": blk.block, "page_size": "100000"}, "page_size"),
        ("shgs", {}, "block_lgd_code"),
        ("dashboard", {"block_lgd_code": "12a"}, "block_lgd_code"),
    ):
        r = _get(api, path, api.token, **params)
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert field in r.text, r.text


def test_downloads_stream_csv_and_xlsx_with_hindi_headers(
    api: Api, scenario: dict[str, Any]
) -> None:
    blk = scenario["s"].blk
    assert wait_for(lambda: _panels(api, blk.bpm)["shgs_formed"] == 5, 60)
    r = api.http.get(
        "/v1/reports/shgs/download",
        params={"block_lgd_code": blk.block, "format": "csv"},
        headers={**h(blk.bpm), "Accept-Language": "hi"},
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["एसएचजी आईडी", "एसएचजी कोड", "एसएचजी का नाम"]
    assert len(rows) == 1 + 5
    # Every cell of the download (formatted by PostgreSQL) reads as the SHG list shows it:
    # dates, 0/1 flags, bank-account ages and whole rupees.
    listed = _get(api, "shgs", blk.bpm, block_lgd_code=blk.block, page_size="10").json()
    assert sorted(rows[1:]) == sorted(
        [
            *(x[k] for k in ("shg_id", "code", "name", "status", "district_lgd_code")),
            *(x[k] for k in ("block_lgd_code", "vo_id", "clf_id", "formed_on")),
            *(str(v) for k, v in x["panels"].items() if k != "shgs_formed"),
        ]
        for x in listed["shgs"]
    )

    # The state admin downloads the whole state's list in one file (no block filter); its rows
    # of this block are exactly the block's file.
    whole = api.http.get(
        "/v1/reports/shgs/download", params={"format": "csv"}, headers=h(api.token)
    )
    assert whole.status_code == 200, whole.text
    state_rows = list(csv.reader(io.StringIO(whole.content.decode("utf-8-sig"))))
    block_column = state_rows[0].index("Block")
    assert sorted(r for r in state_rows[1:] if r[block_column] == blk.block) == sorted(rows[1:])

    r = api.http.get(
        "/v1/reports/cbo-summary/download",
        params={"block_lgd_code": blk.block, "format": "xlsx"},
        headers=h(blk.bpm),
    )
    assert r.status_code == 200, r.text
    sheet = zipfile.ZipFile(io.BytesIO(r.content)).read("xl/worksheets/sheet1.xml").decode()
    assert sheet.count("<row>") == 1 + 3
    assert "No of Bookkeepers" in sheet
    first_row = re.search(r"<row>(.*?)</row>", sheet)
    assert first_row is not None and "Type of CBO" in first_row.group(1)

    # Refused filters are a problem, not a broken file.
    bad = api.http.get(
        "/v1/reports/dashboard/download", params={"vo_id": str(uuid.uuid4())}, headers=h(blk.bpm)
    )
    assert bad.status_code == 422 and "vo_id" in bad.text


def test_loan_and_bookkeeper_reports(api: Api, scenario: dict[str, Any]) -> None:
    s: Shg = scenario["s"]
    blk = s.blk

    def loans() -> dict[str, Any]:
        r = _get(api, "loans", blk.bpm, block_lgd_code=blk.block)
        assert r.status_code == 200, r.text
        return dict(r.json())

    # The ₹150 loan of meeting 2 (approved); meeting 3, where its first instalment fell due,
    # was sent back, so nothing is due or overdue in the approved books yet.
    assert wait_for(lambda: loans()["passbook"]["open_loans"] == 1, 60), loans()
    got = loans()
    assert got["level"] == "shg"
    assert [(r["code"], r["demand_principal"], r["collected_principal"]) for r in got["dcb"]] == [
        (s.shg_id, 0, 0)
    ]
    assert got["dcb"][0]["closing_outstanding"] == 150
    assert got["dcb"][0]["closing_overdue_principal"] == 0
    assert got["passbook"] == {
        "members_with_loans": 1,
        "open_loans": 1,
        "members_overdue": 0,
        "loans_disbursed": 1,
        "amount_disbursed": 150,
    }
    assert [(p["source"], p["loans"], p["outstanding_principal"], p["par_percent"]) for p in
            got["par"]] == [("OWN_FUNDS", 1, 150, 0)]  # fmt: skip
    ageing = {b["bucket"]: (b["loans"], b["outstanding_principal"]) for b in got["ageing"]}
    assert ageing["on schedule"] == (1, 150) and ageing["1-30"] == (0, 0)
    # A period before the loan: nothing disbursed, nothing outstanding.
    early = _get(api, "loans", blk.bpm, block_lgd_code=blk.block, to_date="2026-01-31").json()
    assert early["passbook"]["loans_disbursed"] == 0 and early["dcb"] == []
    bad = _get(api, "loans", blk.bpm, from_date="2026-02-30")
    assert bad.status_code == 422 and "from_date" in bad.text

    bk = _get(api, "bookkeepers", blk.bpm, block_lgd_code=blk.block).json()
    assert [
        (
            r["user_id"],
            r["role"],
            r["shgs_mapped"],
            r["meetings_entered"],
            r["meetings_approved"],
            r["meetings_rejected"],
            r["cutoffs_done"],
            r["eligible_honorarium"],
        )
        for r in bk["rows"]
    ] == [(s.bookkeeper_id, "SHG_BOOKKEEPER", 1, 3, 2, 1, 1, 100)]
    last_year = _get(api, "bookkeepers", blk.bpm, month="2020-01").json()
    assert last_year["rows"][0]["eligible_honorarium"] == 0
    assert _get(api, "bookkeepers", blk.bpm, month="2026-13").status_code == 422

    # They download in whole rows under their header (cells travel flat, as many a row as the
    # header has columns: a row of another width would shift every row after it).
    for report, first in (
        ("dcb", ["shg", s.shg_id]),
        ("par", ["OWN_FUNDS", "1", "150"]),
        ("bookkeepers", [s.bookkeeper_id, "SHG_BOOKKEEPER", "1"]),
        ("users", []),
    ):
        r = _get(api, f"{report}/download", blk.bpm, block_lgd_code=blk.block, format="csv")
        assert r.status_code == 200, r.text
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert len(rows) > 1 and all(len(row) == len(rows[0]) for row in rows), rows
        assert rows[1][: len(first)] == first


def _snapshot(api: Api, block: str, token: str) -> dict[str, Any]:
    """Every report of the block and the state's dashboard and drill-down, without freshness."""
    out: dict[str, Any] = {}
    for path, params, tok in (
        ("dashboard", {}, api.token),
        ("dashboard/drill-down", {}, api.token),
        ("dashboard", {"block_lgd_code": block}, token),
        ("dashboard/drill-down", {"block_lgd_code": block}, token),
        ("shgs", {"block_lgd_code": block}, token),
        ("cbo-summary", {"block_lgd_code": block}, token),
        ("users", {"block_lgd_code": block}, token),
        ("loans", {"block_lgd_code": block}, token),
        ("bookkeepers", {"block_lgd_code": block}, token),
    ):
        r = _get(api, path, tok, **params)
        assert r.status_code == 200, r.text
        body = dict(r.json())
        body.pop("freshness")
        out[f"{path}?{params}"] = body
    return out


async def _verify(api: Api) -> list[object]:
    import asyncpg

    from lokos.db import asyncpg_dsn
    from services.reports.verify import verify

    conn = await asyncpg.connect(asyncpg_dsn(api.platform.database_url("reports")))
    try:
        return list(await verify(conn, "up"))
    finally:
        await conn.close()


async def test_rebuild_from_the_stream_equals_the_incremental_read_models(
    api: Api, scenario: dict[str, Any]
) -> None:
    from lokos.db import Database
    from services.reports.rebuild import rebuild

    blk = scenario["s"].blk
    assert wait_for(lambda: _get(api, "dashboard", api.token).json()["freshness"]["pending_events"]
                    == 0, 60)  # fmt: skip
    before = _snapshot(api, blk.block, blk.bpm)
    assert await _verify(api) == []  # the rollups kept by difference equal a recount
    user, password = api.platform.nats_credentials()
    db = Database(api.platform.database_url("reports"), pool_size=2)
    seen: list[tuple[int, int]] = []
    try:
        done = await rebuild(
            db, api.platform.nats_url, user, password, "up", lambda n, t: seen.append((n, t))
        )
    finally:
        await db.dispose()
    assert done.events > 0 and seen and seen[-1][0] == done.events
    assert _snapshot(api, blk.block, blk.bpm) == before
    assert await _verify(api) == []
    # The live consumer goes on: a new SHG of the block is counted once.
    new_shg(api.http, blk.admin, blk, "After Rebuild SHG")
    assert wait_for(lambda: _panels(api, blk.bpm)["shgs_formed"] == 6, 60)


async def test_verify_against_the_owners_reports_a_planted_difference_for_that_block_only(
    api: Api, scenario: dict[str, Any]
) -> None:
    """``lokos reports verify`` also compares each block's numbers with the owners' totals
    (profiles and transactions over gRPC): equal for the scenario's block, and a difference
    planted in the read model is reported for that block and column only. A block user may
    not read the state's totals."""
    import asyncpg
    import grpc

    from lokos import catalogue, rpc
    from lokos.db import asyncpg_dsn
    from lokos.principal import Principal, RoleGrant, Scope, system_principal
    from lokos.profiles.v1 import profiles_pb2, profiles_pb2_grpc
    from services.reports.verify import Difference, compare_with_owners, owners_totals

    blk = scenario["s"].blk
    assert wait_for(lambda: _get(api, "dashboard", api.token).json()["freshness"]["pending_events"]
                    == 0, 60)  # fmt: skip
    platform = api.platform
    async with (
        rpc.channel(platform.grpc_target("profiles")) as profiles,
        rpc.channel(platform.grpc_target("transactions")) as transactions,
    ):
        system = rpc.call_metadata(system_principal("test", "up"), uuid.uuid4().hex)
        owners = await owners_totals(profiles, transactions, system)
        checker = next(iter(sorted(catalogue.CHECKERS)))
        block_user = Principal(
            user_id="bpm",
            state="up",
            realm="lokos-up",
            roles=(RoleGrant(checker, Scope("block", frozenset({blk.block}))),),
        )
        stub: Any = profiles_pb2_grpc.ProfilesServiceStub(profiles)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.CountShgsByBlock(
                profiles_pb2.CountShgsByBlockRequest(),
                metadata=rpc.call_metadata(block_user, uuid.uuid4().hex),
            )
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    key = (blk.district, blk.block)
    # The owners count the scenario's block as the dashboard shows it (money in paise); the
    # rebuild test may have added an SHG without members or books to the block.
    got = dict(owners[key])
    assert got.pop("shgs") == _panels(api, api.token, block_lgd_code=blk.block)["shgs_formed"]
    assert got == {
        "with_bank": 1, "members": 7, "sc": 2, "st": 2, "obc": 1, "general": 1, "other": 1,
        "with_transactions": 1, "compulsory": 40000, "voluntary": 5000, "loan_outstanding": 15000,
    }  # fmt: skip
    conn = await asyncpg.connect(asyncpg_dsn(platform.database_url("reports")))
    try:
        before = await compare_with_owners(conn, "up", owners)
        assert [d for d in before if d.block == blk.block] == []
        month = await conn.fetchval(
            "SELECT max(formed_month) FROM block_rollup WHERE state = 'up' AND block_lgd_code = $1",
            blk.block,
        )
        plant = (
            "UPDATE block_rollup SET sc = sc + $3 WHERE state = 'up' AND block_lgd_code = $1"
            " AND formed_month = $2"
        )
        await conn.execute(plant, blk.block, month, 1)
        try:
            after = await compare_with_owners(conn, "up", owners)
        finally:
            await conn.execute(plant, blk.block, month, -1)
    finally:
        await conn.close()
    assert [d for d in after if d not in before] == [
        Difference(blk.district, blk.block, "profiles", "sc", 3, 2)
    ]
