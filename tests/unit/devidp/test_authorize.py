"""The embedded IdP's browser login: authorisation code with PKCE, introspection, revocation
(devidp.authorize), in-process against the IdP application."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from devidp.app import create_app
from devidp.config import IdpSettings

REALM = "lokos-up"
OIDC = f"/realms/{REALM}/protocol/openid-connect"
REDIRECT = "http://127.0.0.1:8080/console/"


@pytest.fixture
def idp(tmp_path: Path) -> Iterator[TestClient]:
    settings = IdpSettings(
        data_dir=tmp_path,
        idp_realms=["lokos-national", REALM],
        seed_demo=True,
        password_iterations=1000,
    )
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def auth_query(challenge: str, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "lokos-web",
        "redirect_uri": REDIRECT,
        "state": "s-123",
        "scope": "openid",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }


def log_in(idp: TestClient, challenge: str, password: str = "Demo@12345") -> str:
    page = idp.get(f"{OIDC}/auth", params=auth_query(challenge))
    assert page.status_code == 200 and 'id="kc-login"' in page.text
    r = idp.post(
        f"{OIDC}/auth",
        params=auth_query(challenge),
        data={"username": "UP_STATEADMIN", "password": password},
    )
    assert r.status_code == 302, r.text
    target = urlsplit(r.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == REDIRECT
    query = parse_qs(target.query)
    assert query["state"] == ["s-123"]
    return query["code"][0]


def exchange(idp: TestClient, code: str, verifier: str) -> dict[str, object]:
    r = idp.post(
        f"{OIDC}/token",
        data={
            "grant_type": "authorization_code",
            "client_id": "lokos-web",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_discovery_names_the_browser_flow_endpoints(idp: TestClient) -> None:
    doc = idp.get(f"/realms/{REALM}/.well-known/openid-configuration").json()
    assert doc["authorization_endpoint"].endswith(f"{OIDC}/auth")
    assert doc["introspection_endpoint"].endswith(f"{OIDC}/token/introspect")
    assert doc["revocation_endpoint"].endswith(f"{OIDC}/revoke")
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert "authorization_code" in doc["grant_types_supported"]


def test_a_login_through_the_page_gives_tokens_for_the_code_and_verifier(idp: TestClient) -> None:
    verifier, challenge = pkce()
    tokens = exchange(idp, log_in(idp, challenge), verifier)
    assert {"access_token", "refresh_token", "id_token"} <= set(tokens)
    r = idp.get(f"{OIDC}/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert r.json()["preferred_username"] == "UP_STATEADMIN"


def test_a_code_is_used_once_and_only_with_its_verifier(idp: TestClient) -> None:
    verifier, challenge = pkce()
    code = log_in(idp, challenge)
    wrong = idp.post(
        f"{OIDC}/token",
        data={
            "grant_type": "authorization_code",
            "client_id": "lokos-web",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": pkce()[0],
        },
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    # The failed attempt burnt the code: the right verifier comes too late.
    again = idp.post(
        f"{OIDC}/token",
        data={
            "grant_type": "authorization_code",
            "client_id": "lokos-web",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
    )
    assert again.status_code == 400 and again.json()["error_description"] == "Code not valid"


def test_a_wrong_password_shows_the_page_again_with_the_error(idp: TestClient) -> None:
    _, challenge = pkce()
    r = idp.post(
        f"{OIDC}/auth",
        params=auth_query(challenge),
        data={"username": "UP_STATEADMIN", "password": "wrong"},
    )
    assert r.status_code == 401
    assert "Invalid username or password." in r.text and 'value="UP_STATEADMIN"' in r.text


@pytest.mark.parametrize(
    "extra",
    [
        {"redirect_uri": "https://evil.example/console/"},
        {"client_id": "lokos-mobile"},
        {"code_challenge_method": "plain"},
        {"code_challenge": ""},
        {"response_type": "token"},
    ],
)
def test_bad_authorisation_requests_never_redirect(idp: TestClient, extra: dict[str, str]) -> None:
    _, challenge = pkce()
    r = idp.get(f"{OIDC}/auth", params=auth_query(challenge, **extra))
    assert r.status_code == 400 and "location" not in r.headers
    assert "kc-login" not in r.text


def test_introspection_and_revocation(idp: TestClient) -> None:
    verifier, challenge = pkce()
    tokens = exchange(idp, log_in(idp, challenge), verifier)
    store = idp.app.state.store  # type: ignore[attr-defined]
    gateway = store.get_client(REALM, "lokos-gateway")
    auth = ("lokos-gateway", gateway.secret)

    def active(token: object) -> bool:
        r = idp.post(f"{OIDC}/token/introspect", data={"token": token}, auth=auth)
        assert r.status_code == 200, r.text
        return bool(r.json()["active"])

    assert active(tokens["access_token"])
    body = idp.post(
        f"{OIDC}/token/introspect", data={"token": tokens["access_token"]}, auth=auth
    ).json()
    assert body["username"] == "UP_STATEADMIN" and body["client_id"] == "lokos-web"
    assert active("not-a-token") is False
    # A public client may not introspect.
    r = idp.post(
        f"{OIDC}/token/introspect",
        data={"token": tokens["access_token"], "client_id": "lokos-web"},
    )
    assert r.status_code == 401

    # Revoking the access token alone makes it inactive; revoking the refresh token ends the
    # session, so neither refresh nor the session's other tokens work any more.
    r = idp.post(f"{OIDC}/revoke", data={"token": tokens["access_token"], "client_id": "lokos-web"})
    assert r.status_code == 200
    assert active(tokens["access_token"]) is False
    r = idp.post(
        f"{OIDC}/revoke", data={"token": tokens["refresh_token"], "client_id": "lokos-web"}
    )
    assert r.status_code == 200
    r = idp.post(
        f"{OIDC}/token",
        data={
            "grant_type": "refresh_token",
            "client_id": "lokos-web",
            "refresh_token": tokens["refresh_token"],
        },
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_a_client_cannot_revoke_another_clients_token(idp: TestClient) -> None:
    verifier, challenge = pkce()
    tokens = exchange(idp, log_in(idp, challenge), verifier)
    r = idp.post(
        f"{OIDC}/revoke", data={"token": tokens["refresh_token"], "client_id": "lokos-mobile"}
    )
    assert r.status_code == 400
