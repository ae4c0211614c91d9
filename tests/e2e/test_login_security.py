"""Locked means locked, whatever issued the token; one answer for refused logins; login rate
limits; channels per role; logout ends the session's access tokens; national admins reach the
State Admins they create. Through the gateway and the IdP of the running platform."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from launcher.platform import Platform
from tests.conftest import LOGIN_FAILURES_PER_ADDRESS, Api
from tests.e2e.helpers import h, wait_for
from tests.e2e.identity_helpers import Geo, create_user, login, make_geo, new_code, token
from tests.e2e.test_identity import _block_admin

PW = "Lokos@2024"
WRONG = "Wrong@2024"


def _uid(tag: str) -> str:
    return f"UP_{tag}{new_code(6)}"


def _staff(api: Api) -> str:
    uid = _uid("SEC")
    r = create_user(api.http, api.token, uid, "STATE_THEMATIC", "state", [], password=PW)
    assert r.status_code == 201, r.text
    return uid


def _idp_grant(
    platform: Platform, user_id: str, password: str, client: str = "lokos-web"
) -> httpx.Response:
    """A password grant straight at the IdP's token endpoint, past the gateway."""
    return httpx.post(
        f"{platform.idp_url}/realms/lokos-up/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": client,
            "username": user_id,
            "password": password,
        },
        timeout=10,
    )


@pytest.fixture
def geo(api: Api) -> Geo:
    return make_geo(api.http, api.token)


# --- locked is locked -----------------------------------------------------------------------


def test_a_locked_users_direct_idp_token_is_refused_at_the_gateway_and_the_idp(api: Api) -> None:
    uid = _staff(api)
    direct = _idp_grant(api.platform, uid, PW)
    assert direct.status_code == 200, direct.text
    tok = direct.json()["access_token"]
    assert api.http.get("/v1/me", headers=h(tok)).status_code == 200  # now cached

    for _ in range(5):
        assert login(api.http, uid, WRONG).status_code == 401
    me = api.http.get("/v1/me", headers=h(tok))
    assert me.status_code == 423, me.text
    assert me.json()["code"] == "account_locked"
    again = _idp_grant(api.platform, uid, PW)  # the right password, at the IdP itself
    assert again.status_code == 401 and again.json()["error"] == "invalid_grant", again.text

    assert api.http.post(f"/v1/users/{uid}/unlock", headers=h(api.token)).status_code == 200
    fresh = _idp_grant(api.platform, uid, PW)
    assert fresh.status_code == 200, fresh.text
    assert api.http.get("/v1/me", headers=h(fresh.json()["access_token"])).status_code == 200


def test_thirty_wrong_passwords_at_the_idp_then_the_right_one_give_no_token(api: Api) -> None:
    uid = _staff(api)
    for _ in range(30):
        assert _idp_grant(api.platform, uid, WRONG).status_code == 401
    refused = _idp_grant(api.platform, uid, PW)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_grant"
    # The gateway's login goes through the same provider: no token there either.
    assert login(api.http, uid, PW).status_code == 401
    assert api.http.post(f"/v1/users/{uid}/unlock", headers=h(api.token)).status_code == 200
    assert login(api.http, uid, PW).status_code == 200


def test_an_inactive_users_token_is_refused(api: Api) -> None:
    uid = _staff(api)
    tok = token(api.http, uid, PW)
    assert api.http.get("/v1/me", headers=h(tok)).status_code == 200
    r = api.http.post(f"/v1/users/{uid}/inactivate", json={"reason": "left"}, headers=h(api.token))
    assert r.status_code == 200, r.text
    # identity announces the change (outbox → NATS); every gateway drops its cached principal.
    assert wait_for(lambda: api.http.get("/v1/me", headers=h(tok)).status_code == 403, 15)
    assert api.http.get("/v1/me", headers=h(tok)).json()["code"] == "user_inactive"


# --- one answer for refused logins ----------------------------------------------------------


