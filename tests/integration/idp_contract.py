"""The behaviour every identity-provider adapter must show, checked against a live dev IdP.

``test_keycloak_adapter.py`` (KeycloakAdapter over the dev IdP's Keycloak admin REST API) runs
these checks; a provider adapter added later runs the same: each ``check_*`` coroutine below
takes a :class:`Harness` and asserts through the port only (plus the tokens the provider
issues, and ``inspect`` for profile fields no token carries).
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import uvicorn

from devidp.app import create_app
from devidp.config import IdpSettings
from devidp.store import IdpStore
from lokos.errors import NotFound, ValidationFailed
from services.identity.idp.port import IdentityProvider, InvalidCredentials, TokenSet
from services.identity.realms import realm_representation

PASSWORD = "Contract#Pass1"
NEW_PASSWORD = "Contract#Pass2"
ADMIN_PASSWORD = "Admin#Contract1"
CLIENT = "lokos-web"
MOBILE = "lokos-mobile"
REALMS = ["lokos-national", "lokos-up"]


@dataclass
class RunningIdp:
    base: str
    data_dir: Path
    store: IdpStore
    admin_password: str

    @property
    def idp_dir(self) -> Path:
        return self.data_dir / "idp"


@contextmanager
def running_idp(data_dir: Path, realms: list[str] = REALMS) -> Iterator[RunningIdp]:
    """The dev IdP served by uvicorn in a thread, on a free port, with its own data dir."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    settings = IdpSettings(
        data_dir=data_dir,
        idp_host="127.0.0.1",
        idp_port=port,
        idp_public_url=base,
        idp_realms=realms,
        password_iterations=1000,
        admin_password=ADMIN_PASSWORD,
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
        yield RunningIdp(base, data_dir, app.state.store, ADMIN_PASSWORD)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


# What a harness may tell about a user beyond the port: {"email", "firstName", "lastName"}.
Inspect = Callable[[str, str], Awaitable[dict[str, Any]]]


@dataclass
class Harness:
    idp: IdentityProvider
    realm: str
    inspect: Inspect
    base: str

    def new_user_id(self) -> str:
        return f"KA_C_{uuid.uuid4().hex[:8].upper()}"

    async def user(self, roles: list[str] | None = None, password: str = PASSWORD) -> str:
        """A fresh enabled user with a password; its LokOS user ID."""
        user_id = self.new_user_id()
        await self.idp.ensure_user(self.realm, user_id, roles=roles or ["BLOCK_ADMIN"])
        await self.idp.set_password(self.realm, user_id, password)
        return user_id

    async def login(self, user_id: str, password: str = PASSWORD, client: str = CLIENT) -> TokenSet:
        return await self.idp.password_login(self.realm, client, user_id, password)

    async def refused(self, user_id: str, password: str = PASSWORD) -> InvalidCredentials:
        with pytest.raises(InvalidCredentials) as caught:
            await self.login(user_id, password)
        return caught.value


