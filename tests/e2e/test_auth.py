"""The gateway refuses every token it cannot trust with 401 problem+json, and nothing changes."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from devidp.keys import load_or_create_signing_key
from devidp.store import IdpStore
from lokos.db import asyncpg_dsn
from tests.conftest import Api, login


def _claims(api: Api, realm: str = "lokos-up", **over: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": f"{api.platform.idp_url}/realms/{realm}",
        "sub": str(uuid.uuid4()),
        "aud": ["lokos-gateway"],
        "azp": "lokos-web",
        "typ": "Bearer",
        "iat": now,
        "exp": now + 300,
        "preferred_username": "UP_STATEADMIN",
        "realm_access": {"roles": ["STATE_ADMIN"]},
    }
    claims.update(over)
    return claims


def _sign_with_idp_key(api: Api, claims: dict[str, Any]) -> str:
    key = load_or_create_signing_key(api.platform.data / "idp")
    return jwt.encode(claims, key.private_pem(), algorithm="RS256", headers={"kid": key.kid})


def no_token(api: Api) -> str | None:
    return None


def expired(api: Api) -> str | None:
    past = int(time.time()) - 3600
    return _sign_with_idp_key(api, _claims(api, iat=past - 300, exp=past))


def foreign_key(api: Api) -> str | None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(_claims(api), other, algorithm="RS256", headers={"kid": "not-a-known-kid"})


def foreign_key_known_kid(api: Api) -> str | None:
    kid = load_or_create_signing_key(api.platform.data / "idp").kid
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(_claims(api), other, algorithm="RS256", headers={"kid": kid})


def unconfigured_realm(api: Api) -> str | None:
    """A real token, issued by the IdP, of a realm (lokos-br) the gateway does not trust."""
    store = IdpStore(api.platform.data / "idp", ["lokos-br"])
    # Not the demo BR_STATEADMIN the IdP seeds in every state realm it serves: a user of its own.
    if store.get_user("lokos-br", "BR_AUTHTEST") is None:
        store.create_user("lokos-br", "BR_AUTHTEST", "Bihar@12345", realm_roles=["STATE_ADMIN"])
    return login(api.platform, "lokos-br", "BR_AUTHTEST", "Bihar@12345")


def garbage(api: Api) -> str | None:
    return "not.a.jwt"


def unknown_client(api: Api) -> str | None:
    """Signed by the realm's key, but issued to a client the realm does not have."""
    return _sign_with_idp_key(api, _claims(api, azp="someone-elses-app"))


CASES: list[Callable[[Api], str | None]] = [
    no_token,
    expired,
    foreign_key,
    foreign_key_known_kid,
    unconfigured_realm,
    garbage,
    unknown_client,
]


async def _shg_rows(api: Api, client_id: str) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(api.platform.database_url("profiles")))
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM cbo WHERE client_id = $1", uuid.UUID(client_id)
            )
        )
    finally:
        await conn.close()


@pytest.mark.parametrize("make_token", CASES, ids=[c.__name__ for c in CASES])
async def test_untrusted_token_gets_401_problem_and_changes_nothing(
    api: Api, make_token: Callable[[Api], str | None]
) -> None:
    block = api.new_block()
    token = make_token(api)
    client_id = str(uuid.uuid4())
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    r = api.http.post(
        "/v1/cbos",
        json={
            "client_id": client_id,
            "cbo_type": "SHG",
            "name": "Radha SHG",
            "block_lgd_code": block,
        },
        headers=headers,
    )
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 401 and body["code"].startswith("token_")
    assert body["detail"]
    assert r.headers.get("www-authenticate", "").startswith("Bearer")
    assert r.headers["x-request-id"]

    assert await _shg_rows(api, client_id) == 0
    assert api.dashboard_count(block) == 0
    # The same request with a good token does go through: the refusal was about the token.
    ok = api.post(
        "/v1/cbos",
        {"client_id": client_id, "cbo_type": "SHG", "name": "Radha SHG", "block_lgd_code": block},
    )
    assert ok.status_code == 201, ok.text


def test_reads_need_a_token_too(api: Api) -> None:
    for path in ("/v1/reports/dashboard", f"/v1/cbos/{uuid.uuid4()}"):
        r = api.http.get(path)
        assert r.status_code == 401
        assert r.json()["code"] == "token_missing"


@pytest.mark.parametrize(
    "make_token",
    [
        lambda api: _sign_with_idp_key(api, _claims(api, preferred_username="UP_NOSUCHUSER")),
        # A real token of the IdP, for the external client's service account: no LokOS user.
        lambda api: _client_credentials(api),
    ],
    ids=["signed_for_an_unknown_user", "service_account"],
)
def test_a_valid_token_of_an_unknown_user_is_401(
    api: Api, make_token: Callable[[Api], str]
) -> None:
    r = api.http.get("/v1/me", headers={"Authorization": f"Bearer {make_token(api)}"})
    assert r.status_code == 401, r.text
    assert r.json()["code"] == "user_unknown"
    assert r.headers.get("www-authenticate", "").startswith("Bearer")


def _client_credentials(api: Api) -> str:
    store = IdpStore(api.platform.data / "idp", ["lokos-up"])
    secret = store.client_secret("lokos-up", "lokos-external")
    assert secret
    r = httpx.post(
        f"{api.platform.idp_url}/realms/lokos-up/protocol/openid-connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "lokos-external",
            "client_secret": secret,
        },
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])
