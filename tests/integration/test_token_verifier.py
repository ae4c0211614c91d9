"""The gateway's TokenVerifier against the real embedded IdP served by uvicorn on a free port."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa

from devidp.app import create_app
from devidp.config import IdpSettings
from devidp.keys import KEY_FILE_NAME, SigningKey
from devidp.store import IdpStore
from gateway.tokens import TokenVerifier, VerifiedToken
from lokos.errors import Unauthenticated, Unavailable

PASSWORD = "Verifier#Pass1"


@dataclass
class RunningIdp:
    base: str
    data_dir: Path
    store: IdpStore

    def signing_key(self) -> SigningKey:
        """The IdP's own key, read from its key file (as an attacker with the file could)."""
        path = self.data_dir / "idp" / KEY_FILE_NAME
        return SigningKey.from_pem(path.read_bytes())

    def issuer(self, realm: str) -> str:
        return f"{self.base}/realms/{realm}"

    async def password_token(
        self, realm: str = "lokos-up", roles: tuple[str, ...] = ("STATE_ADMIN",)
    ) -> tuple[str, dict[str, Any]]:
        """A fresh user in ``realm`` and its token response."""
        username = f"user_{uuid.uuid4().hex[:8]}"
        self.store.create_user(realm, username, PASSWORD, realm_roles=roles)
        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"{self.issuer(realm)}/protocol/openid-connect/token",
                data={
                    "grant_type": "password",
                    "client_id": "lokos-web",
                    "username": username,
                    "password": PASSWORD,
                },
            )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return username, body


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningIdp]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    data_dir = tmp_path_factory.mktemp("devidp")
    settings = IdpSettings(
        data_dir=data_dir,
        idp_host="127.0.0.1",
        idp_port=port,
        idp_public_url=base,
        idp_realms=["lokos-up", "lokos-br"],
        password_iterations=1000,
    )
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the dev IdP did not start")
        time.sleep(0.01)
    try:
        yield RunningIdp(base=base, data_dir=data_dir, store=app.state.store)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