def test_unknown_user_and_wrong_password_get_the_same_answer(api: Api) -> None:
    uid = _staff(api)
    inactive = _staff(api)
    api.http.post(f"/v1/users/{inactive}/inactivate", json={"reason": "left"}, headers=h(api.token))
    answers = [
        login(api.http, _uid("NOBODY"), WRONG),
        login(api.http, uid, WRONG),
        login(api.http, inactive, PW),  # the right password of an inactive user
        login(api.http, "NATIONAL_ADMIN", "Demo@12345"),  # a user of the other entry
    ]
    seen = {(r.status_code, r.json()["code"], r.json()["detail"]) for r in answers}
    assert seen == {(401, "invalid_credentials", "Wrong user ID or password")}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"user_id": "A\u0000B", "password": "x"}, "user_id"),
        ({"user_id": "UP_STATEADMIN", "password": "Demo\u0000@12345"}, "password"),
        ({"user_id": "UP STATEADMIN", "password": "x"}, "user_id"),
        ({"user_id": "UP_X", "password": "x", "otp": "12\u00003"}, "otp"),
    ],
)
def test_nul_and_odd_characters_in_a_login_are_422(
    api: Api, body: dict[str, str], field: str
) -> None:
    r = api.http.post("/v1/auth/state/login", json=body)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]


