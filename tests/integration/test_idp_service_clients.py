"""Registered API clients through the identity-provider port.

``KeycloakAdapter`` (python-keycloak's admin API; identity's one adapter, for Keycloak and the
dev IdP alike) against the dev IdP's Keycloak-compatible admin REST API: create a service client,
get a token with the client-credentials grant through python-keycloak's ``KeycloakOpenID`` (a
real OAuth client library), rotate the secret (the old one stops working), disable (no more
tokens), delete.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import jwt
import pytest
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakPostError

from lokos.errors import Conflict, NotFound
from services.identity.idp.keycloak import KeycloakAdapter
from services.identity.idp.port import IdentityProvider
from tests.integration.idp_contract import ADMIN_PASSWORD, RunningIdp, running_idp

REALM = "lokos-up"


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningIdp]:
    with running_idp(tmp_path_factory.mktemp("service-clients-idp")) as running:
        yield running


@pytest.fixture
async def provider(idp: RunningIdp) -> AsyncIterator[IdentityProvider]:
    adapter: IdentityProvider = KeycloakAdapter(idp.base, "admin", ADMIN_PASSWORD, timeout=10)
    yield adapter
    await adapter.close()


def _token(idp: RunningIdp, client_id: str, secret: str) -> str:
    oauth = KeycloakOpenID(
        server_url=idp.base + "/", realm_name=REALM, client_id=client_id, client_secret_key=secret
    )
    return str(oauth.token(grant_type="client_credentials")["access_token"])


async def test_a_service_client_gets_tokens_until_rotated_disabled_or_deleted(
    idp: RunningIdp, provider: IdentityProvider
) -> None:
    client_id = f"ext-up-bank-{uuid.uuid4().hex[:6]}"
    secret = await provider.create_service_client(
        REALM, client_id, name="Lucknow DCCB", attributes={"lokos.scopes": "aggregates"}
    )
    claims = jwt.decode(_token(idp, client_id, secret), options={"verify_signature": False})
    assert claims["azp"] == client_id
    assert "lokos-gateway" in claims["aud"]
    assert claims["preferred_username"] == f"service-account-{client_id}"

    with pytest.raises(Conflict):
        await provider.create_service_client(REALM, client_id, name="again", attributes={})

    rotated = await provider.rotate_client_secret(REALM, client_id)
    assert rotated != secret
    with pytest.raises((KeycloakAuthenticationError, KeycloakPostError)):
        _token(idp, client_id, secret)
    assert _token(idp, client_id, rotated)

    await provider.set_client_enabled(REALM, client_id, False)
    with pytest.raises((KeycloakAuthenticationError, KeycloakPostError)):
        _token(idp, client_id, rotated)
    await provider.set_client_enabled(REALM, client_id, True)
    assert _token(idp, client_id, rotated)

    await provider.delete_client(REALM, client_id)
    with pytest.raises((KeycloakAuthenticationError, KeycloakPostError)):
        _token(idp, client_id, rotated)
    with pytest.raises(NotFound):
        await provider.rotate_client_secret(REALM, client_id)


async def test_the_client_admin_api_answers_as_keycloak_does(idp: RunningIdp) -> None:
    base = f"{idp.base}/admin/realms/{REALM}/clients"
    async with httpx.AsyncClient() as http:
        assert (await http.get(base)).status_code == 401  # no admin token
        login = await http.post(
            f"{idp.base}/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": "admin",
                "password": ADMIN_PASSWORD,
            },
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        listed = await http.get(base, params={"clientId": "lokos-web"}, headers=headers)
        assert listed.status_code == 200
        [web] = listed.json()
        assert web["clientId"] == "lokos-web" and web["publicClient"] is True
        public_secret = await http.get(f"{base}/{web['id']}/client-secret", headers=headers)
        assert public_secret.status_code == 400
        missing = await http.get(f"{base}/{uuid.uuid4()}", headers=headers)
        assert missing.status_code == 404
        created = await http.post(
            base,
            json={"clientId": f"ext-{uuid.uuid4().hex[:6]}", "serviceAccountsEnabled": True},
            headers=headers,
        )
        assert created.status_code == 201
        assert created.headers["location"].startswith(f"{base}/")
        again = await http.post(base, json={"clientId": web["clientId"]}, headers=headers)
        assert again.status_code == 409
