"""De-duplication through the gateway, as block staff meet it: a confirmed duplicate blocks
approval, a potential one waits for the Block Program Manager's decision, scope hides the
other block's personal data, the event path checks members submitted while dedup was down,
Refresh Duplicate runs for a block, SHGs show a duplicate flag, and the state's rules are
data."""

from __future__ import annotations

import io
import uuid
from typing import Any

import httpx

from lokosctl.tracestore import SpanNode, build_tree, load_trace
from services.dedup import evaluation
from tests.conftest import Api
from tests.e2e.helpers import eventually
from tests.e2e.profiles.profile_helpers import (
    Block,
    aadhaar,
    h,
    make_block,
    member_body,
    new_shg,
    submit,
)

ALL = ("mobile", "aadhaar", "bank_account", "voter_id")


def add(
    http: httpx.Client, tok: str, shg: dict[str, Any], i: int, **extra: object
) -> dict[str, Any]:
    r = http.post("/v1/members", json=member_body(str(shg["id"]), i, **extra), headers=h(tok))
    assert r.status_code == 201, r.text
    return dict(r.json())


def approve(http: httpx.Client, blk: Block, submission_id: str) -> httpx.Response:
    return http.post(
        f"/v1/submissions/{submission_id}/approve",
        json={"identifiers": [{"identifier": i, "status": "approved"} for i in ALL]},
        headers=h(blk.bpm),
    )


def submitted(http: httpx.Client, tok: str, member: dict[str, Any]) -> str:
    s = submit(http, tok, "member", member)
    assert s.status_code == 201, s.text
    return str(s.json()["id"])


def approved_member(
    http: httpx.Client, blk: Block, shg: dict[str, Any], i: int, **extra: object
) -> dict[str, Any]:
    m = add(http, blk.admin, shg, i, **extra)
    a = approve(http, blk, submitted(http, blk.admin, m))
    assert a.status_code == 200, a.text
    got = http.get(f"/v1/members/{m['id']}", headers=h(blk.admin)).json()
    assert got["code"] and got["duplication_status"] == "none", got
    return dict(got)


def test_confirmed_duplicate_blocks_approval_and_cannot_be_overridden(api: Api) -> None:
    http = api.http
    home, away = make_block(api), make_block(api)
    number = aadhaar(int(uuid.uuid4().int % 10**10))
    first = approved_member(http, home, new_shg(http, home.admin, home), 0, aadhaar=number)
    shg = new_shg(http, away.admin, away)
    second = add(http, away.admin, shg, 1, aadhaar=" ".join([number[:4], number[4:8], number[8:]]))
    sid = submitted(http, away.admin, second)
    read = http.get(f"/v1/members/{second['id']}", headers=h(away.admin)).json()
    assert read["duplication_status"] == "confirmed"

    refused = approve(http, away, sid)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert problem["code"] == "confirmed_duplicate"
    assert "Aadhaar" in problem["detail"] and first["code"] in problem["detail"]
    assert (problem["other_code"], problem["other_block_lgd_code"]) == (first["code"], home.block)
    assert number not in refused.text and number[-8:] not in refused.text

    # Her checker sees the other block's record by code, without its personal data.
    dups = http.get(f"/v1/members/{second['id']}/duplicates", headers=h(away.bpm))
    assert dups.status_code == 200, dups.text
    (match,) = dups.json()["matches"]
    assert (match["kind"], match["rules"], match["other_code"]) == (
        "confirmed",
        ["aadhaar"],
        first["code"],
    )
    assert (match["other_block_lgd_code"], match["other_in_scope"]) == (home.block, False)
    assert match["other_name"] == "" and match["other_village_lgd_code"] == ""
    assert first["name"] not in dups.text
    # Another block's checker does not see this member at all.
    assert (
        http.get(f"/v1/members/{second['id']}/duplicates", headers=h(home.bpm)).status_code == 404
    )
    # A confirmed duplicate cannot be overridden.
    override = http.post(
        f"/v1/members/{second['id']}/duplicates/{first['id']}/decision",
        json={"decision": "not_duplicate", "reason": "The bookkeeper vouches for her"},
        headers=h(away.bpm),
    )
    assert override.status_code == 409 and override.json()["code"] == "confirmed_duplicate"
    # The record is rejected instead, with the duplicate remark.
    rejected = http.post(
        f"/v1/submissions/{sid}/reject", json={"remarks": ["R07"]}, headers=h(away.bpm)
    )
    assert rejected.status_code == 200, rejected.text


