"""KeycloakAdapter (python-keycloak) against the live dev IdP's Keycloak admin REST API.

The identity-provider contract of idp_contract.py, then the admin API's own answers (status
codes, Location, authorisation) and ``lokos realm create`` end to end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from lokosctl.cli import app as cli
from services.identity.idp.keycloak import KeycloakAdapter
from services.identity.idp.port import IdpUnavailable
from tests.integration.idp_contract import (
    ADMIN_PASSWORD,
    CONTRACT,
    PASSWORD,
    Harness,
    RunningIdp,
    claims,
    running_idp,
)


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningIdp]:
    with running_idp(tmp_path_factory.mktemp("keycloak-idp")) as running:
        yield running


class AdminApi:
    """Plain HTTP calls to the admin API, as Keycloak's documentation shows them."""

    def __init__(self, base: str) -> None:
        self.base = base

    async def token(self, username: str = "admin", password: str = ADMIN_PASSWORD) -> str:
        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"{self.base}/realms/master/protocol/openid-connect/token",
                data={
                    "grant_type": "password",
                    "client_id": "admin-cli",
                    "username": username,
                    "password": password,
                },
            )
        response.raise_for_status()
        return str(response.json()["access_token"])

    async def request(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx.AsyncClient() as http:
            return await http.request(method, f"{self.base}{path}", headers=headers, **kwargs)


@pytest.fixture(scope="module")
async def harness(idp: RunningIdp) -> AsyncIterator[Harness]:
    adapter = KeycloakAdapter(idp.base, "admin", ADMIN_PASSWORD)
    api = AdminApi(idp.base)

    async def inspect(realm: str, user_id: str) -> dict[str, Any]:
        token = await api.token()
        found = await api.request(
            "GET",
            f"/admin/realms/{realm}/users",
            token,
            params={"username": user_id, "exact": "true"},
        )
        assert found.status_code == 200, found.text
        [user] = found.json()
        return {
            "email": user.get("email", ""),
            "firstName": user.get("firstName", ""),
            "lastName": user.get("lastName", ""),
            "enabled": user["enabled"],
        }

    yield Harness(adapter, "lokos-up", inspect, idp.base)
    await adapter.close()


@pytest.mark.parametrize("check", CONTRACT, ids=lambda check: check.__name__.removeprefix("check_"))
async def test_contract(harness: Harness, check: Callable[[Harness], Awaitable[None]]) -> None:
    await check(harness)


async def test_wrong_admin_password_is_idp_unavailable(idp: RunningIdp) -> None:
    adapter = KeycloakAdapter(idp.base, "admin", "wrong-password")
    try:
        with pytest.raises(IdpUnavailable):
            await adapter.ensure_user("lokos-up", "UP_SOMEONE")
    finally:
        await adapter.close()


async def test_unreachable_keycloak_is_idp_unavailable() -> None:
    adapter = KeycloakAdapter("http://127.0.0.1:9", "admin", "x", timeout=2)
    try:
        with pytest.raises(IdpUnavailable):
            await adapter.ensure_user("lokos-up", "UP_SOMEONE")
        with pytest.raises(IdpUnavailable):
            await adapter.password_login("lokos-up", "lokos-web", "UP_SOMEONE", "x")
    finally:
        await adapter.close()


# ---------------------------------------------------------------- the admin API itself


async def test_admin_api_needs_an_admin_token_of_the_master_realm(
    idp: RunningIdp, harness: Harness
) -> None:
    api = AdminApi(idp.base)
    path = "/admin/realms/lokos-up/users"
    assert (await api.request("GET", path)).status_code == 401
    assert (await api.request("GET", path, "not-a-token")).status_code == 401
    # A token of a LokOS realm, even of its state admin, is not an admin token.
    user_id = await harness.user(["STATE_ADMIN"])
    state_admin = (await harness.login(user_id)).access_token
    assert (await api.request("GET", path, state_admin)).status_code == 401
    # A master-realm user without the admin role is forbidden.
    idp.store.create_user("master", "viewer", PASSWORD)
    viewer = await api.token("viewer", PASSWORD)
    assert (await api.request("GET", path, viewer)).status_code == 403
    admin = await api.token()
    assert claims(admin)["iss"] == f"{idp.base}/realms/master"
    assert "lokos-gateway" not in claims(admin)["aud"], "admin tokens are not for the gateway"
    assert (await api.request("GET", path, admin)).status_code == 200


async def test_admin_api_status_codes_follow_keycloak(idp: RunningIdp) -> None:
    api = AdminApi(idp.base)
    token = await api.token()
    users = "/admin/realms/lokos-up/users"
    body = {
        "username": "UP_STATUS_1",
        "enabled": True,
        "firstName": "Asha",
        "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}],
    }
    created = await api.request("POST", users, token, json=body)
    assert created.status_code == 201
    location = created.headers["location"]
    assert location.startswith(f"{idp.base}{users}/")
    user_id = location.rsplit("/", 1)[1]
    duplicate = await api.request("POST", users, token, json={**body, "username": "up_status_1"})
    assert duplicate.status_code == 409
    assert duplicate.json() == {"errorMessage": "User exists with same username"}

    user = (await api.request("GET", f"{users}/{user_id}", token)).json()
    assert user["username"] == "up_status_1"  # Keycloak stores user names in lower case
    assert user["firstName"] == "Asha" and user["enabled"] is True
    assert "credentials" not in user

    update = await api.request("PUT", f"{users}/{user_id}", token, json={"lastName": "Kumari"})
    assert update.status_code == 204
    assert (await api.request("GET", f"{users}/{user_id}", token)).json()["lastName"] == "Kumari"
    rename = await api.request("PUT", f"{users}/{user_id}", token, json={"username": "OTHER"})
    assert rename.status_code == 400

    assert (await api.request("GET", f"{users}/no-such-id", token)).status_code == 404
    assert (await api.request("GET", "/admin/realms/lokos-xx/users", token)).status_code == 404
    assert (await api.request("GET", "/admin/realms/lokos-xx", token)).status_code == 404
    realm = (await api.request("GET", "/admin/realms/lokos-up", token)).json()
    assert realm["realm"] == "lokos-up" and realm["enabled"] is True

    roles = (await api.request("GET", "/admin/realms/lokos-up/roles", token)).json()
    by_name = {role["name"]: role for role in roles}
    assert {"STATE_ADMIN", "SHG_BOOKKEEPER", "default-roles-lokos-up"} <= set(by_name)
    assert "NATIONAL_ADMIN" not in by_name
    role = (await api.request("GET", "/admin/realms/lokos-up/roles/SHG_BOOKKEEPER", token)).json()
    assert role["attributes"]["name_hi"] == ["एसएचजी बुककीपर"]
    assert (await api.request("GET", "/admin/realms/lokos-up/roles/NOPE", token)).status_code == 404

    mappings = f"{users}/{user_id}/role-mappings/realm"
    wrong_id = [{"id": "not-the-id", "name": "STATE_ADMIN"}]
    assert (await api.request("POST", mappings, token, json=wrong_id)).status_code == 404
    add = await api.request("POST", mappings, token, json=[by_name["STATE_ADMIN"]])
    assert add.status_code == 204
    mapped = {r["name"] for r in (await api.request("GET", mappings, token)).json()}
    assert mapped == {"STATE_ADMIN", "default-roles-lokos-up"}
    remove = await api.request("DELETE", mappings, token, json=[by_name["STATE_ADMIN"]])
    assert remove.status_code == 204
    mapped = {r["name"] for r in (await api.request("GET", mappings, token)).json()}
    assert mapped == {"default-roles-lokos-up"}

    reset = await api.request(
        "PUT",
        f"{users}/{user_id}/reset-password",
        token,
        json={"type": "password", "value": "Other#Pass9", "temporary": False},
    )
    assert reset.status_code == 204
    logout = await api.request("POST", f"{users}/{user_id}/logout", token)
    assert logout.status_code == 204
    deleted = await api.request("DELETE", f"{users}/{user_id}", token)
    assert deleted.status_code == 204
    assert (await api.request("GET", f"{users}/{user_id}", token)).status_code == 404

    realm_body = {"realm": "lokos-zz", "enabled": True}
    first = await api.request("POST", "/admin/realms", token, json=realm_body)
    assert first.status_code == 201
    assert first.headers["location"] == f"{idp.base}/admin/realms/lokos-zz"
    again = await api.request("POST", "/admin/realms", token, json=realm_body)
    assert again.status_code == 409


def test_lokos_realm_create_provisions_a_state_realm(idp: RunningIdp) -> None:
    env = {
        "LOKOS_KEYCLOAK_URL": idp.base,
        "LOKOS_KEYCLOAK_ADMIN_USER": "admin",
        "LOKOS_KEYCLOAK_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    runner = CliRunner()
    first = runner.invoke(cli, ["realm", "create", "br"], env=env)
    assert first.exit_code == 0, first.output
    assert "created realm lokos-br" in first.output
    assert idp.store.has_realm("lokos-br")
    assert "BLOCK_ADMIN" in {role.name for role in idp.store.realm_roles("lokos-br")}
    secret = idp.store.client_secret("lokos-br", "lokos-gateway")
    assert secret and secret != "**********"
    again = runner.invoke(cli, ["realm", "create", "br"], env=env)
    assert again.exit_code == 0, again.output
    assert "already exists" in again.output
    missing = runner.invoke(cli, ["realm", "create", "br"], env={**env, "LOKOS_KEYCLOAK_URL": ""})
    assert missing.exit_code == 2
