"""The embedded IdP over HTTP (FastAPI TestClient), each test with its own data dir."""

from __future__ import annotations

import base64
import stat
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from devidp.app import create_app
from devidp.config import IdpSettings
from devidp.keys import KEY_FILE_NAME, jwk_thumbprint
from devidp.store import IdpStore

BASE = "http://127.0.0.1:8180"
TOKEN_PATH = "/realms/{realm}/protocol/openid-connect/token"
PASSWORD = "S3cret!pass"


def _settings(data_dir: Path, **overrides: Any) -> IdpSettings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "idp_public_url": BASE,
        "idp_realms": ["lokos-national", "lokos-up"],
        "password_iterations": 1000,
    }
    values.update(overrides)
    return IdpSettings(**values)


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return TestClient(create_app(_settings(tmp_path)))


def _store(client: TestClient) -> IdpStore:
    store = client.app.state.store  # type: ignore[attr-defined]
    assert isinstance(store, IdpStore)
    return store


def _new_user(
    client: TestClient, realm: str = "lokos-up", roles: tuple[str, ...] = ("SHG_MEMBER",)
) -> str:
    username = f"u_{uuid.uuid4().hex[:10]}"
    _store(client).create_user(realm, username, PASSWORD, realm_roles=roles)
    return username


def _password_grant(
    client: TestClient,
    username: str,
    password: str = PASSWORD,
    realm: str = "lokos-up",
    **extra: str,
) -> Any:
    form = {
        "grant_type": "password",
        "client_id": "lokos-web",
        "username": username,
        "password": password,
        **extra,
    }
    return client.post(TOKEN_PATH.format(realm=realm), data=form)


def _claims(client: TestClient, token: str, audience: str = "lokos-gateway") -> dict[str, Any]:
    jwks = client.get("/realms/lokos-up/protocol/openid-connect/certs").json()
    key = jwt.PyJWK(jwks["keys"][0])
    claims: dict[str, Any] = jwt.decode(token, key, algorithms=["RS256"], audience=audience)
    return claims


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_discovery_document(client: TestClient) -> None:
    response = client.get("/realms/lokos-up/.well-known/openid-configuration")
    assert response.status_code == 200
    doc = response.json()
    issuer = f"{BASE}/realms/lokos-up"
    assert doc["issuer"] == issuer
    assert doc["token_endpoint"] == f"{issuer}/protocol/openid-connect/token"
    assert doc["jwks_uri"] == f"{issuer}/protocol/openid-connect/certs"
    assert doc["end_session_endpoint"] == f"{issuer}/protocol/openid-connect/logout"
    assert doc["userinfo_endpoint"] == f"{issuer}/protocol/openid-connect/userinfo"
    assert set(doc["grant_types_supported"]) == {
        "password",
        "refresh_token",
        "client_credentials",
        "authorization_code",
    }
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]


def test_certs_publish_one_rs256_key_with_rfc7638_kid(client: TestClient) -> None:
    jwks = client.get("/realms/lokos-national/protocol/openid-connect/certs").json()
    assert len(jwks["keys"]) == 1
    jwk = jwks["keys"][0]
    assert jwk["kty"] == "RSA"
    assert jwk["alg"] == "RS256"
    assert jwk["use"] == "sig"
    public_key = jwt.PyJWK(jwk).key
    assert jwk["kid"] == jwk_thumbprint(public_key)
    assert "d" not in jwk  # never the private part


def test_unknown_realm_is_404_like_keycloak(client: TestClient) -> None:
    for response in (
        client.get("/realms/lokos-xx/.well-known/openid-configuration"),
        client.get("/realms/lokos-xx/protocol/openid-connect/certs"),
        client.post(TOKEN_PATH.format(realm="lokos-xx"), data={"grant_type": "password"}),
    ):
        assert response.status_code == 404
        assert response.json() == {"error": "Realm does not exist"}