def test_a_submission_is_traced_through_the_duplicate_check(api: Api) -> None:
    """The help desk follows one submission: gateway → profiles → dedup's check over gRPC,
    dedup's consumer of the submitted event, and profiles' consumer of the check it emits,
    in one tree."""
    http = api.http
    blk = make_block(api)
    member = add(http, blk.admin, new_shg(http, blk.admin, blk), 0)
    s = submit(http, blk.admin, "member", member)
    assert s.status_code == 201
    request_id = s.headers["x-request-id"]
    trace_dir = api.platform.s.trace_dir.resolve()

    def spans() -> list[SpanNode]:
        roots = build_tree(load_trace(trace_dir, request_id))
        return [n for r in roots for n in (r, *descendants(r))]

    def descendants(node: SpanNode) -> list[SpanNode]:
        return [c for child in node.children for c in (child, *descendants(child))]

    wanted = {
        ("dedup", "/lokos.dedup.v1.DedupService/CheckMember"),
        ("dedup", "consume profiles.member.submitted"),
        ("dedup", "dedup recheck"),
        ("profiles", "consume dedup.member.checked"),
    }
    assert eventually(lambda: wanted <= {(n.service, n.name) for n in spans()}, timeout=20), {
        (n.service, n.name) for n in spans()
    }
    (root,) = build_tree(load_trace(trace_dir, request_id))
    assert root.service == "gateway"