def test_nul_in_a_refresh_token_is_422(api: Api) -> None:
    r = api.http.post("/v1/auth/logout", json={"refresh_token": "a\u0000b"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "refresh_token"


# --- rate limits ----------------------------------------------------------------------------


@pytest.fixture
def from_address(api: Api) -> Iterator[httpx.Client]:
    """A client of the gateway from another loopback address (its own rate-limit counters)."""
    address = f"127.0.{uuid.uuid4().int % 250 + 2}.{uuid.uuid4().int % 250 + 2}"
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(base_url=api.platform.gateway_url, transport=transport, timeout=15) as c:
        yield c


def test_one_address_failing_on_many_users_gets_429_with_retry_after(
    api: Api, from_address: httpx.Client
) -> None:
    for _ in range(LOGIN_FAILURES_PER_ADDRESS):
        assert login(from_address, _uid("SPRAY"), WRONG).status_code == 401
    limited = login(from_address, _uid("SPRAY"), WRONG)
    assert limited.status_code == 429, limited.text
    assert limited.json()["code"] == "login_rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    uid = _staff(api)
    assert login(from_address, uid, PW).status_code == 429  # even the right password, here
    assert login(api.http, uid, PW).status_code == 200  # other addresses are not affected


def test_one_user_id_failing_from_anywhere_gets_429(api: Api, from_address: httpx.Client) -> None:
    target = _uid("GHOST")  # no such user: the limit does not depend on existence
    for _ in range(10):  # LOKOS_LOGIN_FAILURES_PER_USER
        assert login(from_address, target, WRONG).status_code == 401
    limited = login(api.http, target, WRONG)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert login(from_address, _uid("OTHER"), WRONG).status_code == 401


# --- channels per role ----------------------------------------------------------------------


def test_a_bookkeeper_may_not_log_in_on_the_web_nor_use_a_web_token(api: Api, geo: Geo) -> None:
    _, ba = _block_admin(api, geo)
    uid = _uid("BKWEB")
    r = create_user(
        api.http, ba, uid, "SHG_BOOKKEEPER", "block", [geo.b1], mobile="9876543210", password=PW
    )
    assert r.status_code == 201, r.text
    web = login(api.http, uid, PW)
    assert web.status_code == 403 and web.json()["code"] == "channel_not_allowed", web.text
    direct = _idp_grant(api.platform, uid, PW, client="lokos-web")
    assert direct.status_code == 200  # the provider itself knows no roles' channels
    me = api.http.get("/v1/me", headers=h(direct.json()["access_token"]))
    assert me.status_code == 403 and me.json()["code"] == "channel_not_allowed"
    mobile = login(api.http, uid, PW, client="mobile", device_id="bk-web-phone-01")
    assert mobile.status_code == 202  # the mobile channel: an OTP binds the device


# --- logout ends the session ------------------------------------------------------------------


def test_logout_refuses_the_sessions_access_tokens(api: Api) -> None:
    uid = _staff(api)
    first = login(api.http, uid, PW).json()
    second = login(api.http, uid, PW).json()
    assert api.http.get("/v1/me", headers=h(first["access_token"])).status_code == 200
    out = api.http.post("/v1/auth/logout", json={"refresh_token": first["refresh_token"]})
    assert out.status_code == 204
    ended = api.http.get("/v1/me", headers=h(first["access_token"]))
    assert ended.status_code == 401 and ended.json()["code"] == "session_ended", ended.text
    assert api.http.get("/v1/me", headers=h(second["access_token"])).status_code == 200


def test_logout_of_a_direct_idp_session_refuses_its_access_tokens(api: Api) -> None:
    uid = _staff(api)
    direct = _idp_grant(api.platform, uid, PW).json()
    assert api.http.get("/v1/me", headers=h(direct["access_token"])).status_code == 200
    out = api.http.post("/v1/auth/logout", json={"refresh_token": direct["refresh_token"]})
    assert out.status_code == 204
    ended = api.http.get("/v1/me", headers=h(direct["access_token"]))
    assert ended.status_code == 401 and ended.json()["code"] == "session_ended"


def test_a_forged_refresh_token_ends_no_session(api: Api) -> None:
    uid = _staff(api)
    tokens = login(api.http, uid, PW).json()
    # The real token's claims under a made-up signature: the provider refuses it.
    head, payload, _ = tokens["refresh_token"].split(".")
    forged = f"{head}.{payload}.{'A' * 43}"
    assert api.http.post("/v1/auth/logout", json={"refresh_token": forged}).status_code == 204
    assert api.http.get("/v1/me", headers=h(tokens["access_token"])).status_code == 200


# --- national admins and the State Admins they create ----------------------------------------


def test_a_national_admin_sees_unlocks_resets_and_inactivates_a_state_admin(api: Api) -> None:
    national = token(api.http, "NATIONAL_ADMIN", "Demo@12345", entry="national")
    sa = _uid("SA")
    r = create_user(api.http, national, sa, "STATE_ADMIN", "state", [], password=PW)
    assert r.status_code == 201, r.text
    for _ in range(5):
        login(api.http, sa, WRONG)
    assert login(api.http, sa, PW).status_code == 423

    seen = api.http.get(f"/v1/users/{sa}", headers=h(national))
    assert seen.status_code == 200, seen.text
    assert seen.json()["locked"] is True
    # (the search text drops "_": search by the part after the state prefix)
    listed = api.http.get("/v1/users", params={"q": sa[3:]}, headers=h(national)).json()
    assert [u["user_id"] for u in listed["items"]] == [sa]
    assert api.http.post(f"/v1/users/{sa}/unlock", headers=h(national)).status_code == 200
    reset = api.http.post(
        f"/v1/users/{sa}/password",
        json={"new_password": "Reset@2024", "temporary": False},
        headers=h(national),
    )
    assert reset.status_code == 200, reset.text
    assert login(api.http, sa, "Reset@2024").status_code == 200
    off = api.http.post(f"/v1/users/{sa}/inactivate", json={"reason": "moved"}, headers=h(national))
    assert off.status_code == 200 and off.json()["status"] == "inactive"
    assert api.http.get("/v1/users/UP_STATEADMIN", headers=h(national)).status_code == 200
    # Below the State Admin is the state's business: the national admin does not reach it.
    thematic = _staff(api)
    assert api.http.get(f"/v1/users/{thematic}", headers=h(national)).status_code == 404
    found = api.http.get("/v1/users", params={"q": thematic[3:]}, headers=h(api.token)).json()
    assert [u["user_id"] for u in found["items"]] == [thematic]  # the State Admin finds it
    hidden = api.http.get("/v1/users", params={"q": thematic[3:]}, headers=h(national)).json()
    assert hidden["items"] == []
    assert api.http.post(f"/v1/users/{thematic}/unlock", headers=h(national)).status_code == 404