def claims(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def roles_of(tokens: TokenSet) -> set[str]:
    return set(claims(tokens.access_token)["realm_access"]["roles"])


# ---------------------------------------------------------------- the contract


async def check_create_realm_is_idempotent(h: Harness) -> None:
    realm = f"lokos-c{uuid.uuid4().hex[:6]}"
    representation = realm_representation(realm)
    await h.idp.create_realm(representation)
    await h.idp.create_realm(representation)  # again: already exists, no error
    async with httpx.AsyncClient() as http:
        discovery = await http.get(f"{h.base}/realms/{realm}/.well-known/openid-configuration")
    assert discovery.status_code == 200, discovery.text
    assert discovery.json()["issuer"] == f"{h.base}/realms/{realm}"
    # The new realm has the catalogue's state roles and the clients: a user can log in.
    user_id = h.new_user_id()
    await h.idp.ensure_user(realm, user_id, roles=["SHG_BOOKKEEPER"])
    await h.idp.set_password(realm, user_id, PASSWORD)
    tokens = await h.idp.password_login(realm, MOBILE, user_id, PASSWORD)
    assert "SHG_BOOKKEEPER" in roles_of(tokens)
    assert claims(tokens.access_token)["iss"] == f"{h.base}/realms/{realm}"


async def check_ensure_user_creates_then_updates(h: Harness) -> None:
    user_id = h.new_user_id()
    first = await h.idp.ensure_user(
        h.realm, user_id, roles=["BLOCK_ADMIN"], email="sunita@example.in", name="Sunita Devi"
    )
    assert first
    seen = await h.inspect(h.realm, user_id)
    assert seen["email"] == "sunita@example.in"
    assert (seen["firstName"], seen["lastName"]) == ("Sunita", "Devi")
    assert seen["enabled"] is True

    again = await h.idp.ensure_user(
        h.realm, user_id, roles=["BLOCK_THEMATIC"], name="Sunita Kumari Devi"
    )
    assert again == first, "ensure_user must update the existing user, not create another"
    seen = await h.inspect(h.realm, user_id)
    assert (seen["firstName"], seen["lastName"]) == ("Sunita", "Kumari Devi")
    assert seen["email"] == "sunita@example.in", "an empty email leaves the stored one"
    await h.idp.set_password(h.realm, user_id, PASSWORD)
    roles = roles_of(await h.login(user_id))
    assert "BLOCK_THEMATIC" in roles and "BLOCK_ADMIN" not in roles
    assert claims((await h.login(user_id)).access_token)["preferred_username"].upper() == user_id

    # roles=None leaves the roles; enabled=False disables.
    assert await h.idp.ensure_user(h.realm, user_id, enabled=False) == first
    await h.refused(user_id)
    await h.idp.ensure_user(h.realm, user_id)
    assert "BLOCK_THEMATIC" in roles_of(await h.login(user_id))


async def check_password_change(h: Harness) -> None:
    user_id = await h.user()
    await h.login(user_id)
    await h.idp.set_password(h.realm, user_id, NEW_PASSWORD)
    tokens = await h.login(user_id, NEW_PASSWORD)
    assert tokens.access_token and tokens.refresh_token
    assert tokens.token_type.lower() == "bearer"
    assert tokens.expires_in > 0 and tokens.refresh_expires_in > 0
    error = await h.refused(user_id, PASSWORD)
    assert error.code == "invalid_credentials"
    await h.refused(h.new_user_id())  # unknown user: the same answer


async def check_temporary_password_blocks_direct_login(h: Harness) -> None:
    user_id = await h.user()
    await h.idp.set_password(h.realm, user_id, NEW_PASSWORD, temporary=True)
    await h.refused(user_id, NEW_PASSWORD)  # Keycloak: "Account is not fully set up"
    await h.idp.set_password(h.realm, user_id, NEW_PASSWORD)
    await h.login(user_id, NEW_PASSWORD)


async def check_set_roles_is_exact(h: Harness) -> None:
    user_id = await h.user(["BLOCK_ADMIN", "BLOCK_THEMATIC"])
    assert {"BLOCK_ADMIN", "BLOCK_THEMATIC"} <= roles_of(await h.login(user_id))
    await h.idp.set_roles(h.realm, user_id, ["BLOCK_THEMATIC", "BLOCK_MIS"])
    roles = roles_of(await h.login(user_id))
    assert {"BLOCK_THEMATIC", "BLOCK_MIS"} <= roles
    assert "BLOCK_ADMIN" not in roles
    assert f"default-roles-{h.realm}" in roles, "the provider's own default roles stay"
    await h.idp.set_roles(h.realm, user_id, [])
    catalogue_roles = {r["name"] for r in realm_representation(h.realm)["roles"]["realm"]}
    assert not roles_of(await h.login(user_id)) & catalogue_roles
    with pytest.raises(ValidationFailed):
        await h.idp.set_roles(h.realm, user_id, ["NO_SUCH_ROLE"])
    with pytest.raises(ValidationFailed):
        await h.idp.ensure_user(h.realm, user_id, roles=["NATIONAL_ADMIN"])  # not a state role


async def check_disabled_user_cannot_log_in_or_refresh(h: Harness) -> None:
    user_id = await h.user()
    before = await h.login(user_id)
    await h.idp.set_enabled(h.realm, user_id, False)
    await h.refused(user_id)
    with pytest.raises(InvalidCredentials):
        await h.idp.refresh(h.realm, CLIENT, before.refresh_token)
    await h.idp.set_enabled(h.realm, user_id, True)
    await h.login(user_id)


async def check_end_sessions_stops_refresh(h: Harness) -> None:
    user_id = await h.user()
    web = await h.login(user_id)
    mobile = await h.login(user_id, client=MOBILE)
    await h.idp.end_sessions(h.realm, user_id)
    for tokens, client in ((web, CLIENT), (mobile, MOBILE)):
        with pytest.raises(InvalidCredentials):
            await h.idp.refresh(h.realm, client, tokens.refresh_token)
    await h.login(user_id)  # logging in again works


async def check_refresh_keeps_the_session(h: Harness) -> None:
    user_id = await h.user()
    tokens = await h.login(user_id, client=MOBILE)
    assert tokens.session_id
    assert tokens.session_id == claims(tokens.access_token)["sid"]
    refreshed = await h.idp.refresh(h.realm, MOBILE, tokens.refresh_token)
    assert refreshed.session_id == tokens.session_id
    assert refreshed.access_token != tokens.access_token
    assert claims(refreshed.access_token)["azp"] == MOBILE
    with pytest.raises(InvalidCredentials):  # a refresh token belongs to its client
        await h.idp.refresh(h.realm, CLIENT, tokens.refresh_token)


async def check_logout_ends_the_session(h: Harness) -> None:
    user_id = await h.user()
    tokens = await h.login(user_id)
    other = await h.login(user_id)
    assert await h.idp.logout(h.realm, CLIENT, tokens.refresh_token) is True
    with pytest.raises(InvalidCredentials):
        await h.idp.refresh(h.realm, CLIENT, tokens.refresh_token)
    await h.idp.logout(h.realm, CLIENT, tokens.refresh_token)  # again: no error
    forged = jwt.encode({"sid": tokens.session_id, "typ": "Refresh"}, "k" * 32, algorithm="HS256")
    assert await h.idp.logout(h.realm, CLIENT, forged) is False  # not the provider's token
    await h.idp.refresh(h.realm, CLIENT, other.refresh_token)  # other sessions live on


async def check_brute_force_lock_and_its_clearing(h: Harness) -> None:
    """The realm templates' brute-force detection (failureFactor 5): then even the right
    password is refused, until clear_login_failures (an admin's unlock in identity)."""
    user_id = await h.user()
    for _ in range(5):
        await h.refused(user_id, "Wrong#Pass9")
    await h.refused(user_id)
    await h.idp.clear_login_failures(h.realm, user_id)
    await h.login(user_id)
    with pytest.raises(NotFound):
        await h.idp.clear_login_failures(h.realm, h.new_user_id())


async def check_username_of_a_tokens_subject(h: Harness) -> None:
    user_id = await h.user()
    tokens = await h.login(user_id)
    assert await h.idp.username_of(h.realm, claims(tokens.access_token)["sub"]) == user_id
    assert await h.idp.username_of(h.realm, str(uuid.uuid4())) is None


async def check_unknown_user_is_not_found(h: Harness) -> None:
    unknown = h.new_user_id()
    calls: list[Callable[[], Awaitable[None]]] = [
        lambda: h.idp.set_password(h.realm, unknown, PASSWORD),
        lambda: h.idp.set_enabled(h.realm, unknown, False),
        lambda: h.idp.set_roles(h.realm, unknown, ["BLOCK_ADMIN"]),
        lambda: h.idp.end_sessions(h.realm, unknown),
    ]
    for call in calls:
        with pytest.raises(NotFound) as caught:
            await call()
        assert caught.value.code == "user_not_found"


async def check_unknown_realm_is_not_found(h: Harness) -> None:
    with pytest.raises(NotFound):
        await h.idp.password_login("lokos-nowhere", CLIENT, "SOMEONE", PASSWORD)
    with pytest.raises(NotFound):
        await h.idp.ensure_user("lokos-nowhere", h.new_user_id())


CONTRACT: list[Callable[[Harness], Awaitable[None]]] = [
    check_create_realm_is_idempotent,
    check_ensure_user_creates_then_updates,
    check_password_change,
    check_temporary_password_blocks_direct_login,
    check_set_roles_is_exact,
    check_disabled_user_cannot_log_in_or_refresh,
    check_end_sessions_stops_refresh,
    check_refresh_keeps_the_session,
    check_logout_ends_the_session,
    check_brute_force_lock_and_its_clearing,
    check_username_of_a_tokens_subject,
    check_unknown_user_is_not_found,
    check_unknown_realm_is_not_found,
]
