"""Maker-checker through the gateway: the lock, the 5-member rule, remarks on rejection, code
generation, scope of makers and checkers, other states, idempotent creates, stale versions."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.conftest import Api
from tests.e2e.helpers import wait_for
from tests.e2e.identity_helpers import create_user, latest_otp, login, new_code, token
from tests.e2e.profiles.profile_helpers import (
    ALL_IDENTIFIERS_OK,
    PW,
    Block,
    add_member,
    approve_member,
    h,
    make_block,
    member_body,
    new_shg,
    submit,
)


@pytest.fixture
def blk(api: Api) -> Block:
    return make_block(api)


def test_pending_record_is_locked_for_the_maker_and_cannot_be_submitted_twice(
    api: Api, blk: Block
) -> None:
    shg = new_shg(api.http, blk.admin, blk)
    member = add_member(api.http, blk.admin, str(shg["id"]), 1)
    s = submit(api.http, blk.admin, "member", member)
    assert s.status_code == 201, s.text
    reference = s.json()["id"]
    fresh = api.http.get(f"/v1/members/{member['id']}", headers=h(blk.admin)).json()
    assert fresh["status"] == "pending" and fresh["submission_id"] == reference
    locked = api.http.patch(
        f"/v1/members/{member['id']}",
        json={"version": fresh["version"], "name": "Sunita Kumari"},
        headers=h(blk.admin),
    )
    assert locked.status_code == 423 and locked.json()["code"] == "pending_approval"
    again = submit(api.http, blk.admin, "member", fresh)
    assert again.status_code == 409 and again.json()["code"] == "already_pending"
    after = api.http.get(f"/v1/members/{member['id']}", headers=h(blk.admin)).json()
    assert after["name"] == member["name"] and after["version"] == fresh["version"]


def test_shg_is_approved_only_with_five_approved_members_and_gets_its_code(
    api: Api, blk: Block
) -> None:
    shg = new_shg(api.http, blk.admin, blk)
    members = [add_member(api.http, blk.admin, str(shg["id"]), i) for i in range(5)]
    for m in members[:4]:
        approved = approve_member(api.http, blk, blk.admin, m)
        assert approved["entity_status"] == "approved"
        assert re.fullmatch(rf"M{blk.villages[0]}\d{{5}}", approved["entity_code"]), approved[
            "entity_code"
        ]

    current = api.http.get(f"/v1/cbos/{shg['id']}", headers=h(blk.admin)).json()
    s = submit(api.http, blk.admin, "shg", current)
    assert s.status_code == 201, s.text
    too_early = api.http.post(
        f"/v1/submissions/{s.json()['id']}/approve", json={}, headers=h(blk.bpm)
    )
    assert too_early.status_code == 422
    assert too_early.json()["errors"][0]["code"] == "too_few_members"
    # Rules are checked at approval: the fifth member is approved meanwhile, then it passes.
    approve_member(api.http, blk, blk.admin, members[4])
    ok = api.http.post(f"/v1/submissions/{s.json()['id']}/approve", json={}, headers=h(blk.bpm))
    assert ok.status_code == 200, ok.text
    assert ok.json()["entity_status"] == "approved"
    code = ok.json()["entity_code"]
    assert re.fullmatch(rf"S{blk.block}\d{{5}}", code), code
    final = api.http.get(f"/v1/cbos/{shg['id']}", headers=h(blk.bpm)).json()
    assert (
        final["code"] == code
        and final["approved_members"] == 5
        and final["approved_by"] == blk.bpm_id
    )
    codes = {
        api.http.get(f"/v1/members/{m['id']}", headers=h(blk.admin)).json()["code"] for m in members
    }
    assert len(codes) == 5  # unique


def test_rejection_returns_to_the_maker_with_remarks(api: Api, blk: Block) -> None:
    shg = new_shg(api.http, blk.admin, blk)
    member = add_member(api.http, blk.admin, str(shg["id"]), 7)
    s = submit(api.http, blk.admin, "member", member).json()
    no_remark = api.http.post(f"/v1/submissions/{s['id']}/reject", json={}, headers=h(blk.bpm))
    assert no_remark.status_code == 422 and no_remark.json()["errors"][0]["field"] == "remarks"
    bad_remark = api.http.post(
        f"/v1/submissions/{s['id']}/reject", json={"remarks": ["ZZ9"]}, headers=h(blk.bpm)
    )
    assert bad_remark.status_code == 422
    rejected = api.http.post(
        f"/v1/submissions/{s['id']}/reject",
        json={
            "remarks": ["R02"],
            "identifiers": [{"identifier": "aadhaar", "status": "rejected", "remark": "R02"}],
        },
        headers=h(blk.bpm),
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected" and rejected.json()["remarks"] == ["R02"]
    back = api.http.get(f"/v1/members/{member['id']}", headers=h(blk.admin)).json()
    assert back["status"] == "rejected" and back["remarks"] == ["R02"]
    aadhaar = next(i for i in back["identifiers"] if i["identifier"] == "aadhaar")
    assert aadhaar == {"identifier": "aadhaar", "status": "rejected", "remark": "R02"}
    # The maker fixes it: the record becomes "modified" and can be submitted again.
    fixed = api.http.patch(
        f"/v1/members/{member['id']}",
        json={"version": back["version"], "relative_name": "Shyam Lal"},
        headers=h(blk.admin),
    )
    assert fixed.status_code == 200 and fixed.json()["status"] == "modified"
    assert submit(api.http, blk.admin, "member", fixed.json()).status_code == 201


def test_the_checker_is_never_the_maker(api: Api, blk: Block) -> None:
    shg = new_shg(api.http, blk.admin, blk)
    # The BPM also holds a maker role in the block here, and submits herself.
    bpm_maker = f"UP_BPMMK{new_code(5)}"
    assert (
        create_user(
            api.http,
            blk.admin,
            bpm_maker,
            "BLOCK_PROGRAM_MANAGER",
            "block",
            [blk.block],
            password=PW,
        ).status_code
        == 201
    )
    r = api.http.post(
        f"/v1/users/{bpm_maker}/roles",
        json={"role": "BLOCK_MIS", "scope": {"level": "block", "codes": [blk.block]}},
        headers=h(blk.admin),
    )
    assert r.status_code == 201, r.text
    both = token(api.http, bpm_maker, PW)
    member = add_member(api.http, both, str(shg["id"]), 3)
    s = submit(api.http, both, "member", member).json()
    own = api.http.post(
        f"/v1/submissions/{s['id']}/approve",
        json={"identifiers": ALL_IDENTIFIERS_OK},
        headers=h(both),
    )
    assert own.status_code == 403 and own.json()["code"] == "maker_is_checker"


def test_bpm_cannot_approve_another_blocks_records(api: Api, blk: Block) -> None:
    other = make_block(api)
    shg = new_shg(api.http, blk.admin, blk)
    member = add_member(api.http, blk.admin, str(shg["id"]), 2)
    s = submit(api.http, blk.admin, "member", member).json()
    r = api.http.post(
        f"/v1/submissions/{s['id']}/approve",
        json={"identifiers": ALL_IDENTIFIERS_OK},
        headers=h(other.bpm),
    )
    assert r.status_code == 404  # another block's record does not exist for her
    tasks = api.http.get("/v1/tasks", headers=h(other.bpm)).json()
    assert s["id"] not in {t["submission_id"] for t in tasks["items"]}
    mine = api.http.get("/v1/tasks", params={"entity_type": "member"}, headers=h(blk.bpm)).json()
    assert s["id"] in {t["submission_id"] for t in mine["items"]} and mine["counts"]["member"] >= 1


def test_bookkeeper_touches_only_mapped_shgs(api: Api, blk: Block) -> None:
    mapped = new_shg(api.http, blk.admin, blk, "Laxmi SHG")
    unmapped = new_shg(api.http, blk.admin, blk, "Saraswati SHG")
    bk = f"UP_BK{new_code(6)}"
    assert (
        create_user(
            api.http,
            blk.admin,
            bk,
            "SHG_BOOKKEEPER",
            "block",
            [blk.block],
            mobile="9876543210",
            password=PW,
        ).status_code
        == 201
    )
    assert wait_for(
        lambda: (
            api.http.post(
                f"/v1/users/{bk}/cbos", json={"cbo_ids": [mapped["id"]]}, headers=h(blk.admin)
            ).status_code
            == 200
        ),
        timeout=15,
    )
    first = login(api.http, bk, PW, client="mobile", device_id="bk-phone-0001").json()
    tok = login(
        api.http,
        bk,
        PW,
        client="mobile",
        device_id="bk-phone-0001",
        challenge_id=first["challenge_id"],
        otp=latest_otp(api.platform, bk),
    ).json()["access_token"]
    dev = {**h(tok), "X-Device-Id": "bk-phone-0001"}
    assert wait_for(
        lambda: (
            api.http.post(
                "/v1/members", json=member_body(str(mapped["id"]), 1), headers=dev
            ).status_code
            == 201
        ),
        timeout=10,
    )
    denied = api.http.post("/v1/members", json=member_body(str(unmapped["id"]), 2), headers=dev)
    assert denied.status_code == 404  # not hers: it does not exist for her
    assert api.http.get(f"/v1/cbos/{unmapped['id']}", headers=dev).status_code == 404
    assert (
        api.http.patch(
            f"/v1/cbos/{unmapped['id']}", json={"version": 1, "name": "X SHG"}, headers=dev
        ).status_code
        == 404
    )


def test_another_states_principal_sees_nothing(api: Api, blk: Block) -> None:
    import asyncio

    import grpc

    from lokos.principal import Principal, RoleGrant, Scope
    from lokos.profiles.v1 import profiles_pb2, profiles_pb2_grpc
    from lokos.rpc import call_metadata

    shg = new_shg(api.http, blk.admin, blk)
    bihar = Principal(
        "BR_STATEADMIN", "br", "lokos-br", (RoleGrant("STATE_ADMIN", Scope("state")),)
    )

    async def probe() -> grpc.StatusCode:
        async with grpc.aio.insecure_channel(api.platform.grpc_target("profiles")) as ch:
            stub = profiles_pb2_grpc.ProfilesServiceStub(ch)
            try:
                await stub.GetCbo(
                    profiles_pb2.GetRequest(id=str(shg["id"])), metadata=call_metadata(bihar, "x")
                )
            except grpc.aio.AioRpcError as exc:
                return exc.code()
            return grpc.StatusCode.OK

    assert asyncio.run(probe()) == grpc.StatusCode.NOT_FOUND


def test_idempotent_create_and_stale_version(api: Api, blk: Block) -> None:
    body = {
        "client_id": str(uuid.uuid4()),
        "cbo_type": "SHG",
        "block_lgd_code": blk.block,
        "name": "Jyoti SHG",
    }
    first = api.http.post("/v1/cbos", json=body, headers=h(blk.admin))
    again = api.http.post("/v1/cbos", json=body, headers=h(blk.admin))
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["name"] == "Jyoti SHG"
    v = first.json()["version"]
    ok = api.http.patch(
        f"/v1/cbos/{first.json()['id']}",
        json={"version": v, "name": "Jyoti Mahila SHG"},
        headers=h(blk.admin),
    )
    assert ok.status_code == 200
    stale = api.http.patch(
        f"/v1/cbos/{first.json()['id']}", json={"version": v, "name": "Stale"}, headers=h(blk.admin)
    )
    assert stale.status_code == 409 and stale.json()["current_version"] == str(v + 1)


def test_status_by_reference_tells_where_the_record_stands(api: Api, blk: Block) -> None:
    shg = new_shg(api.http, blk.admin, blk)
    member = add_member(api.http, blk.admin, str(shg["id"]), 4)
    ref = submit(api.http, blk.admin, "member", member).json()["id"]
    pending = api.http.get(f"/v1/submissions/{ref}", headers=h(blk.admin)).json()
    assert (
        pending["status"] == "pending"
        and pending["entity_status"] == "pending"
        and pending["checker"] == ""
    )
    api.http.post(
        f"/v1/submissions/{ref}/approve",
        json={"identifiers": ALL_IDENTIFIERS_OK},
        headers=h(blk.bpm),
    )
    done = api.http.get(
        f"/v1/submissions/{ref}", headers=h(api.token)
    ).json()  # the state's help desk view
    assert (
        done["status"] == "approved"
        and done["checker"] == blk.bpm_id
        and done["entity_code"].startswith("M")
    )


def test_approved_data_stays_the_record_until_changes_are_approved(api: Api, blk: Block) -> None:
    shg = new_shg(api.http, blk.admin, blk)
    member = add_member(api.http, blk.admin, str(shg["id"]), 5)
    approve_member(api.http, blk, blk.admin, member)
    current = api.http.get(f"/v1/members/{member['id']}", headers=h(blk.admin)).json()
    changed = api.http.patch(
        f"/v1/members/{member['id']}",
        json={"version": current["version"], "name": "Sunita Devi Verma"},
        headers=h(blk.admin),
    )
    assert changed.status_code == 200
    assert changed.json()["name"] == member["name"] and changed.json()["status"] == "approved"
    s = submit(api.http, blk.admin, "member", changed.json()).json()
    api.http.post(
        f"/v1/submissions/{s['id']}/approve",
        json={"identifiers": ALL_IDENTIFIERS_OK},
        headers=h(blk.bpm),
    )
    assert (
        api.http.get(f"/v1/members/{member['id']}", headers=h(blk.admin)).json()["name"]
        == "Sunita Devi Verma"
    )


def test_aadhaar_is_never_returned_in_full(api: Api, blk: Block) -> None:
    shg = new_shg(api.http, blk.admin, blk)
    body = member_body(str(shg["id"]), 9, bank_account="001234567890", ifsc="SBIN0001234")
    r = api.http.post("/v1/members", json=body, headers=h(blk.admin))
    assert r.status_code == 201, r.text
    text = r.text + api.http.get(f"/v1/members/{r.json()['id']}", headers=h(blk.admin)).text
    assert str(body["aadhaar"]) not in text and "001234567890" not in text
    assert r.json()["aadhaar"] == f"XXXX XXXX {str(body['aadhaar'])[-4:]}"
    assert r.json()["bank_account"].endswith("7890") and r.json()["bank_account"].startswith("XXXX")
    logs = "".join(p.read_text(errors="replace") for p in (api.platform.logs).glob("*.log"))
    assert str(body["aadhaar"]) not in logs


def test_federation_links_keep_history(api: Api, blk: Block) -> None:
    shg = new_shg(api.http, blk.admin, blk)
    vos = []
    for name in ("Ujala VO", "Pragati VO"):
        vo = new_shg(api.http, blk.admin, blk, name, cbo_type="VO")
        # VOs need approval before SHGs link to them.
        s = submit(api.http, blk.admin, "vo", vo).json()
        ok = api.http.post(f"/v1/submissions/{s['id']}/approve", json={}, headers=h(blk.bpm))
        assert ok.status_code == 200, ok.text
        vos.append(vo)
    first = api.http.post(
        f"/v1/cbos/{shg['id']}/federation", json={"parent_id": vos[0]["id"]}, headers=h(blk.admin)
    )
    assert first.status_code == 200, first.text
    moved = api.http.post(
        f"/v1/cbos/{shg['id']}/federation", json={"parent_id": vos[1]["id"]}, headers=h(blk.admin)
    )
    assert moved.status_code == 200
    history = api.http.get(f"/v1/cbos/{shg['id']}/federation", headers=h(blk.admin)).json()
    assert [x["parent_id"] for x in history] == [vos[0]["id"], vos[1]["id"]]
    assert history[0]["valid_to"] is not None and history[1]["valid_to"] is None
    wrong = api.http.post(
        f"/v1/cbos/{shg['id']}/federation", json={"parent_id": shg["id"]}, headers=h(blk.admin)
    )
    assert wrong.status_code == 422


def test_my_task_filters_counts_and_pages_oldest_first(api: Api, blk: Block) -> None:
    shg_a = new_shg(api.http, blk.admin, blk, "Asha SHG")
    shg_b = new_shg(api.http, blk.admin, blk, "Bela SHG", village_lgd_code=blk.villages[1])
    refs = []
    for i, shg in enumerate((shg_a, shg_a, shg_b)):
        m = add_member(api.http, blk.admin, str(shg["id"]), 20 + i)
        refs.append(submit(api.http, blk.admin, "member", m).json()["id"])
    s = submit(api.http, blk.admin, "shg", new_shg(api.http, blk.admin, blk, "Chameli SHG")).json()
    refs.append(s["id"])

    def tasks(**params: object) -> dict[str, object]:
        r = api.http.get("/v1/tasks", params=params, headers=h(blk.bpm))
        assert r.status_code == 200, r.text
        return dict(r.json())

    everything = tasks(block_lgd_code=blk.block)
    assert [t["submission_id"] for t in everything["items"]] == refs  # oldest first
    assert everything["counts"] == {"member": 3, "shg": 1} and everything["total"] == 4
    second = tasks(block_lgd_code=blk.block, limit=2, offset=2)
    assert [t["submission_id"] for t in second["items"]] == refs[2:]
    assert second["total"] == 4
    village_b = tasks(block_lgd_code=blk.block, village_lgd_code=blk.villages[1])
    assert [t["submission_id"] for t in village_b["items"]] == [refs[2]]
    by_name = tasks(block_lgd_code=blk.block, name="chameli")
    assert [t["entity_type"] for t in by_name["items"]] == ["shg"]
    beyond = tasks(block_lgd_code=blk.block, offset=10)
    assert beyond["items"] == [] and beyond["total"] == 4
