"""Identity rules through the gateway: user IDs, lockout, audit, edits, device binding by
SMS OTP, CBO mapping and bad input. Each test arranges its own geography and users."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from tests.conftest import Api
from tests.e2e.helpers import h, wait_for
from tests.e2e.identity_helpers import (
    Geo,
    create_user,
    latest_otp,
    login,
    make_geo,
    new_code,
    token,
)

PW = "Lokos@2024"


@pytest.fixture
def geo(api: Api) -> Geo:
    return make_geo(api.http, api.token)


def _uid(tag: str) -> str:
    return f"UP_{tag}{new_code(6)}"


def _block_admin(api: Api, geo: Geo, block: str | None = None) -> tuple[str, str]:
    """A district admin of D1 creates a Block Admin of ``block`` (B1); returns (id, token)."""
    da = _uid("DA")
    assert (
        create_user(
            api.http, api.token, da, "DISTRICT_ADMIN", "district", [geo.d1], password=PW
        ).status_code
        == 201
    )
    ba = _uid("BA")
    r = create_user(
        api.http,
        token(api.http, da, PW),
        ba,
        "BLOCK_ADMIN",
        "block",
        [block or geo.b1],
        password=PW,
    )
    assert r.status_code == 201, r.text
    return ba, token(api.http, ba, PW)


# --- user IDs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_id", "code"),
    [
        ("up_lower", "not_upper_case"),
        ("UP_Mixed", "not_upper_case"),
        ("BR_OTHERSTATE", "prefix"),
        ("ALAPURSHGBK", "prefix"),
        ("UP_", "prefix"),
        ("UP_HAS SPACE", "format"),
        ("UP_HAS-DASH", "format"),
        ("UP__DOUBLE", "format"),
        ("UP_" + "A" * 46, "too_long"),
        ("", "required"),
    ],
)
def test_bad_user_ids_are_refused_with_a_field_error(
    api: Api, geo: Geo, user_id: str, code: str
) -> None:
    r = create_user(api.http, api.token, user_id, "DISTRICT_ADMIN", "district", [geo.d1])
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    errors = {e["field"]: e["code"] for e in r.json()["errors"]}
    # The gateway's schema may catch it first (pydantic's code, e.g. string_too_long).
    assert errors.get("user_id") in (code, f"string_{code}"), errors
    if user_id:
        gone = api.http.get(f"/v1/users/{user_id.upper()}", headers=h(api.token))
        # Not created: 404, or 422 where the ID is too long to be a user ID at all.
        assert gone.status_code == (422 if len(user_id) > 48 else 404), gone.text


def test_user_ids_are_unique_per_state(api: Api, geo: Geo) -> None:
    uid = _uid("DUP")
    assert (
        create_user(api.http, api.token, uid, "DISTRICT_ADMIN", "district", [geo.d1]).status_code
        == 201
    )
    again = create_user(api.http, api.token, uid, "DISTRICT_ADMIN", "district", [geo.d2])
    assert again.status_code == 409 and again.json()["code"] == "user_exists"


def test_valid_user_id_with_digits_and_underscores(api: Api, geo: Geo) -> None:
    uid = f"UP_ALAPUR_SHG_BK{new_code(3)}"
    r = create_user(api.http, api.token, uid, "DISTRICT_ADMIN", "district", [geo.d1])
    assert r.status_code == 201, r.text
    assert r.json()["user_id"] == uid and r.json()["realm"] == "lokos-up"


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"roles": [{"role": "SUPER_USER", "scope": {"level": "state", "codes": []}}]},
            "roles[0].role",
        ),
        (
            {"roles": [{"role": "DISTRICT_ADMIN", "scope": {"level": "block", "codes": ["1"]}}]},
            "roles[0].scope.level",
        ),
        (
            {
                "roles": [
                    {
                        "role": "DISTRICT_ADMIN",
                        "scope": {"level": "district", "codes": ["99999999"]},
                    }
                ]
            },
            "roles[0].scope.codes",
        ),
        (
            {
                "roles": [
                    {"role": "DISTRICT_ADMIN", "scope": {"level": "district", "codes": ["12a"]}}
                ]
            },
            "roles[0].scope.codes",
        ),
        ({"roles": []}, "roles"),
        ({"name": "x" * 129}, "name"),
        ({"name": "   "}, "name"),
        ({"mobile": "12345"}, "mobile"),
        ({"mobile": "5876543210"}, "mobile"),
        ({"email": "not-an-email"}, "email"),
        ({"password": "short"}, "password"),
        ({"password": "alllowercaseletters"}, "password"),
        ({"name": 42}, "name"),
        ({"roles": "DISTRICT_ADMIN"}, "roles"),
        ({"temporary_password": "maybe"}, "temporary_password"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(
    api: Api, geo: Geo, change: dict[str, object], field: str
) -> None:
    uid = _uid("BAD")
    body: dict[str, object] = {
        "user_id": uid,
        "name": "Asha Kumari",
        "mobile": "9876543210",
        "password": PW,
        "temporary_password": False,
        "roles": [{"role": "DISTRICT_ADMIN", "scope": {"level": "district", "codes": [geo.d1]}}],
    }
    body.update(change)
    r = api.http.post("/v1/users", json=body, headers=h(api.token))
    assert r.status_code == 422, r.text
    fields = [e["field"] for e in r.json()["errors"]]
    assert any(f == field or f.startswith(field) for f in fields), fields
    assert api.http.get(f"/v1/users/{uid}", headers=h(api.token)).status_code == 404


def test_scope_outside_the_creators_is_refused_and_changes_nothing(api: Api, geo: Geo) -> None:
    _, ba = _block_admin(api, geo)
    uid = _uid("OUT")
    r = create_user(api.http, ba, uid, "SHG_BOOKKEEPER", "block", [geo.b2])
    assert r.status_code == 403 and r.json()["code"] == "role_not_grantable"
    assert api.http.get(f"/v1/users/{uid}", headers=h(api.token)).status_code == 404


# --- lockout ------------------------------------------------------------------------------


def test_wrong_passwords_lock_the_account_until_an_admin_unlocks(api: Api, geo: Geo) -> None:
    uid = _uid("LOCK")
    assert (
        create_user(
            api.http, api.token, uid, "STATE_THEMATIC", "state", [], password=PW
        ).status_code
        == 201
    )
    for _ in range(4):
        r = login(api.http, uid, "Wrong@2024")
        assert r.status_code == 401 and r.json()["code"] == "invalid_credentials"
    fifth = login(api.http, uid, "Wrong@2024")
    assert fifth.status_code == 401
    locked = login(api.http, uid, PW)  # even the right password now
    assert locked.status_code == 423, locked.text
    assert locked.json()["code"] == "account_locked" and locked.json()["locked_until"]

    user = api.http.get(f"/v1/users/{uid}", headers=h(api.token)).json()
    assert user["locked"] is True
    audit = api.http.get(
        "/v1/audit", params={"user_id": uid, "action": "user.locked"}, headers=h(api.token)
    )
    assert audit.json()["total"] == 1

    assert api.http.post(f"/v1/users/{uid}/unlock", headers=h(api.token)).status_code == 200
    assert login(api.http, uid, PW).status_code == 200
    unlocked = api.http.get(
        "/v1/audit", params={"user_id": uid, "action": "user.unlocked"}, headers=h(api.token)
    )
    assert unlocked.json()["items"][0]["actor"] == "UP_STATEADMIN"


# --- management and audit -----------------------------------------------------------------


def test_admin_actions_are_audited_with_actor_request_and_before_after(api: Api, geo: Geo) -> None:
    uid = _uid("AUD")
    created = create_user(
        api.http, api.token, uid, "STATE_THEMATIC", "state", [], designation="DPM"
    )
    assert created.status_code == 201
    auth = h(api.token)
    v = created.json()["version"]
    edited = api.http.patch(
        f"/v1/users/{uid}", json={"version": v, "designation": "DMMU"}, headers=auth
    )
    assert edited.status_code == 200 and edited.json()["designation"] == "DMMU"
    stale = api.http.patch(
        f"/v1/users/{uid}", json={"version": v, "designation": "X"}, headers=auth
    )
    assert stale.status_code == 409 and stale.json()["current_version"] == str(v + 1)
    role = api.http.post(
        f"/v1/users/{uid}/roles",
        json={"role": "DISTRICT_ADMIN", "scope": {"level": "district", "codes": [geo.d2]}},
        headers=auth,
    )
    assert role.status_code == 201, role.text
    assert (
        api.http.post(
            f"/v1/users/{uid}/password",
            json={"new_password": "Reset@2024", "temporary": True},
            headers=auth,
        ).status_code
        == 200
    )
    assert (
        api.http.post(
            f"/v1/users/{uid}/inactivate", json={"reason": "transferred"}, headers=auth
        ).status_code
        == 200
    )
    assert login(api.http, uid, "Reset@2024").status_code == 401  # inactive users cannot log in
    assert api.http.post(f"/v1/users/{uid}/reactivate", json={}, headers=auth).status_code == 200

    entries = api.http.get("/v1/audit", params={"user_id": uid}, headers=auth).json()["items"]
    actions = [e["action"] for e in reversed(entries)]
    assert actions == [
        "user.created",
        "user.updated",
        "user.role_added",
        "user.password_reset",
        "user.inactivated",
        "user.reactivated",
    ]
    update = next(e for e in entries if e["action"] == "user.updated")
    assert update["actor"] == "UP_STATEADMIN" and len(update["request_id"]) == 32
    assert '"DPM"' in update["before"] and '"DMMU"' in update["after"]
    assert edited.headers["x-request-id"] == update["request_id"]
    assert "Reset@2024" not in str(entries)  # passwords never reach the audit log

    # A temporary password opens nothing but the password change.
    tmp = token(api.http, uid, "Reset@2024")
    assert api.http.get("/v1/users", headers=h(tmp)).json()["code"] == "password_change_required"
    changed = api.http.post(
        "/v1/me/password",
        json={"current_password": "Reset@2024", "new_password": "Mine@20245"},
        headers=h(tmp),
    )
    assert changed.status_code == 200, changed.text
    assert wait_for(
        lambda: api.http.get("/v1/users", headers=h(tmp)).status_code == 200, timeout=10
    )


def test_audit_is_readable_only_within_scope(api: Api, geo: Geo) -> None:
    _, ba1 = _block_admin(api, geo, geo.b1)
    _, ba2 = _block_admin(api, geo, geo.b2)
    uid = _uid("SCP")
    assert create_user(api.http, ba1, uid, "BLOCK_THEMATIC", "block", [geo.b1]).status_code == 201
    mine = api.http.get("/v1/audit", params={"user_id": uid}, headers=h(ba1)).json()
    theirs = api.http.get("/v1/audit", params={"user_id": uid}, headers=h(ba2)).json()
    assert mine["total"] == 1 and theirs["total"] == 0
    assert api.http.get(f"/v1/users/{uid}", headers=h(ba2)).status_code == 404
    listed = api.http.get("/v1/users", params={"q": uid}, headers=h(ba2)).json()
    assert listed["total"] == 0


def test_search_filters_and_pages(api: Api, geo: Geo) -> None:
    _, ba = _block_admin(api, geo)
    ids = [_uid("SRCH") for _ in range(3)]
    for i, uid in enumerate(ids):
        role = "SHG_BOOKKEEPER" if i < 2 else "BLOCK_THEMATIC"
        assert (
            create_user(
                api.http, ba, uid, role, "block", [geo.b1], mobile=f"98765{i:05d}"
            ).status_code
            == 201
        )
    auth = h(ba)
    community = api.http.get(
        "/v1/users", params={"block_lgd_code": geo.b1, "category": "community"}, headers=auth
    ).json()
    assert {u["user_id"] for u in community["items"]} >= set(ids[:2]) and ids[2] not in {
        u["user_id"] for u in community["items"]
    }
    by_role = api.http.get(
        "/v1/users", params={"role": "BLOCK_THEMATIC", "block_lgd_code": geo.b1}, headers=auth
    ).json()
    assert ids[2] in {u["user_id"] for u in by_role["items"]}
    page = api.http.get(
        "/v1/users", params={"block_lgd_code": geo.b1, "limit": 1, "offset": 1}, headers=auth
    ).json()
    assert len(page["items"]) == 1 and page["total"] >= 4
    assert all(u["mobile"].startswith("XXXXXX") for u in community["items"] if u["mobile"])


def test_soft_delete_keeps_history(api: Api, geo: Geo) -> None:
    uid = _uid("DEL")
    assert create_user(api.http, api.token, uid, "STATE_THEMATIC", "state", []).status_code == 201
    auth = h(api.token)
    time.sleep(0.05)
    while_held = datetime.now(UTC).isoformat()
    time.sleep(0.05)
    deleted = api.http.delete(
        f"/v1/users/{uid}", params={"reason": "left the mission"}, headers=auth
    )
    assert deleted.status_code == 200 and deleted.json()["status"] == "deleted"
    assert login(api.http, uid, PW).status_code == 401
    history = api.http.get(f"/v1/users/{uid}/roles/history", headers=auth).json()
    (grant,) = history["grants"]
    assert grant["role"] == "STATE_THEMATIC" and grant["valid_to"] is not None
    as_of_then = api.http.get(
        f"/v1/users/{uid}/roles/history", params={"as_of": while_held}, headers=auth
    ).json()
    assert [g["role"] for g in as_of_then["grants"]] == ["STATE_THEMATIC"]


# --- device binding -----------------------------------------------------------------------


def _mobile_login(api: Api, uid: str, device: str) -> str:
    """Log in from ``device`` answering the OTP; returns the access token."""
    first = login(api.http, uid, PW, client="mobile", device_id=device)
    assert first.status_code == 202, first.text
    challenge = first.json()
    assert challenge["status"] == "otp_required" and challenge["sent_to"].endswith("3210")
    second = login(
        api.http,
        uid,
        PW,
        client="mobile",
        device_id=device,
        challenge_id=challenge["challenge_id"],
        otp=latest_otp(api.platform, uid),
    )
    assert second.status_code == 200, second.text
    return str(second.json()["access_token"])


def test_device_binding_moves_to_the_new_device_and_refuses_the_old(api: Api, geo: Geo) -> None:
    _, ba = _block_admin(api, geo)
    uid = _uid("BK")
    assert (
        create_user(
            api.http, ba, uid, "SHG_BOOKKEEPER", "block", [geo.b1], mobile="9876543210", password=PW
        ).status_code
        == 201
    )

    token_a = _mobile_login(api, uid, "phone-A-0001")
    me_a = api.http.get("/v1/me", headers={**h(token_a), "X-Device-Id": "phone-A-0001"})
    assert me_a.status_code == 200, me_a.text
    # Same device again: no OTP.
    again = login(api.http, uid, PW, client="mobile", device_id="phone-A-0001")
    assert again.status_code == 200 and "access_token" in again.json()

    time.sleep(1.1)  # OTP resend interval in tests
    token_b = _mobile_login(api, uid, "phone-B-0002")
    assert wait_for(
        lambda: (
            api.http.get(
                "/v1/me", headers={**h(token_a), "X-Device-Id": "phone-A-0001"}
            ).status_code
            == 401
        ),
        timeout=10,
    )
    refused = api.http.get("/v1/me", headers={**h(token_a), "X-Device-Id": "phone-A-0001"})
    assert refused.json()["code"] == "device_not_bound"
    # A's token cannot pass as B either: its session was not issued to B.
    assert (
        api.http.get("/v1/me", headers={**h(token_a), "X-Device-Id": "phone-B-0002"}).status_code
        == 401
    )
    assert (
        api.http.get("/v1/me", headers={**h(token_b), "X-Device-Id": "phone-B-0002"}).status_code
        == 200
    )
    assert api.http.get("/v1/me", headers=h(token_b)).json()["code"] == "device_missing"

    device = api.http.get(f"/v1/users/{uid}/device", headers=h(ba)).json()
    assert device["device_id"] == "phone-B-0002" and device["status"] == "bound"
    audit = api.http.get(
        "/v1/audit", params={"user_id": uid, "action": "device.bound"}, headers=h(ba)
    ).json()
    assert audit["total"] == 2


def test_wrong_otp_counts_attempts_and_resend_is_rate_limited(api: Api, geo: Geo) -> None:
    _, ba = _block_admin(api, geo)
    uid = _uid("OTP")
    assert (
        create_user(
            api.http, ba, uid, "VO_BOOKKEEPER", "block", [geo.b1], mobile="9876543210", password=PW
        ).status_code
        == 201
    )
    first = login(api.http, uid, PW, client="mobile", device_id="phone-C-0003").json()
    too_soon = login(api.http, uid, PW, client="mobile", device_id="phone-C-0003")
    assert too_soon.status_code == 429 and too_soon.json()["code"] == "otp_resend_too_soon"
    real = latest_otp(api.platform, uid)
    wrong = f"{(int(real) + 1) % 10**6:06d}"
    bad = login(
        api.http,
        uid,
        PW,
        client="mobile",
        device_id="phone-C-0003",
        challenge_id=first["challenge_id"],
        otp=wrong,
    )
    assert (
        bad.status_code == 401
        and bad.json()["code"] == "otp_invalid"
        and bad.json()["attempts_left"] == "4"
    )
    other_device = login(
        api.http,
        uid,
        PW,
        client="mobile",
        device_id="phone-D-0004",
        challenge_id=first["challenge_id"],
        otp=real,
    )
    assert other_device.status_code == 401 and other_device.json()["code"] == "otp_unknown"
    ok = login(
        api.http,
        uid,
        PW,
        client="mobile",
        device_id="phone-C-0003",
        challenge_id=first["challenge_id"],
        otp=real,
    )
    assert ok.status_code == 200
    reused = login(
        api.http,
        uid,
        PW,
        client="mobile",
        device_id="phone-E-0005",
        challenge_id=first["challenge_id"],
        otp=real,
    )
    assert reused.status_code == 401


def test_block_admin_deregisters_and_approves_a_replacement(api: Api, geo: Geo) -> None:
    _, ba = _block_admin(api, geo)
    uid = _uid("REP")
    assert (
        create_user(
            api.http, ba, uid, "CLF_BOOKKEEPER", "block", [geo.b1], mobile="9876543210", password=PW
        ).status_code
        == 201
    )
    old = _mobile_login(api, uid, "phone-F-0006")
    approved = api.http.post(
        f"/v1/users/{uid}/device/replacement", json={"device_id": "phone-G-0007"}, headers=h(ba)
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert wait_for(
        lambda: (
            api.http.get("/v1/me", headers={**h(old), "X-Device-Id": "phone-F-0006"}).status_code
            == 401
        ),
        timeout=10,
    )
    # The approved phone logs in without an OTP.
    new = login(api.http, uid, PW, client="mobile", device_id="phone-G-0007")
    assert new.status_code == 200, new.text
    assert api.http.delete(f"/v1/users/{uid}/device", headers=h(ba)).json()["status"] == "none"
    time.sleep(1.1)  # OTP resend interval in tests
    assert login(api.http, uid, PW, client="mobile", device_id="phone-G-0007").status_code == 202
    actions = {
        e["action"]
        for e in api.http.get("/v1/audit", params={"user_id": uid}, headers=h(ba)).json()["items"]
    }
    assert {"device.replacement_approved", "device.deregistered", "device.bound"} <= actions


def test_two_roles_use_the_same_device(api: Api, geo: Geo) -> None:
    _, ba = _block_admin(api, geo)
    uid = _uid("TWO")
    assert (
        create_user(
            api.http, ba, uid, "SHG_BOOKKEEPER", "block", [geo.b1], mobile="9876543210", password=PW
        ).status_code
        == 201
    )
    added = api.http.post(
        f"/v1/users/{uid}/roles",
        json={"role": "VO_BOOKKEEPER", "scope": {"level": "block", "codes": [geo.b1]}},
        headers=h(ba),
    )
    assert added.status_code == 201, added.text
    tok = _mobile_login(api, uid, "phone-H-0008")
    me = api.http.get("/v1/me", headers={**h(tok), "X-Device-Id": "phone-H-0008"}).json()
    assert {r["role"] for r in me["roles"]} == {"SHG_BOOKKEEPER", "VO_BOOKKEEPER"}


# --- CBO mapping --------------------------------------------------------------------------


def test_block_admin_links_cbos_and_the_bookkeeper_sees_only_those(api: Api, geo: Geo) -> None:
    _, ba = _block_admin(api, geo)
    uid = _uid("MAP")
    assert (
        create_user(
            api.http, ba, uid, "SHG_BOOKKEEPER", "block", [geo.b1], mobile="9876543210", password=PW
        ).status_code
        == 201
    )
    shgs = []
    for name in ("Durga", "Laxmi", "Saraswati"):
        r = api.http.post(
            "/v1/cbos",
            json={
                "client_id": str(uuid.uuid4()),
                "cbo_type": "SHG",
                "name": f"{name} SHG",
                "block_lgd_code": geo.b1,
            },
            headers=h(api.token),
        )
        assert r.status_code == 201
        shgs.append(r.json()["id"])
    other_block = api.http.post(
        "/v1/cbos",
        json={
            "client_id": str(uuid.uuid4()),
            "cbo_type": "SHG",
            "name": "Far SHG",
            "block_lgd_code": geo.b2,
        },
        headers=h(api.token),
    ).json()["id"]

    def unlinked() -> set[str]:
        page = api.http.get(
            "/v1/cbos/unlinked", params={"block_lgd_code": geo.b1}, headers=h(ba)
        ).json()
        return {c["cbo_id"] for c in page["items"]}

    assert wait_for(lambda: set(shgs) <= unlinked(), timeout=15)
    assert other_block not in unlinked()  # the Block Admin's list stays in her block

    linked = api.http.post(f"/v1/users/{uid}/cbos", json={"cbo_ids": shgs[:2]}, headers=h(ba))
    assert linked.status_code == 200 and linked.json()["changed"] == 2
    assert (
        api.http.post(f"/v1/users/{uid}/cbos", json={"cbo_ids": shgs[:2]}, headers=h(ba)).json()[
            "changed"
        ]
        == 0
    )

    def known_to_identity(block: str, cbo_id: str) -> bool:  # its copy follows events
        page = api.http.get(
            "/v1/cbos/unlinked", params={"block_lgd_code": block}, headers=h(api.token)
        ).json()
        return cbo_id in {c["cbo_id"] for c in page["items"]}

    assert wait_for(lambda: known_to_identity(geo.b2, other_block), timeout=15)
    outside = api.http.post(f"/v1/users/{uid}/cbos", json={"cbo_ids": [other_block]}, headers=h(ba))
    assert outside.status_code == 403 and outside.json()["code"] == "cbo_out_of_scope"
    assert unlinked() & set(shgs) == {shgs[2]}

    tok = _mobile_login(api, uid, "phone-M-0009")
    dev = {**h(tok), "X-Device-Id": "phone-M-0009"}
    assert api.http.get(f"/v1/cbos/{shgs[0]}", headers=dev).status_code == 200
    assert api.http.get(f"/v1/cbos/{shgs[2]}", headers=dev).status_code == 404

    assert (
        api.http.post(
            f"/v1/users/{uid}/cbos/unlink", json={"cbo_ids": [shgs[0]]}, headers=h(ba)
        ).json()["changed"]
        == 1
    )
    assert wait_for(
        lambda: api.http.get(f"/v1/cbos/{shgs[0]}", headers=dev).status_code == 404, timeout=10
    )
    history = api.http.get(f"/v1/users/{uid}/roles/history", headers=h(ba)).json()["cbo_mappings"]
    assert {(m["cbo_id"], m["valid_to"] is None) for m in history} == {
        (shgs[0], False),
        (shgs[1], True),
    }


def test_bookkeeper_cannot_manage_users(api: Api, geo: Geo) -> None:
    _, ba = _block_admin(api, geo)
    uid = _uid("NOADM")
    assert (
        create_user(api.http, ba, uid, "BLOCK_THEMATIC", "block", [geo.b1], password=PW).status_code
        == 201
    )
    tok = token(api.http, uid, PW)
    r = create_user(api.http, tok, _uid("X"), "BLOCK_THEMATIC", "block", [geo.b1])
    assert r.status_code == 403 and r.json()["code"] == "role_not_allowed"


def test_national_entry_is_separate_from_state_entry(api: Api) -> None:
    assert login(api.http, "NATIONAL_ADMIN", "Demo@12345", entry="national").status_code == 200
    assert login(api.http, "NATIONAL_ADMIN", "Demo@12345", entry="state").status_code == 401
    assert login(api.http, "UP_STATEADMIN", "Demo@12345", entry="national").status_code == 401


def test_refresh_and_logout(api: Api) -> None:
    tokens = login(api.http, "UP_STATEADMIN", "Demo@12345").json()
    refreshed = api.http.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200 and refreshed.json()["access_token"]
    assert (
        api.http.post(
            "/v1/auth/logout", json={"refresh_token": refreshed.json()["refresh_token"]}
        ).status_code
        == 204
    )
    after = api.http.post(
        "/v1/auth/refresh", json={"refresh_token": refreshed.json()["refresh_token"]}
    )
    assert after.status_code == 401


def test_token_of_another_states_realm_is_refused_by_identity_too(api: Api) -> None:
    """Even with a principal lookup bypassing the gateway, a realm mismatch finds no user."""
    r = httpx.post(
        f"{api.platform.gateway_url}/v1/auth/state/login",
        json={"user_id": "BR_STATEADMIN", "password": "Bihar@12345"},
    )
    assert r.status_code == 401


def test_lokos_otp_reads_the_development_sms_outbox(api: Api, geo: Geo) -> None:
    import os
    import subprocess
    import sys

    _, ba = _block_admin(api, geo)
    uid = _uid("CLI")
    assert (
        create_user(
            api.http, ba, uid, "SHG_BOOKKEEPER", "block", [geo.b1], mobile="9876543210"
        ).status_code
        == 201
    )
    assert login(api.http, uid, PW, client="mobile", device_id="phone-Z-0010").status_code == 202
    out = subprocess.run(
        [sys.executable, "-m", "lokosctl.cli", "otp", uid],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "LOKOS_DATA_DIR": str(api.platform.data)},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == latest_otp(api.platform, uid)
    assert "9876543210" not in out.stdout  # the number stays masked


def test_the_role_catalogue_is_served_in_the_callers_language(api: Api) -> None:
    english = api.get("/v1/roles")
    assert english.status_code == 200, english.text
    roles = {r["code"]: r for r in english.json()["roles"]}
    assert roles["SHG_BOOKKEEPER"] == {
        "code": "SHG_BOOKKEEPER",
        "name": "SHG Bookkeeper",
        "category": "community",
        "level": "block",
        "scope_levels": ["block", "panchayat", "village"],
        "created_by": ["BLOCK_ADMIN"],
        "cbo_category": "SHG",
        "entry": "state",
        "channels": ["mobile"],
        "mobile_required": True,
    }
    assert roles["BLOCK_MIS"]["created_by"] == ["BLOCK_ADMIN"]
    assert roles["NATIONAL_ADMIN"]["entry"] == "national"
    assert roles["STATE_ADMIN"]["channels"] == ["mobile", "web"]
    hindi = api.http.get("/v1/roles", headers={**api.auth, "Accept-Language": "hi"})
    assert {r["code"]: r["name"] for r in hindi.json()["roles"]}["SHG_BOOKKEEPER"] == (
        "एसएचजी बुककीपर"
    )
    assert api.http.get("/v1/roles").status_code == 401