def test_password_grant_issues_keycloak_shaped_tokens(client: TestClient) -> None:
    username = _new_user(client, roles=("STATE_ADMIN",))
    response = _password_grant(client, username.lower())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert body["refresh_expires_in"] == 1800
    assert body["scope"] == "profile email"
    assert body["session_state"]
    assert response.headers["cache-control"] == "no-store"

    header = jwt.get_unverified_header(body["access_token"])
    kid = client.get("/realms/lokos-up/protocol/openid-connect/certs").json()["keys"][0]["kid"]
    assert header["alg"] == "RS256"
    assert header["kid"] == kid

    claims = _claims(client, body["access_token"])
    user = _store(client).get_user("lokos-up", username)
    assert user is not None
    assert claims["iss"] == f"{BASE}/realms/lokos-up"
    assert claims["sub"] == user.id
    assert claims["aud"] == ["lokos-gateway"]
    assert claims["azp"] == "lokos-web"
    assert claims["typ"] == "Bearer"
    assert claims["sid"] == body["session_state"]
    assert claims["preferred_username"] == username.upper()
    assert "STATE_ADMIN" in claims["realm_access"]["roles"]
    assert claims["exp"] - claims["iat"] == 300
    assert claims["jti"]

    refresh = jwt.decode(
        body["refresh_token"],
        jwt.PyJWK(client.get("/realms/lokos-up/protocol/openid-connect/certs").json()["keys"][0]),
        algorithms=["RS256"],
        audience=f"{BASE}/realms/lokos-up",
    )
    assert refresh["typ"] == "Refresh"
    assert refresh["sid"] == claims["sid"]
    assert refresh["exp"] - refresh["iat"] == 1800


def test_openid_scope_adds_an_id_token(client: TestClient) -> None:
    username = _new_user(client)
    body = _password_grant(client, username, scope="openid").json()
    assert body["scope"] == "openid profile email"
    id_claims = _claims(client, body["id_token"], audience="lokos-web")
    assert id_claims["typ"] == "ID"
    assert id_claims["preferred_username"] == username.upper()


def test_wrong_password_is_invalid_grant(client: TestClient) -> None:
    username = _new_user(client)
    response = _password_grant(client, username, password="wrong")
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid user credentials",
    }


def test_unknown_user_is_invalid_grant(client: TestClient) -> None:
    response = _password_grant(client, "NOBODY_HERE")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_grant"


def test_disabled_user_is_refused(client: TestClient) -> None:
    username = _new_user(client)
    _store(client).set_enabled("lokos-up", username, False)
    response = _password_grant(client, username)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "Account disabled"}


def test_user_of_another_realm_cannot_log_in(client: TestClient) -> None:
    username = _new_user(client, realm="lokos-national")
    assert _password_grant(client, username, realm="lokos-up").status_code == 401
    assert _password_grant(client, username, realm="lokos-national").status_code == 200


def test_unknown_client_and_unsupported_grant(client: TestClient) -> None:
    path = TOKEN_PATH.format(realm="lokos-up")
    unknown = client.post(
        path, data={"grant_type": "password", "client_id": "nope", "username": "a", "password": "b"}
    )
    assert unknown.status_code == 401
    assert unknown.json()["error"] == "invalid_client"
    unsupported = client.post(
        path,
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "client_id": "lokos-web",
        },
    )
    assert unsupported.status_code == 400
    assert unsupported.json()["error"] == "unsupported_grant_type"


