"""The HTTP requests KeycloakAdapter makes (through python-keycloak), checked against Keycloak's
documented APIs: method, path, and the JSON or form fields each documented operation needs.

A tiny recording server stands in for Keycloak: it answers just enough for the adapter to go on
(tokens, a user list, role representations, 201 + Location, 204, 409) and records every
request. Nothing here asserts what Keycloak *does*; the dev IdP integration tests
(tests/integration/test_keycloak_adapter.py) exercise behaviour. This file pins the wire format
to the documentation, so a change of python-keycloak or of the adapter that strays from it
fails here.

References:
  Keycloak Admin REST API, https://www.keycloak.org/docs-api/latest/rest-api/index.html
  Keycloak "Securing applications": OpenID Connect endpoints (token, logout),
  https://www.keycloak.org/securing-apps/oidc-layers
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from services.identity.idp.keycloak import KeycloakAdapter
from services.identity.idp.port import InvalidCredentials
from services.identity.realms import realm_representation

REALM = "lokos-up"
ADMIN_PASSWORD = "admin-secret"


@dataclass(frozen=True)
class Documented:
    """One documented endpoint: its method, path template and required body fields."""

    name: str
    method: str
    path: str
    # JSON object fields (or, for a JSON list, fields of every element; for forms, parameters).
    required: frozenset[str] = frozenset()
    body: str = "none"  # "none", "json-object", "json-list", "form"
    # Query parameters the request must carry, with their values.
    query: tuple[tuple[str, str], ...] = ()

    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\{[^}]+\}", r"[^/]+", self.path) + "$")


def _doc(
    name: str,
    method: str,
    path: str,
    body: str = "none",
    required: tuple[str, ...] = (),
    query: tuple[tuple[str, str], ...] = (),
) -> Documented:
    return Documented(name, method, path, frozenset(required), body, query)


DOCUMENTED: dict[str, Documented] = {
    d.name: d
    for d in (
        # --- OpenID Connect endpoints (Securing applications: "OpenID Connect endpoints";
        # RFC 6749 §4.3 resource owner password, §6 refresh; Keycloak's logout endpoint with a
        # refresh token for a back-channel logout).
        _doc(
            "token (password grant)",
            "POST",
            "/realms/{realm}/protocol/openid-connect/token",
            "form",
            ("grant_type", "client_id", "username", "password"),
        ),
        _doc(
            "token (refresh grant)",
            "POST",
            "/realms/{realm}/protocol/openid-connect/token",
            "form",
            ("grant_type", "client_id", "refresh_token"),
        ),
        _doc(
            "logout",
            "POST",
            "/realms/{realm}/protocol/openid-connect/logout",
            "form",
            ("client_id", "refresh_token"),
        ),
        # --- Realms Admin: "Import a realm. Imports a realm from a full representation of that
        # realm." POST /admin/realms, body RealmRepresentation (201; 409 when it exists).
        _doc("import a realm", "POST", "/admin/realms", "json-object", ("realm",)),
        # --- Users: "Get users. Returns a stream of users, filtered according to query
        # parameters." GET /admin/realms/{realm}/users?username=&exact=
        _doc(
            "get users",
            "GET",
            "/admin/realms/{realm}/users",
            query=(("exact", "true"),),
        ),
        # Users: "Create a new user. Username must be unique." POST …/users, UserRepresentation.
        _doc("create a user", "POST", "/admin/realms/{realm}/users", "json-object", ("username",)),
        # Users: "Update the user." PUT …/users/{user-id}, UserRepresentation.
        _doc("update the user", "PUT", "/admin/realms/{realm}/users/{user-id}", "json-object"),
        # Users: "Set up a new password for the user." PUT …/users/{user-id}/reset-password,
        # CredentialRepresentation.
        _doc(
            "reset password",
            "PUT",
            "/admin/realms/{realm}/users/{user-id}/reset-password",
            "json-object",
            ("type", "value", "temporary"),
        ),
        # Users: "Remove all user sessions associated with the user." POST …/{user-id}/logout.
        _doc("log the user out", "POST", "/admin/realms/{realm}/users/{user-id}/logout"),
        # Users: "Get representation of the user." GET …/users/{user-id} (a token's sub is the
        # user's id: whose session a logout ended).
        _doc("get the user", "GET", "/admin/realms/{realm}/users/{user-id}"),
        # Attack Detection: "Clear any user login failures for the user. This can release
        # temporary disabled user." DELETE …/attack-detection/brute-force/users/{userId}.
        _doc(
            "clear user login failures",
            "DELETE",
            "/admin/realms/{realm}/attack-detection/brute-force/users/{userId}",
        ),
        # Roles: "Get all roles for the realm or client." GET /admin/realms/{realm}/roles.
        _doc("get realm roles", "GET", "/admin/realms/{realm}/roles"),
        # Role Mapper: "Get realm-level role mappings", "Add realm-level role mappings to the
        # user", "Delete realm-level role mappings": …/users/{user-id}/role-mappings/realm with a
        # list of RoleRepresentation; Keycloak looks each role up by name and requires its id.
        _doc(
            "get realm-level role mappings",
            "GET",
            "/admin/realms/{realm}/users/{user-id}/role-mappings/realm",
        ),
        _doc(
            "add realm-level role mappings",
            "POST",
            "/admin/realms/{realm}/users/{user-id}/role-mappings/realm",
            "json-list",
            ("id", "name"),
        ),
        _doc(
            "delete realm-level role mappings",
            "DELETE",
            "/admin/realms/{realm}/users/{user-id}/role-mappings/realm",
            "json-list",
            ("id", "name"),
        ),
        # Not used by LokOS: "Client Role Mappings" (…/role-mappings/clients/{client}) — roles
        # are realm roles only; groups; user attributes.
    )
}


# ---------------------------------------------------------------- the recording server


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    content_type: str
    authorization: str
    body: Any

    def form(self) -> dict[str, str]:
        assert isinstance(self.body, dict)
        return self.body


@dataclass
class FakeKeycloak:
    """State just sufficient to answer the adapter, and the record of its requests."""

    requests: list[Recorded] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> representation
    mappings: dict[str, list[str]] = field(default_factory=dict)
    realms: set[str] = field(default_factory=lambda: {"master", REALM})
    roles: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        names = ["default-roles-lokos-up", "BLOCK_ADMIN", "BLOCK_THEMATIC", "BLOCK_MIS"]
        self.roles = [
            {"id": str(uuid.uuid4()), "name": n, "composite": False, "clientRole": False}
            for n in names
        ]

    def admin(self) -> list[Recorded]:
        """The recorded requests other than token requests."""
        return [r for r in self.requests if not r.path.endswith("/openid-connect/token")]


def _token(sid: str = "sid-1") -> dict[str, Any]:
    now = int(time.time())
    claims = {"sid": sid, "iat": now, "exp": now + 300, "typ": "Bearer"}
    access = jwt.encode(claims, "k" * 32, algorithm="HS256")
    return {
        "access_token": access,
        "expires_in": 300,
        "refresh_token": jwt.encode({**claims, "typ": "Refresh"}, "k" * 32, algorithm="HS256"),
        "refresh_expires_in": 1800,
        "token_type": "Bearer",
        "session_state": sid,
        "scope": "openid profile email",
    }


def _handler(fake: FakeKeycloak) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _answer(
            self, status: int, body: Any = None, headers: dict[str, str] | None = None
        ) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            if data:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _record(self) -> Recorded:
            url = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            content_type = self.headers.get("Content-Type", "")
            body: Any = None
            if raw and "json" in content_type:
                body = json.loads(raw)
            elif raw and "x-www-form-urlencoded" in content_type:
                body = {k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
            elif raw:
                body = raw.decode()
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            record = Recorded(
                self.command,
                url.path,
                query,
                content_type,
                self.headers.get("Authorization", ""),
                body,
            )
            fake.requests.append(record)
            return record

        def _route(self) -> None:
            r = self._record()
            parts = r.path.strip("/").split("/")
            if r.path.endswith("/protocol/openid-connect/token"):
                form = r.form()
                if form.get("password") == "wrong":
                    return self._answer(
                        401,
                        {"error": "invalid_grant", "error_description": "Invalid user credentials"},
                    )
                return self._answer(200, _token())
            if r.path.endswith("/protocol/openid-connect/logout"):
                return self._answer(204)
            if r.path == "/admin/realms" and r.method == "POST":
                if r.body["realm"] in fake.realms:
                    return self._answer(409, {"errorMessage": "Conflict detected."})
                fake.realms.add(r.body["realm"])
                return self._answer(201, headers={"Location": f"/admin/realms/{r.body['realm']}"})
            if parts[:2] != ["admin", "realms"] or len(parts) < 4:
                return self._answer(404, {"error": "not emulated"})
            rest = parts[3:]
            if rest == ["users"] and r.method == "GET":
                wanted = r.query.get("username", "").lower()
                found = [u for u in fake.users.values() if u["username"] == wanted]
                return self._answer(200, found[int(r.query.get("first", 0)) :])
            if rest == ["users"] and r.method == "POST":
                user_id = str(uuid.uuid4())
                fake.users[user_id] = {"id": user_id, "username": r.body["username"].lower()}
                location = f"http://kc/admin/realms/{parts[2]}/users/{user_id}"
                return self._answer(201, headers={"Location": location})
            if rest == ["roles"]:
                return self._answer(200, fake.roles[int(r.query.get("first", 0)) :])
            if len(rest) == 2 and rest[0] == "users" and r.method == "GET":
                user = fake.users.get(rest[1])
                if user is None:
                    return self._answer(404, {"error": "User not found"})
                return self._answer(200, user)
            if rest[-2:] == ["role-mappings", "realm"]:
                user_id = rest[1]
                names = fake.mappings.setdefault(user_id, ["default-roles-lokos-up"])
                if r.method == "GET":
                    return self._answer(200, [x for x in fake.roles if x["name"] in names])
                changed = {rep["name"] for rep in r.body}
                if r.method == "POST":
                    names.extend(sorted(changed - set(names)))
                else:
                    fake.mappings[user_id] = [n for n in names if n not in changed]
                return self._answer(204)
            return self._answer(204)

        do_GET = do_POST = do_PUT = do_DELETE = _route  # noqa: N815 (http.server names)

    return Handler


@pytest.fixture
def fake() -> Iterator[tuple[FakeKeycloak, str]]:
    state = FakeKeycloak()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
async def adapter(fake: tuple[FakeKeycloak, str]) -> AsyncIterator[KeycloakAdapter]:
    keycloak = KeycloakAdapter(fake[1], "admin", ADMIN_PASSWORD, timeout=5)
    yield keycloak
    await keycloak.close()


# ---------------------------------------------------------------- matching


def matching(request: Recorded) -> list[Documented]:
    return [
        d
        for d in DOCUMENTED.values()
        if d.method == request.method and d.pattern().fullmatch(request.path)
    ]


def assert_documented(request: Recorded, name: str) -> None:
    """``request`` is the documented operation ``name``, with its required fields."""
    doc = DOCUMENTED[name]
    assert doc in matching(request), (
        f"{request.method} {request.path} is not {name!r} ({doc.method} {doc.path})"
    )
    for key, value in doc.query:
        assert request.query.get(key, "").lower() == value, (
            f"{name}: query {key}={request.query.get(key)!r}, documented {value!r}"
        )
    if doc.body == "form":
        assert request.content_type.startswith("application/x-www-form-urlencoded"), (
            f"{name}: Content-Type {request.content_type!r}, documented form-urlencoded"
        )
        missing = doc.required - set(request.form())
    elif doc.body == "json-object":
        assert request.content_type.startswith("application/json"), request.content_type
        assert isinstance(request.body, dict), f"{name}: body {request.body!r} is not an object"
        missing = doc.required - set(request.body)
    elif doc.body == "json-list":
        assert request.content_type.startswith("application/json"), request.content_type
        assert isinstance(request.body, list) and request.body, f"{name}: {request.body!r}"
        missing = {f for item in request.body for f in doc.required - set(item)}
    else:
        missing = set()
    assert not missing, f"{name}: required fields {sorted(missing)} missing from {request.body!r}"
    if request.path.startswith("/admin/"):
        assert request.authorization.startswith("Bearer "), f"{name}: no bearer token"


def assert_sequence(requests: list[Recorded], names: list[str]) -> None:
    seen = [f"{r.method} {r.path}" for r in requests]
    assert len(requests) == len(names), f"expected {names}, the adapter sent {seen}"
    for request, name in zip(requests, names, strict=True):
        assert_documented(request, name)


# ---------------------------------------------------------------- the requests


async def test_admin_login_is_a_password_grant_of_admin_cli_in_master(
    adapter: KeycloakAdapter, fake: tuple[FakeKeycloak, str]
) -> None:
    state, _ = fake
    state.users["u1"] = {"id": "u1", "username": "up_x"}
    await adapter.end_sessions(REALM, "UP_X")
    login = state.requests[0]
    assert_documented(login, "token (password grant)")
    assert login.path == "/realms/master/protocol/openid-connect/token"
    assert login.form()["grant_type"] == "password"
    assert login.form()["client_id"] == "admin-cli"
    assert login.form()["username"] == "admin"
    assert login.form()["password"] == ADMIN_PASSWORD
    assert all(r.authorization == f"Bearer {_bearer(state)}" for r in state.admin())


def _bearer(state: FakeKeycloak) -> str:
    token = state.admin()[0].authorization.removeprefix("Bearer ")
    assert token
    return token


async def test_ensure_user_creates_with_roles(
    adapter: KeycloakAdapter, fake: tuple[FakeKeycloak, str]
) -> None:
    state, _ = fake
    user_id = await adapter.ensure_user(
        REALM, "UP_BLOCKADMIN_1", roles=["BLOCK_ADMIN"], email="a@example.in", name="Asha Devi"
    )
    requests = state.admin()
    assert_sequence(
        requests,
        [
            "get users",
            "create a user",
            "get realm roles",
            "get realm-level role mappings",
            "add realm-level role mappings",
        ],
    )
    search, create, _, _, add = requests
    assert search.path == f"/admin/realms/{REALM}/users"
    assert search.query["username"] == "up_blockadmin_1"  # Keycloak user names are lower case
    assert create.body == {
        "username": "UP_BLOCKADMIN_1",
        "enabled": True,
        "email": "a@example.in",
        "firstName": "Asha",
        "lastName": "Devi",
    }
    assert add.path == f"/admin/realms/{REALM}/users/{user_id}/role-mappings/realm"
    block_admin = next(r for r in state.roles if r["name"] == "BLOCK_ADMIN")
    assert add.body == [{"id": block_admin["id"], "name": "BLOCK_ADMIN"}]


async def test_ensure_user_updates_an_existing_user(
    adapter: KeycloakAdapter, fake: tuple[FakeKeycloak, str]
) -> None:
    state, _ = fake
    state.users["u1"] = {"id": "u1", "username": "up_x"}
    assert await adapter.ensure_user(REALM, "UP_X", enabled=False) == "u1"
    requests = state.admin()
    assert_sequence(requests, ["get users", "update the user"])
    assert requests[1].path == f"/admin/realms/{REALM}/users/u1"
    assert requests[1].body == {"username": "UP_X", "enabled": False}


async def test_set_password_is_reset_password(
    adapter: KeycloakAdapter, fake: tuple[FakeKeycloak, str]
) -> None:
    state, _ = fake
    state.users["u1"] = {"id": "u1", "username": "up_x"}
    await adapter.set_password(REALM, "UP_X", "New#Pass1", temporary=True)
    requests = state.admin()
    assert_sequence(requests, ["get users", "reset password"])
    assert requests[1].path == f"/admin/realms/{REALM}/users/u1/reset-password"
    assert requests[1].body == {"type": "password", "value": "New#Pass1", "temporary": True}


async def test_set_enabled_updates_the_user(
    adapter: KeycloakAdapter, fake: tuple[FakeKeycloak, str]
) -> None:
    state, _ = fake
    state.users["u1"] = {"id": "u1", "username": "up_x"}
    await adapter.set_enabled(REALM, "UP_X", False)
    requests = state.admin()
    assert_sequence(requests, ["get users", "update the user"])
    assert requests[1].body == {"enabled": False}


async def test_set_roles_adds_and_removes_to_match(
    adapter: KeycloakAdapter, fake: tuple[FakeKeycloak, str]
) -> None:
    state, _ = fake
    state.users["u1"] = {"id": "u1", "username": "up_x"}
    state.mappings["u1"] = ["default-roles-lokos-up", "BLOCK_ADMIN", "BLOCK_THEMATIC"]
    await adapter.set_roles(REALM, "UP_X", ["BLOCK_THEMATIC", "BLOCK_MIS"])
    requests = state.admin()
    assert_sequence(
        requests,
        [
            "get users",
            "get realm roles",
            "get realm-level role mappings",
            "add realm-level role mappings",
            "delete realm-level role mappings",
        ],
    )
    assert [r["name"] for r in requests[3].body] == ["BLOCK_MIS"]
    # The default composite role stays mapped.
    assert [r["name"] for r in requests[4].body] == ["BLOCK_ADMIN"]
    assert state.mappings["u1"] == ["default-roles-lokos-up", "BLOCK_THEMATIC", "BLOCK_MIS"]


async def test_end_sessions_logs_the_user_out(
    adapter: KeycloakAdapter, fake: tuple[FakeKeycloak, str]
) -> None:
    state, _ = fake
    state.users["u1"] = {"id": "u1", "username": "up_x"}
    await adapter.end_sessions(REALM, "UP_X")
    requests = state.admin()
    assert_sequence(requests, ["get users", "log the user out"])
    assert requests[1].path == f"/admin/realms/{REALM}/users/u1/logout"


async def test_unlock_clears_the_users_login_failures(
    adapter: KeycloakAdapter, fake: tuple[FakeKeycloak, str]
) -> None:
    state, _ = fake
    state.users["u1"] = {"id": "u1", "username": "up_x"}
    await adapter.clear_login_failures(REALM, "UP_X")
    requests = state.admin()
    assert_sequence(requests, ["get users", "clear user login failures"])
    assert requests[1].path == f"/admin/realms/{REALM}/attack-detection/brute-force/users/u1"


async def test_username_of_a_tokens_subject(
    adapter: KeycloakAdapter, fake: tuple[FakeKeycloak, str]
) -> None:
    state, _ = fake
    state.users["u1"] = {"id": "u1", "username": "up_x"}
    assert await adapter.username_of(REALM, "u1") == "UP_X"
    assert await adapter.username_of(REALM, "nobody") is None
    requests = state.admin()
    assert_sequence(requests, ["get the user", "get the user"])
    assert requests[0].path == f"/admin/realms/{REALM}/users/u1"


async def test_create_realm_imports_the_representation(
    adapter: KeycloakAdapter, fake: tuple[FakeKeycloak, str]
) -> None:
    state, _ = fake
    representation = realm_representation("lokos-br")
    assert await adapter.ensure_realm(representation) is True
    await adapter.create_realm(representation)  # 409: exists, no error
    requests = state.admin()
    assert_sequence(requests, ["import a realm", "import a realm"])
    assert requests[0].body == representation
    assert state.requests[0].path == "/realms/master/protocol/openid-connect/token"


async def test_token_requests_are_oidc_forms(
    adapter: KeycloakAdapter, fake: tuple[FakeKeycloak, str]
) -> None:
    state, _ = fake
    tokens = await adapter.password_login(REALM, "lokos-mobile", "UP_X", "Pass#1234")
    assert tokens.session_id == "sid-1"
    await adapter.refresh(REALM, "lokos-mobile", tokens.refresh_token)
    await adapter.logout(REALM, "lokos-mobile", tokens.refresh_token)
    with pytest.raises(InvalidCredentials):
        await adapter.password_login(REALM, "lokos-mobile", "UP_X", "wrong")
    login, refresh, logout, refused = state.requests
    assert_documented(login, "token (password grant)")
    assert login.path == f"/realms/{REALM}/protocol/openid-connect/token"
    assert {k: login.form()[k] for k in ("grant_type", "client_id", "username", "password")} == {
        "grant_type": "password",
        "client_id": "lokos-mobile",
        "username": "UP_X",
        "password": "Pass#1234",
    }
    assert "client_secret" not in login.form()  # public client
    assert_documented(refresh, "token (refresh grant)")
    assert refresh.form()["grant_type"] == "refresh_token"
    assert refresh.form()["refresh_token"] == tokens.refresh_token
    assert_documented(logout, "logout")
    assert logout.form() == {"client_id": "lokos-mobile", "refresh_token": tokens.refresh_token}
    assert_documented(refused, "token (password grant)")
    assert not any(r.authorization for r in state.requests), "user logins carry no admin token"


async def test_every_request_is_a_documented_endpoint(
    adapter: KeycloakAdapter, fake: tuple[FakeKeycloak, str]
) -> None:
    state, _ = fake
    await adapter.ensure_user(REALM, "UP_Y", roles=["BLOCK_ADMIN"], name="Y")
    await adapter.set_password(REALM, "UP_Y", "Pass#1234")
    await adapter.set_roles(REALM, "UP_Y", ["BLOCK_MIS"])
    await adapter.set_enabled(REALM, "UP_Y", True)
    await adapter.clear_login_failures(REALM, "UP_Y")
    await adapter.end_sessions(REALM, "UP_Y")
    tokens = await adapter.password_login(REALM, "lokos-web", "UP_Y", "Pass#1234")
    await adapter.refresh(REALM, "lokos-web", tokens.refresh_token)
    assert await adapter.logout(REALM, "lokos-web", tokens.refresh_token) is True
    await adapter.username_of(REALM, "some-id")
    await adapter.create_realm(realm_representation("lokos-br"))
    undocumented = [f"{r.method} {r.path}" for r in state.requests if not matching(r)]
    assert not undocumented, f"requests to undocumented endpoints: {undocumented}"
