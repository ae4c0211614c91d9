"""The requests KeycloakAdapter makes for registered API clients, checked against Keycloak's
documented Admin REST API ("Clients" and "Client Attribute Certificate"/secret resources):
method, path and the ClientRepresentation fields a service-account client needs.

A recording server stands in for Keycloak (as in test_keycloak_requests.py); the behaviour is
exercised against the dev IdP in tests/integration/test_idp_service_clients.py.

References: https://www.keycloak.org/docs-api/latest/rest-api/index.html
  GET    /admin/realms/{realm}/clients?clientId=      "Get clients belonging to the realm"
  POST   /admin/realms/{realm}/clients                "Create a new client" (201 + Location)
  PUT    /admin/realms/{realm}/clients/{client-uuid}  "Update the client"
  DELETE /admin/realms/{realm}/clients/{client-uuid}  "Delete the client"
  GET    …/clients/{client-uuid}/client-secret        "Get the client secret"
  POST   …/clients/{client-uuid}/client-secret        "Generate a new secret for the client"
"""

from __future__ import annotations

import json
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

from lokos.errors import Conflict, NotFound
from services.identity.idp.keycloak import KeycloakAdapter

REALM = "lokos-up"


@dataclass
class Fake:
    requests: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    clients: dict[str, dict[str, Any]] = field(default_factory=dict)  # uuid -> representation

    def admin(self) -> list[tuple[str, str, dict[str, str], Any]]:
        return [r for r in self.requests if not r[1].endswith("/openid-connect/token")]


def _handler(fake: Fake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
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

        def _route(self) -> None:
            url = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body: Any = (
                json.loads(raw) if raw and "json" in self.headers.get("Content-Type", "") else None
            )
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            fake.requests.append((self.command, url.path, query, body))
            if url.path.endswith("/protocol/openid-connect/token"):
                now = int(time.time())
                token = jwt.encode({"iat": now, "exp": now + 300}, "k" * 32, algorithm="HS256")
                return self._answer(
                    200, {"access_token": token, "expires_in": 300, "token_type": "Bearer"}
                )
            parts = url.path.strip("/").split("/")
            rest = parts[3:]
            if rest == ["clients"] and self.command == "GET":
                found = [c for c in fake.clients.values() if c["clientId"] == query.get("clientId")]
                return self._answer(200, found)
            if rest == ["clients"] and self.command == "POST":
                if any(c["clientId"] == body["clientId"] for c in fake.clients.values()):
                    return self._answer(409, {"errorMessage": "Client exists"})
                internal = str(uuid.uuid4())
                fake.clients[internal] = {**body, "id": internal, "secret": "s-1"}
                return self._answer(201, headers={"Location": f"http://kc/{url.path}/{internal}"})
            if len(rest) == 3 and rest[2] == "client-secret":
                client = fake.clients[rest[1]]
                if self.command == "POST":
                    client["secret"] = f"s-{uuid.uuid4().hex[:4]}"
                return self._answer(200, {"type": "secret", "value": client["secret"]})
            return self._answer(204)

        do_GET = do_POST = do_PUT = do_DELETE = _route  # noqa: N815 (http.server names)

    return Handler


@pytest.fixture
def fake() -> Iterator[tuple[Fake, str]]:
    state = Fake()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
async def adapter(fake: tuple[Fake, str]) -> AsyncIterator[KeycloakAdapter]:
    keycloak = KeycloakAdapter(fake[1], "admin", "admin-secret", timeout=5)
    yield keycloak
    await keycloak.close()


def _calls(fake: Fake) -> list[str]:
    return [f"{method} {path}" for method, path, _, _ in fake.admin()]


async def test_create_posts_a_service_account_client_then_reads_its_secret(
    adapter: KeycloakAdapter, fake: tuple[Fake, str]
) -> None:
    state, _ = fake
    secret = await adapter.create_service_client(
        REALM, "ext-up-bank-1", name="DCCB", attributes={"lokos.scopes": "aggregates"}
    )
    assert secret == "s-1"
    [internal] = state.clients
    assert _calls(state) == [
        f"POST /admin/realms/{REALM}/clients",
        f"GET /admin/realms/{REALM}/clients/{internal}/client-secret",
    ]
    rep = state.admin()[0][3]
    # ClientRepresentation: confidential, service account only, the gateway in the audience.
    assert rep["clientId"] == "ext-up-bank-1"
    assert rep["publicClient"] is False
    assert rep["clientAuthenticatorType"] == "client-secret"
    assert rep["serviceAccountsEnabled"] is True
    assert rep["standardFlowEnabled"] is False
    assert rep["directAccessGrantsEnabled"] is False
    assert rep["implicitFlowEnabled"] is False
    assert rep["protocol"] == "openid-connect"
    assert rep["attributes"] == {"lokos.scopes": "aggregates"}
    [mapper] = rep["protocolMappers"]
    assert mapper["protocolMapper"] == "oidc-audience-mapper"
    assert mapper["config"]["included.client.audience"] == "lokos-gateway"
    assert mapper["config"]["access.token.claim"] == "true"


async def test_a_taken_client_id_is_a_conflict(
    adapter: KeycloakAdapter, fake: tuple[Fake, str]
) -> None:
    await adapter.create_service_client(REALM, "ext-a", name="A", attributes={})
    with pytest.raises(Conflict):
        await adapter.create_service_client(REALM, "ext-a", name="A", attributes={})


async def test_rotate_disable_delete_find_the_client_by_client_id_first(
    adapter: KeycloakAdapter, fake: tuple[Fake, str]
) -> None:
    state, _ = fake
    await adapter.create_service_client(REALM, "ext-b", name="B", attributes={})
    [internal] = state.clients
    state.requests.clear()
    assert await adapter.rotate_client_secret(REALM, "ext-b") != "s-1"
    await adapter.set_client_enabled(REALM, "ext-b", False)
    await adapter.delete_client(REALM, "ext-b")
    base = f"/admin/realms/{REALM}/clients"
    assert _calls(state) == [
        f"GET {base}",
        f"POST {base}/{internal}/client-secret",
        f"GET {base}",
        f"PUT {base}/{internal}",
        f"GET {base}",
        f"DELETE {base}/{internal}",
    ]
    searches = [q for method, path, q, _ in state.admin() if method == "GET"]
    assert all(q == {"clientId": "ext-b"} for q in searches)
    put = next(body for method, _, _, body in state.admin() if method == "PUT")
    assert put == {"clientId": "ext-b", "enabled": False}


async def test_an_unknown_client_is_not_found(
    adapter: KeycloakAdapter, fake: tuple[Fake, str]
) -> None:
    with pytest.raises(NotFound):
        await adapter.rotate_client_secret(REALM, "ext-none")