class Counter:
    """Counts the HTTP requests an AsyncClient sends."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    async def __call__(self, request: httpx.Request) -> None:
        self.urls.append(str(request.url))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _verifier(idp: RunningIdp, http: httpx.AsyncClient, **kwargs: Any) -> TokenVerifier:
    return TokenVerifier(idp.base, ["lokos-up"], http, **kwargs)


def _claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _foreign_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


async def _code(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        await verifier.verify(token)
    return caught.value.code


@pytest.mark.asyncio
async def test_valid_token_is_verified(idp: RunningIdp) -> None:
    username, body = await idp.password_token(roles=("STATE_ADMIN",))
    async with httpx.AsyncClient() as http:
        verified = await _verifier(idp, http).verify(body["access_token"])
    assert isinstance(verified, VerifiedToken)
    assert verified.realm == "lokos-up"
    assert verified.user_id == username.upper()
    assert verified.subject == _claims_of(body["access_token"])["sub"]
    assert "STATE_ADMIN" in verified.roles
    assert verified.client_id == "lokos-web"
    assert verified.expires_at.timestamp() == _claims_of(body["access_token"])["exp"]
    assert verified.claims["typ"] == "Bearer"


@pytest.mark.asyncio
async def test_warm_verification_makes_no_network_call(idp: RunningIdp) -> None:
    _, first = await idp.password_token()
    _, second = await idp.password_token()
    counter = Counter()
    async with httpx.AsyncClient(event_hooks={"request": [counter]}) as http:
        verifier = _verifier(idp, http)
        await verifier.verify(first["access_token"])
        cold_requests = len(counter.urls)
        assert cold_requests == 2  # discovery document + JWKS
        for _ in range(5):
            await verifier.verify(first["access_token"])
            await verifier.verify(second["access_token"])
    assert len(counter.urls) == cold_requests


@pytest.mark.asyncio
async def test_client_credentials_token_is_verified(idp: RunningIdp) -> None:
    secret = idp.store.client_secret("lokos-up", "lokos-external")
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{idp.issuer('lokos-up')}/protocol/openid-connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "lokos-external",
                "client_secret": secret,
            },
        )
        response.raise_for_status()
        verified = await _verifier(idp, http).verify(response.json()["access_token"])
    assert verified.user_id == "SERVICE-ACCOUNT-LOKOS-EXTERNAL"
    assert verified.client_id == "lokos-external"


@pytest.mark.asyncio
async def test_expired_token(idp: RunningIdp) -> None:
    _, body = await idp.password_token()
    key = idp.signing_key()
    now = int(time.time())
    claims = {**_claims_of(body["access_token"]), "iat": now - 3600, "exp": now - 3000}
    token = jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})
    async with httpx.AsyncClient() as http:
        assert await _code(_verifier(idp, http), token) == "token_expired"


@pytest.mark.asyncio
async def test_expiry_has_thirty_seconds_leeway(idp: RunningIdp) -> None:
    _, body = await idp.password_token()
    key = idp.signing_key()
    now = int(time.time())
    claims = {**_claims_of(body["access_token"]), "iat": now - 300, "exp": now - 5}
    token = jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})
    async with httpx.AsyncClient() as http:
        verified = await _verifier(idp, http).verify(token)
    assert verified.realm == "lokos-up"


@pytest.mark.asyncio
async def test_foreign_key_with_unknown_kid(idp: RunningIdp) -> None:
    _, body = await idp.password_token()
    token = jwt.encode(
        _claims_of(body["access_token"]),
        _foreign_key(),
        algorithm="RS256",
        headers={"kid": "forged"},
    )
    async with httpx.AsyncClient() as http:
        assert await _code(_verifier(idp, http), token) == "token_unknown_key"


@pytest.mark.asyncio
async def test_forged_kids_refetch_keys_at_most_once_per_interval(idp: RunningIdp) -> None:
    _, body = await idp.password_token()
    claims = _claims_of(body["access_token"])
    foreign = _foreign_key()
    counter = Counter()
    clock = FakeClock()
    async with httpx.AsyncClient(event_hooks={"request": [counter]}) as http:
        verifier = _verifier(idp, http, min_refresh_interval=10.0, clock=clock)
        await verifier.verify(body["access_token"])  # warm: discovery + JWKS
        assert len(counter.urls) == 2
        forged = [
            jwt.encode(claims, foreign, algorithm="RS256", headers={"kid": f"forged-{i}"})
            for i in range(20)
        ]

        def jwks_fetches() -> int:
            return len([u for u in counter.urls if u.endswith("/certs")])

        # Within the interval after the warm-up fetch, forged kids cause no fetch at all.
        for token in forged:
            assert await _code(verifier, token) == "token_unknown_key"
        assert jwks_fetches() == 1
        # Once the interval has passed, a whole concurrent flood causes exactly one refetch.
        clock.now += 10.5
        codes = await asyncio.gather(*(_code(verifier, token) for token in forged))
        assert set(codes) == {"token_unknown_key"}
        assert jwks_fetches() == 2
        clock.now += 10.5
        assert await _code(verifier, forged[0]) == "token_unknown_key"
        assert jwks_fetches() == 3
        # The genuine key stayed cached throughout.
        before = len(counter.urls)
        await verifier.verify(body["access_token"])
        assert len(counter.urls) == before


@pytest.mark.asyncio
async def test_known_kid_but_wrong_key(idp: RunningIdp) -> None:
    _, body = await idp.password_token()
    kid = jwt.get_unverified_header(body["access_token"])["kid"]
    token = jwt.encode(
        _claims_of(body["access_token"]), _foreign_key(), algorithm="RS256", headers={"kid": kid}
    )
    async with httpx.AsyncClient() as http:
        assert await _code(_verifier(idp, http), token) == "token_invalid_signature"


@pytest.mark.asyncio
async def test_token_of_an_untrusted_realm(idp: RunningIdp) -> None:
    _, body = await idp.password_token(realm="lokos-br")
    counter = Counter()
    async with httpx.AsyncClient(event_hooks={"request": [counter]}) as http:
        assert await _code(_verifier(idp, http), body["access_token"]) == "token_untrusted_issuer"
    assert counter.urls == []  # refused before any key lookup


@pytest.mark.asyncio
async def test_issuer_of_another_host_is_untrusted(idp: RunningIdp) -> None:
    _, body = await idp.password_token()
    key = idp.signing_key()
    claims = {**_claims_of(body["access_token"]), "iss": "http://evil.example/realms/lokos-up"}
    token = jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})
    async with httpx.AsyncClient() as http:
        assert await _code(_verifier(idp, http), token) == "token_untrusted_issuer"


@pytest.mark.asyncio
async def test_alg_none_and_hs256_are_refused(idp: RunningIdp) -> None:
    _, body = await idp.password_token()
    claims = _claims_of(body["access_token"])
    kid = jwt.get_unverified_header(body["access_token"])["kid"]
    unsigned = jwt.encode(claims, "", algorithm="none", headers={"kid": kid})
    hmac_signed = jwt.encode(
        claims, "a-shared-secret-of-at-least-32-bytes!", algorithm="HS256", headers={"kid": kid}
    )
    async with httpx.AsyncClient() as http:
        verifier = _verifier(idp, http)
        assert await _code(verifier, unsigned) == "token_invalid_signature"
        assert await _code(verifier, hmac_signed) == "token_invalid_signature"


@pytest.mark.asyncio
async def test_wrong_audience(idp: RunningIdp) -> None:
    _, body = await idp.password_token()
    key = idp.signing_key()
    claims = {**_claims_of(body["access_token"]), "aud": ["some-other-service"]}
    token = jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})
    async with httpx.AsyncClient() as http:
        verifier = _verifier(idp, http)
        assert await _code(verifier, token) == "token_invalid_audience"
        # A refresh token (audience: the issuer) is not accepted as an access token either.
        assert await _code(verifier, body["refresh_token"]) == "token_invalid_audience"


@pytest.mark.asyncio
async def test_garbage_and_missing_tokens(idp: RunningIdp) -> None:
    async with httpx.AsyncClient() as http:
        verifier = _verifier(idp, http)
        assert await _code(verifier, "not-a-jwt") == "token_malformed"
        assert await _code(verifier, "a.b.c") == "token_malformed"
        assert await _code(verifier, "") == "token_missing"


@pytest.mark.asyncio
async def test_unreachable_idp_is_unavailable_not_unauthenticated(idp: RunningIdp) -> None:
    _, body = await idp.password_token()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    key = idp.signing_key()
    dead_base = f"http://127.0.0.1:{dead_port}"
    claims = {**_claims_of(body["access_token"]), "iss": f"{dead_base}/realms/lokos-up"}
    token = jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})
    async with httpx.AsyncClient() as http:
        verifier = TokenVerifier(dead_base, ["lokos-up"], http)
        with pytest.raises(Unavailable):
            await verifier.verify(token)


@pytest.fixture(scope="module")
def split_idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningIdp]:
    """An IdP whose public address (the front channel, every token's issuer) is
    http://localhost:<port>, while processes reach it at http://127.0.0.1:<port>."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    front = f"http://localhost:{port}"
    data_dir = tmp_path_factory.mktemp("devidp-split")
    settings = IdpSettings(
        data_dir=data_dir,
        idp_host="127.0.0.1",
        idp_port=port,
        idp_public_url=front,
        idp_realms=["lokos-up"],
        password_iterations=1000,
    )
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the dev IdP did not start")
        time.sleep(0.01)
    try:
        yield RunningIdp(base=front, data_dir=data_dir, store=app.state.store)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


async def test_discovery_on_the_back_channel_issuer_from_the_front_channel(
    split_idp: RunningIdp,
) -> None:
    """Keycloak behind a public hostname: the gateway fetches discovery at its internal
    address (LOKOS_IDP_INTERNAL_URL) and still trusts only the public issuer."""
    back = split_idp.base.replace("localhost", "127.0.0.1")
    _, body = await split_idp.password_token()
    assert _claims_of(body["access_token"])["iss"] == f"{split_idp.base}/realms/lokos-up"
    counter = Counter()
    async with httpx.AsyncClient(event_hooks={"request": [counter]}) as http:
        verifier = TokenVerifier(split_idp.base, ["lokos-up"], http, discovery_base=back)
        verified = await verifier.verify(body["access_token"])
        assert verified.realm == "lokos-up"
        assert counter.urls[0] == f"{back}/realms/lokos-up/.well-known/openid-configuration"
        # The internal address is never an issuer: a verifier whose issuer base is the back
        # channel refuses the same token.
        inside = TokenVerifier(back, ["lokos-up"], http)
        with pytest.raises(Unauthenticated):
            await inside.verify(body["access_token"])