def test_potential_duplicate_waits_for_the_checker(api: Api) -> None:
    http = api.http
    blk = make_block(api)
    shg_a, shg_b = new_shg(http, blk.admin, blk), new_shg(http, blk.admin, blk)
    first = approved_member(http, blk, shg_a, 0, name="Sita Devi", relative_name="Ramesh Kumar")
    second = add(
        http,
        blk.admin,
        shg_b,
        1,
        name="Smt. Seeta Devi",
        relative_name="Ramesh Kumar",
    )
    sid = submitted(http, blk.admin, second)
    # My Task shows the checker which pending members have possible duplicates.
    tasks = http.get("/v1/tasks", params={"entity_type": "member"}, headers=h(blk.bpm)).json()
    row = next(t for t in tasks["items"] if t["entity_id"] == second["id"])
    assert row["duplication"] == "potential"
    refused = approve(http, blk, sid)
    assert refused.status_code == 409 and refused.json()["code"] == "potential_duplicate"
    assert refused.json()["identifiers"] == "name"

    dups = http.get(f"/v1/members/{second['id']}/duplicates", headers=h(blk.bpm)).json()
    assert dups["status"] == "potential"
    (match,) = dups["matches"]
    assert match["rules"] == ["name"] and match["other_name"] == "Sita Devi"
    assert match["name_score"] > 80

    url = f"/v1/members/{second['id']}/duplicates/{first['id']}/decision"
    no_reason = http.post(url, json={"decision": "not_duplicate"}, headers=h(blk.bpm))
    assert no_reason.status_code == 422
    assert [e["field"] for e in no_reason.json()["errors"]] == ["reason"]
    maker = http.post(
        url,
        json={"decision": "not_duplicate", "reason": "Checked: two women"},
        headers=h(blk.admin),
    )
    assert maker.status_code == 403
    ok = http.post(
        url,
        json={"decision": "not_duplicate", "reason": "Met both: sisters-in-law, same names"},
        headers=h(blk.bpm),
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "none"
    assert ok.json()["matches"][0]["decision"] == "not_duplicate"
    assert approve(http, blk, sid).status_code == 200
    member = http.get(f"/v1/members/{second['id']}", headers=h(blk.admin)).json()
    assert member["status"] == "approved" and member["duplication_status"] == "none"


def test_submitted_while_dedup_is_down_is_checked_from_the_event(api: Api) -> None:
    http = api.http
    blk = make_block(api)
    shg = new_shg(http, blk.admin, blk)
    number = aadhaar(int(uuid.uuid4().int % 10**10))
    approved_member(http, blk, shg, 0, aadhaar=number)
    second = add(http, blk.admin, new_shg(http, blk.admin, blk), 1, aadhaar=number)
    api.platform.stop_program("dedup")
    try:
        sid = submitted(http, blk.admin, second)
        member = http.get(f"/v1/members/{second['id']}", headers=h(blk.admin)).json()
        assert member["duplication_status"] == "unchecked"
        # Approval fails closed while the check cannot run.
        down = approve(http, blk, sid)
        assert down.status_code == 503 and down.json()["code"] == "dedup_unavailable"
    finally:
        api.platform.start_program("dedup")
    status = eventually(
        lambda: (
            http.get(f"/v1/members/{second['id']}", headers=h(blk.admin)).json()[
                "duplication_status"
            ]
            == "confirmed"
        ),
        timeout=60,
    )
    assert status, "the submitted event was not checked after dedup came back"


def test_refresh_duplicate_for_a_block(api: Api) -> None:
    http = api.http
    blk = make_block(api)
    shg_a, shg_b = new_shg(http, blk.admin, blk), new_shg(http, blk.admin, blk)
    number = aadhaar(int(uuid.uuid4().int % 10**10))
    mobile = f"9{uuid.uuid4().int % 10**9:09d}"
    # Entered but never submitted: nobody has checked them yet.
    pending = [
        add(http, blk.admin, shg_a, 0, aadhaar=number),
        add(http, blk.admin, shg_b, 1, aadhaar=number),
        add(http, blk.admin, shg_a, 2, mobile=mobile),
        add(http, blk.admin, shg_b, 3, mobile=mobile),
        add(http, blk.admin, shg_a, 4),
    ]
    # The index learns of them from their created events.
    eventually(
        lambda: all(
            http.get(f"/v1/members/{m['id']}/duplicates", headers=h(blk.bpm)).status_code == 200
            for m in pending
        )
    )
    start = http.post(f"/v1/blocks/{blk.block}/duplicate-refresh", headers=h(blk.bpm))
    assert start.status_code == 202, start.text  # a new block: no refresh of it is running
    job = start.json()
    assert start.headers["location"] == f"/v1/duplicate-refreshes/{job['id']}"
    done = eventually(
        lambda: (
            (j := http.get(f"/v1/duplicate-refreshes/{job['id']}", headers=h(blk.bpm)).json())[
                "status"
            ]
            == "done"
            and j
        ),
        timeout=60,
    )
    assert done, "the refresh did not finish"
    assert (done["total"], done["done"], done["confirmed"], done["potential"]) == (5, 5, 2, 2)
    statuses = [
        http.get(f"/v1/members/{m['id']}", headers=h(blk.admin)).json()["duplication_status"]
        for m in pending
    ]
    assert eventually(
        lambda: (
            [
                http.get(f"/v1/members/{m['id']}", headers=h(blk.admin)).json()[
                    "duplication_status"
                ]
                for m in pending
            ]
            == ["confirmed", "confirmed", "potential", "potential", "none"]
        )
    ), statuses
    # Another block's staff cannot refresh this block.
    other = make_block(api)
    assert (
        http.post(f"/v1/blocks/{blk.block}/duplicate-refresh", headers=h(other.bpm)).status_code
        == 404
    )
    assert http.get(f"/v1/duplicate-refreshes/{job['id']}", headers=h(other.bpm)).status_code == 404
    bad = http.post("/v1/blocks/12ab/duplicate-refresh", headers=h(blk.bpm))
    assert bad.status_code == 422


def test_shgs_show_a_duplicate_flag(api: Api) -> None:
    http = api.http
    blk = make_block(api)
    village = blk.villages[0]
    durga = new_shg(http, blk.admin, blk, name="Jai Maa Durga SHG", village_lgd_code=village)
    twin = new_shg(
        http,
        blk.admin,
        blk,
        name="Jai Maa Durga Mahila Swayam Sahayata Samuh",
        village_lgd_code=village,
    )
    other = new_shg(http, blk.admin, blk, name="Ujala Mahila SHG", village_lgd_code=village)

    def flags() -> tuple[bool, bool, bool]:
        return tuple(
            http.get(f"/v1/cbos/{s['id']}", headers=h(blk.admin)).json()["duplicate_flag"]
            for s in (durga, twin, other)
        )  # type: ignore[return-value]

    assert eventually(lambda: flags() == (True, True, False)), flags()
    shg = http.get(f"/v1/cbos/{durga['id']}", headers=h(blk.admin)).json()
    assert shg["duplicate_reasons"] == ["same_name_in_village"]


def test_rules_are_the_states_data(api: Api) -> None:
    http = api.http
    blk = make_block(api)
    current = http.get("/v1/duplicate-rules", headers=h(blk.bpm))
    assert current.status_code == 200
    kinds = {r["name"]: r["kind"] for r in current.json()["rules"]}
    assert kinds == {
        "aadhaar": "confirmed",
        "bank_account": "confirmed",
        "voter_id": "confirmed",
        "mobile": "potential",
        "name": "potential",
    }
    refused = http.put("/v1/duplicate-rules", json={"rules": []}, headers=h(blk.bpm))
    assert refused.status_code == 403
    bad = http.put(
        "/v1/duplicate-rules",
        json={
            "rules": [
                {"name": "name", "kind": "confirmed", "name_threshold": 10, "within": "village"}
            ]
        },
        headers=h(api.token),
    )
    assert bad.status_code == 422, bad.text
    assert {e["field"] for e in bad.json()["errors"]} >= {
        "rules[0].kind",
        "rules[0].name_threshold",
    }
    unknown = http.put(
        "/v1/duplicate-rules",
        json={"rules": [{"name": "pan", "kind": "off"}]},
        headers=h(api.token),
    )
    assert unknown.status_code == 422
    assert http.get("/v1/duplicate-rules", headers=h(blk.bpm)).json() == current.json()


def test_names_in_indian_scripts_and_odd_input_are_handled(api: Api) -> None:
    http = api.http
    blk = make_block(api)
    shg_a, shg_b = new_shg(http, blk.admin, blk), new_shg(http, blk.admin, blk)
    approved_member(http, blk, shg_a, 0, name="Sita Devi", relative_name="Ramesh Kumar")
    hindi = add(http, blk.admin, shg_b, 1, name="सीता देवी", relative_name="रमेश कुमार")
    submitted(http, blk.admin, hindi)
    dups = http.get(f"/v1/members/{hindi['id']}/duplicates", headers=h(blk.bpm)).json()
    assert dups["status"] == "potential" and dups["matches"][0]["other_name"] == "Sita Devi"
    # No letter of a script a name is written in (an emoji; full-width Latin, which no keyboard
    # of the field produces) is refused naming the field; an initial and 100 letters are names.
    odd = {"🙂": 422, "K.": 201, "x" * 100: 201, "Ｓｉｔａ": 422}
    for i, (name, expected) in enumerate(odd.items()):
        r = http.post(
            "/v1/members",
            json=member_body(str(shg_b["id"]), 2 + i, name=name),
            headers=h(blk.admin),
        )
        assert r.status_code == expected, (name, r.text)
        if expected == 422:
            assert r.json()["errors"][0]["field"] == "name"
        else:
            assert submit(http, blk.admin, "member", r.json()).status_code == 201
    too_long = http.post(
        "/v1/members", json=member_body(str(shg_b["id"]), 9, name="x" * 101), headers=h(blk.admin)
    )
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "name"
    assert http.get("/v1/members/not-a-uuid/duplicates", headers=h(blk.bpm)).status_code == 422


def test_checkers_decisions_export_as_labelled_name_pairs(api: Api) -> None:
    http = api.http
    blk, other_blk = make_block(api), make_block(api)
    shg_a, shg_b = new_shg(http, blk.admin, blk), new_shg(http, blk.admin, blk)
    first = approved_member(
        http, blk, shg_a, 0, name="Chinnammal", relative_name="Periyasamy Gounder"
    )
    second = add(http, blk.admin, shg_b, 1, name="Chinnamma", relative_name="Periyasamy")
    submitted(http, blk.admin, second)
    decided = http.post(
        f"/v1/members/{second['id']}/duplicates/{first['id']}/decision",
        json={"decision": "not_duplicate", "reason": "Aadhaar 1234 seen: mother and daughter"},
        headers=h(blk.bpm),
    )
    assert decided.status_code == 200, decided.text

    def export(tok: str, block: str = "") -> httpx.Response:
        return http.get(
            "/v1/duplicate-decisions/labelled-pairs",
            params={"block_lgd_code": block} if block else {},
            headers=h(tok),
        )

    wanted = {
        ("Chinnammal", "Periyasamy Gounder", "Chinnamma", "Periyasamy"),
        ("Chinnamma", "Periyasamy", "Chinnammal", "Periyasamy Gounder"),
    }
    for tok, block in ((api.token, ""), (api.token, blk.block), (blk.bpm, blk.block)):
        r = export(tok, block)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/csv")
        rows = evaluation.read_rows(io.StringIO(r.text))
        (row,) = [x for x in rows if (x.a_name, x.a_relative, x.b_name, x.b_relative) in wanted]
        assert row.category == "decision" and row.same is False
        # Names only: no ids, no codes, no reasons (a reason may quote an identifier).
        for secret in (first["id"], second["id"], first["code"], "Aadhaar", "1234"):
            assert secret not in r.text
    # Another block's checker does not see the pair; makers do not export at all.
    assert "Chinnammal" not in export(other_blk.bpm, other_blk.block).text
    assert export(blk.admin).status_code == 403
    bad = export(api.token, "abc")
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["block_lgd_code"]