def test_confidential_client_needs_its_secret_for_password_grant(client: TestClient) -> None:
    username = _new_user(client)
    secret = _store(client).client_secret("lokos-up", "lokos-gateway")
    assert secret
    path = TOKEN_PATH.format(realm="lokos-up")
    form = {
        "grant_type": "password",
        "client_id": "lokos-gateway",
        "username": username,
        "password": PASSWORD,
    }
    missing = client.post(path, data=form)
    assert missing.status_code == 401
    assert missing.json()["error"] == "unauthorized_client"
    ok = client.post(path, data={**form, "client_secret": secret})
    assert ok.status_code == 200
    basic = base64.b64encode(f"lokos-gateway:{secret}".encode()).decode()
    ok_basic = client.post(
        path,
        data={k: v for k, v in form.items() if k != "client_id"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert ok_basic.status_code == 200


def test_refresh_grant_issues_new_tokens_in_the_same_session(client: TestClient) -> None:
    username = _new_user(client)
    first = _password_grant(client, username).json()
    response = client.post(
        TOKEN_PATH.format(realm="lokos-up"),
        data={
            "grant_type": "refresh_token",
            "client_id": "lokos-web",
            "refresh_token": first["refresh_token"],
        },
    )
    assert response.status_code == 200, response.text
    second = response.json()
    assert second["session_state"] == first["session_state"]
    assert second["access_token"] != first["access_token"]
    assert _claims(client, second["access_token"])["preferred_username"] == username.upper()


def test_refresh_with_another_client_or_garbage_is_refused(client: TestClient) -> None:
    username = _new_user(client)
    tokens = _password_grant(client, username).json()
    path = TOKEN_PATH.format(realm="lokos-up")
    other = client.post(
        path,
        data={
            "grant_type": "refresh_token",
            "client_id": "lokos-mobile",
            "refresh_token": tokens["refresh_token"],
        },
    )
    assert other.status_code == 400
    assert other.json()["error"] == "invalid_grant"
    garbage = client.post(
        path,
        data={"grant_type": "refresh_token", "client_id": "lokos-web", "refresh_token": "x.y.z"},
    )
    assert garbage.status_code == 400
    assert garbage.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid refresh token",
    }
    # An access token is not a refresh token.
    access = client.post(
        path,
        data={
            "grant_type": "refresh_token",
            "client_id": "lokos-web",
            "refresh_token": tokens["access_token"],
        },
    )
    assert access.status_code == 400


def test_logout_ends_the_session_so_refresh_is_refused(client: TestClient) -> None:
    username = _new_user(client)
    tokens = _password_grant(client, username).json()
    logout = client.post(
        "/realms/lokos-up/protocol/openid-connect/logout",
        data={"client_id": "lokos-web", "refresh_token": tokens["refresh_token"]},
    )
    assert logout.status_code == 204
    refresh = client.post(
        TOKEN_PATH.format(realm="lokos-up"),
        data={
            "grant_type": "refresh_token",
            "client_id": "lokos-web",
            "refresh_token": tokens["refresh_token"],
        },
    )
    assert refresh.status_code == 400
    assert refresh.json() == {"error": "invalid_grant", "error_description": "Session not active"}


def test_logout_survives_a_restart(tmp_path: Path) -> None:
    first = TestClient(create_app(_settings(tmp_path)))
    username = _new_user(first)
    tokens = _password_grant(first, username).json()
    first.post(
        "/realms/lokos-up/protocol/openid-connect/logout",
        data={"client_id": "lokos-web", "refresh_token": tokens["refresh_token"]},
    )
    second = TestClient(create_app(_settings(tmp_path)))
    refresh = second.post(
        TOKEN_PATH.format(realm="lokos-up"),
        data={
            "grant_type": "refresh_token",
            "client_id": "lokos-web",
            "refresh_token": tokens["refresh_token"],
        },
    )
    assert refresh.status_code == 400


def test_session_survives_a_restart(tmp_path: Path) -> None:
    first = TestClient(create_app(_settings(tmp_path)))
    username = _new_user(first)
    tokens = _password_grant(first, username).json()
    second = TestClient(create_app(_settings(tmp_path)))
    refresh = second.post(
        TOKEN_PATH.format(realm="lokos-up"),
        data={
            "grant_type": "refresh_token",
            "client_id": "lokos-web",
            "refresh_token": tokens["refresh_token"],
        },
    )
    assert refresh.status_code == 200


def test_client_credentials_for_the_external_client(client: TestClient) -> None:
    secret = _store(client).client_secret("lokos-up", "lokos-external")
    assert secret
    response = client.post(
        TOKEN_PATH.format(realm="lokos-up"),
        data={
            "grant_type": "client_credentials",
            "client_id": "lokos-external",
            "client_secret": secret,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "refresh_token" not in body
    claims = _claims(client, body["access_token"])
    assert claims["preferred_username"] == "service-account-lokos-external"
    assert claims["azp"] == "lokos-external"
    assert claims["typ"] == "Bearer"


def test_client_credentials_with_a_wrong_secret_is_refused(client: TestClient) -> None:
    response = client.post(
        TOKEN_PATH.format(realm="lokos-up"),
        data={
            "grant_type": "client_credentials",
            "client_id": "lokos-external",
            "client_secret": "wrong",
        },
    )
    assert response.status_code == 401
    assert response.json() == {
        "error": "unauthorized_client",
        "error_description": "Invalid client or Invalid client credentials",
    }


def test_client_credentials_refused_for_public_clients(client: TestClient) -> None:
    response = client.post(
        TOKEN_PATH.format(realm="lokos-up"),
        data={"grant_type": "client_credentials", "client_id": "lokos-web"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_userinfo(client: TestClient) -> None:
    username = _new_user(client)
    tokens = _password_grant(client, username).json()
    path = "/realms/lokos-up/protocol/openid-connect/userinfo"
    info = client.get(path, headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 200
    assert info.json()["preferred_username"] == username.upper()
    bad = client.get(path, headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401
    assert bad.json()["error"] == "invalid_token"
    assert bad.headers["www-authenticate"].startswith("Bearer")


def test_key_is_persisted_across_app_instances(tmp_path: Path) -> None:
    first = TestClient(create_app(_settings(tmp_path)))
    kid1 = first.get("/realms/lokos-up/protocol/openid-connect/certs").json()["keys"][0]["kid"]
    secret1 = _store(first).client_secret("lokos-up", "lokos-external")
    second = TestClient(create_app(_settings(tmp_path)))
    kid2 = second.get("/realms/lokos-up/protocol/openid-connect/certs").json()["keys"][0]["kid"]
    assert kid1 == kid2
    assert _store(second).client_secret("lokos-up", "lokos-external") == secret1


def test_key_file_is_private(tmp_path: Path) -> None:
    create_app(_settings(tmp_path))
    key_file = tmp_path / "idp" / KEY_FILE_NAME
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    for realm_file in (tmp_path / "idp").glob("realm-*.json"):
        assert stat.S_IMODE(realm_file.stat().st_mode) == 0o600


def test_seed_demo_creates_the_demo_administrators(tmp_path: Path) -> None:
    client = TestClient(create_app(_settings(tmp_path, seed_demo=True, demo_password="Demo@12345")))
    up = _password_grant(client, "UP_STATEADMIN", password="Demo@12345")
    assert up.status_code == 200
    assert "STATE_ADMIN" in _claims(client, up.json()["access_token"])["realm_access"]["roles"]
    national = _password_grant(
        client, "national_admin", password="Demo@12345", realm="lokos-national"
    )
    assert national.status_code == 200
    claims = _claims(client, national.json()["access_token"])
    assert claims["preferred_username"] == "NATIONAL_ADMIN"
    assert "NATIONAL_ADMIN" in claims["realm_access"]["roles"]
    # Seeding again (restart) is harmless.
    TestClient(create_app(_settings(tmp_path, seed_demo=True)))
    assert len(_store(client).list_users("lokos-up")) == 1


def test_store_user_management(tmp_path: Path) -> None:
    from lokos.errors import Conflict, NotFound

    store = IdpStore(tmp_path / "idp", ["lokos-up"], password_iterations=1000)
    user = store.create_user("lokos-up", "Shg_Clerk_1", "pw-1", realm_roles=["CLERK"])
    assert user.preferred_username == "SHG_CLERK_1"
    with pytest.raises(Conflict):
        store.create_user("lokos-up", "SHG_CLERK_1", "pw-2")
    assert store.authenticate("lokos-up", "shg_clerk_1", "pw-1") == user
    store.set_password("lokos-up", "SHG_CLERK_1", "pw-3")
    assert store.authenticate("lokos-up", "SHG_CLERK_1", "pw-1") is None
    assert store.authenticate("lokos-up", "SHG_CLERK_1", "pw-3") is not None
    assert store.set_enabled("lokos-up", "shg_clerk_1", False).enabled is False
    with pytest.raises(NotFound):
        store.set_password("lokos-up", "NOBODY", "x")
    # A second store over the same folder (another process) sees the changes.
    other = IdpStore(tmp_path / "idp", ["lokos-up"], password_iterations=1000)
    seen = other.get_user("lokos-up", "shg_clerk_1")
    assert seen is not None and seen.enabled is False
    other.set_enabled("lokos-up", "SHG_CLERK_1", True)
    reloaded = store.get_user("lokos-up", "SHG_CLERK_1")
    assert reloaded is not None and reloaded.enabled is True


def test_realms_from_env_comma_separated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOKOS_IDP_REALMS", "lokos-up, lokos-br")
    assert IdpSettings(data_dir=tmp_path).idp_realms == ["lokos-up", "lokos-br"]
    monkeypatch.setenv("LOKOS_IDP_REALMS", '["lokos-national"]')
    assert IdpSettings(data_dir=tmp_path).idp_realms == ["lokos-national"]


def test_public_url_defaults_to_host_and_port(tmp_path: Path) -> None:
    settings = IdpSettings(
        data_dir=tmp_path, idp_host="127.0.0.1", idp_port=9999, idp_public_url=""
    )
    assert settings.issuer("lokos-up") == "http://127.0.0.1:9999/realms/lokos-up"
    assert settings.idp_dir == tmp_path / "idp"
