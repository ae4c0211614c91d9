"""Clients of a realm managed through Keycloak's admin REST API (the subset LokOS uses).

Registered API clients (a department or a bank calling the external report API) are
confidential clients with a service account and the client-credentials grant. Identity
creates, rotates, disables and deletes them through its identity-provider port; against
Keycloak that is the admin API below, so the embedded IdP serves the same paths, JSON and
status codes:

==========================================================  ===================================
``GET /admin/realms/{realm}/clients?clientId=``             Clients: list, filtered by clientId
``POST /admin/realms/{realm}/clients``                      Clients: create (201 + Location, 409)
``GET|PUT|DELETE /admin/realms/{realm}/clients/{id}``       Clients: read, update (204), delete
``GET|POST …/clients/{id}/client-secret``                   Client secret: read, regenerate
==========================================================  ===================================

``{id}`` is the client's internal id (a UUID), not its ``clientId``, as in Keycloak. Only the
fields LokOS sets are kept: ``clientId``, ``name``, ``description``, ``enabled``,
``publicClient``, ``serviceAccountsEnabled``, ``directAccessGrantsEnabled``, ``secret`` and
string ``attributes``; protocol mappers are accepted and ignored (the embedded IdP always puts
the gateway in the audience). A disabled client gets no tokens (the token endpoint answers
``invalid_client``), as in Keycloak.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from devidp.admin import AdminError, _Admin, _json
from devidp.config import IdpSettings
from devidp.keys import SigningKey
from devidp.store import PLACEHOLDER_SECRET, IdpStore

_CLIENT_ID_NAMESPACE = uuid.UUID("6c1b1f0e-2f4e-4c59-8d0b-7a0e5b7f3c21")


def client_uuid(realm: str, record: dict[str, Any]) -> str:
    """The client's internal id: stored for clients created here, derived (stable in every
    process) for the realm's built-in clients, which were written without one."""
    stored = record.get("id")
    if isinstance(stored, str) and stored:
        return stored
    return str(uuid.uuid5(_CLIENT_ID_NAMESPACE, f"{realm}/{record['client_id']}"))


def _rep(realm: str, record: dict[str, Any]) -> dict[str, Any]:
    """A Keycloak ClientRepresentation (without the secret, as Keycloak lists clients)."""
    return {
        "id": client_uuid(realm, record),
        "clientId": record["client_id"],
        "name": record.get("name") or "",
        "description": record.get("description") or "",
        "enabled": record.get("enabled", True) is not False,
        "publicClient": bool(record["public"]),
        "clientAuthenticatorType": "client-secret",
        "serviceAccountsEnabled": bool(record.get("service_account")),
        "directAccessGrantsEnabled": bool(record.get("direct_access_grants")),
        "standardFlowEnabled": False,
        "protocol": "openid-connect",
        "attributes": dict(record.get("attributes") or {}),
    }


def _bad(message: str, field: str) -> AdminError:
    return AdminError(400, {"errorMessage": message, "field": field})


def _not_found() -> AdminError:
    return AdminError(404, {"error": "Could not find client"})


def _string(payload: dict[str, Any], name: str) -> str | None:
    value = payload.get(name)
    if value is not None and not isinstance(value, str):
        raise _bad(f"{name} must be a string", name)
    return value


def _bool(payload: dict[str, Any], name: str) -> bool | None:
    value = payload.get(name)
    if value is not None and not isinstance(value, bool):
        raise _bad(f"{name} must be true or false", name)
    return value


def _attributes(payload: dict[str, Any]) -> dict[str, str] | None:
    value = payload.get("attributes")
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _bad("attributes must map names to strings", "attributes")
    return value


class ClientAdmin:
    """The client operations, each a blocking call on the store (run in a thread)."""

    def __init__(self, store: IdpStore) -> None:
        self.store = store

    def _realm(self, realm: str) -> None:
        if not self.store.has_realm(realm):
            raise AdminError(404, {"error": "Realm not found."})

    def _find(self, data: dict[str, Any], realm: str, internal_id: str) -> dict[str, Any]:
        for record in data["clients"].values():
            if client_uuid(realm, record) == internal_id:
                return record  # type: ignore[no-any-return]
        raise _not_found()

    def list_clients(self, realm: str, params: dict[str, str]) -> list[dict[str, Any]]:
        self._realm(realm)
        records = list(self.store._read(realm).data["clients"].values())
        wanted = params.get("clientId")
        if wanted:
            if params.get("search", "false").lower() == "true":
                records = [r for r in records if wanted.lower() in r["client_id"].lower()]
            else:
                records = [r for r in records if r["client_id"] == wanted]
        records.sort(key=lambda r: str(r["client_id"]))
        return [_rep(realm, r) for r in records]

    def create_client(self, realm: str, payload: Any) -> str:
        self._realm(realm)
        if not isinstance(payload, dict):
            raise _bad("a ClientRepresentation is expected", "clientId")
        client_id = _string(payload, "clientId")
        if not client_id or len(client_id) > 255 or any(ch.isspace() for ch in client_id):
            raise _bad("clientId is required, without spaces", "clientId")
        public = _bool(payload, "publicClient") is True
        secret = _string(payload, "secret")
        service_account = _bool(payload, "serviceAccountsEnabled") is True
        record = {
            "id": str(uuid.uuid4()),
            "client_id": client_id,
            "name": _string(payload, "name") or "",
            "description": _string(payload, "description") or "",
            "enabled": _bool(payload, "enabled") is not False,
            "public": public,
            "secret": None
            if public
            else (secret if secret and secret != PLACEHOLDER_SECRET else secrets.token_urlsafe(32)),
            "direct_access_grants": _bool(payload, "directAccessGrantsEnabled") is True,
            "service_account": service_account,
            "service_account_user_id": str(uuid.uuid4()) if service_account else None,
            "service_account_roles": [],
            "attributes": _attributes(payload) or {},
        }
        with self.store._mutate(realm) as data:
            if client_id in data["clients"]:
                raise AdminError(
                    409, {"errorMessage": f"Client {client_id} already exists"}
                ) from None
            data["clients"][client_id] = record
        return str(record["id"])

    def get_client(self, realm: str, internal_id: str) -> dict[str, Any]:
        self._realm(realm)
        return _rep(realm, self._find(self.store._read(realm).data, realm, internal_id))

    def update_client(self, realm: str, internal_id: str, payload: Any) -> None:
        self._realm(realm)
        if not isinstance(payload, dict):
            raise _bad("a ClientRepresentation is expected", "clientId")
        enabled = _bool(payload, "enabled")
        name = _string(payload, "name")
        description = _string(payload, "description")
        attributes = _attributes(payload)
        with self.store._mutate(realm) as data:
            record = self._find(data, realm, internal_id)
            client_id = _string(payload, "clientId")
            if client_id is not None and client_id != record["client_id"]:
                raise _bad("clientId cannot be changed here", "clientId")
            record["id"] = client_uuid(realm, record)
            for key, value in (
                ("enabled", enabled),
                ("name", name),
                ("description", description),
            ):
                if value is not None:
                    record[key] = value
            if attributes is not None:
                # Keycloak merges the attributes it is sent into the client's.
                record["attributes"] = {**(record.get("attributes") or {}), **attributes}

    def delete_client(self, realm: str, internal_id: str) -> None:
        self._realm(realm)
        with self.store._mutate(realm) as data:
            record = self._find(data, realm, internal_id)
            del data["clients"][record["client_id"]]

    def _secret_rep(self, record: dict[str, Any]) -> dict[str, Any]:
        if record["public"]:
            raise AdminError(400, {"error": "Public client has no secret"})
        return {"type": "secret", "value": record["secret"]}

    def get_secret(self, realm: str, internal_id: str) -> dict[str, Any]:
        self._realm(realm)
        return self._secret_rep(self._find(self.store._read(realm).data, realm, internal_id))

    def regenerate_secret(self, realm: str, internal_id: str) -> dict[str, Any]:
        self._realm(realm)
        with self.store._mutate(realm) as data:
            record = self._find(data, realm, internal_id)
            if not record["public"]:
                record["id"] = client_uuid(realm, record)
                record["secret"] = secrets.token_urlsafe(32)
            return self._secret_rep(record)


def install_client_admin_api(
    app: FastAPI, store: IdpStore, key: SigningKey, settings: IdpSettings
) -> None:
    """Add the ``/admin/realms/{realm}/clients`` routes to ``app`` (errors are rendered by
    :func:`devidp.admin.install_admin_api`, which must be installed too)."""
    authority = _Admin(store, key, settings)
    clients = ClientAdmin(store)

    async def authorised(request: Request) -> None:
        await run_in_threadpool(authority.authorise, request.headers.get("authorization", ""))

    router = APIRouter(prefix="/admin/realms/{realm}/clients", dependencies=[Depends(authorised)])

    @router.get("")
    async def list_clients(realm: str, request: Request) -> Response:
        found = await run_in_threadpool(clients.list_clients, realm, dict(request.query_params))
        return JSONResponse(found)

    @router.post("")
    async def create_client(realm: str, request: Request) -> Response:
        internal_id = await run_in_threadpool(clients.create_client, realm, await _json(request))
        base = str(request.base_url).rstrip("/")
        location = f"{base}/admin/realms/{realm}/clients/{internal_id}"
        return Response(status_code=201, headers={"Location": location})

    @router.get("/{internal_id}")
    async def get_client(realm: str, internal_id: str) -> Response:
        return JSONResponse(await run_in_threadpool(clients.get_client, realm, internal_id))

    @router.put("/{internal_id}")
    async def update_client(realm: str, internal_id: str, request: Request) -> Response:
        payload = await _json(request)
        await run_in_threadpool(clients.update_client, realm, internal_id, payload)
        return Response(status_code=204)

    @router.delete("/{internal_id}")
    async def delete_client(realm: str, internal_id: str) -> Response:
        await run_in_threadpool(clients.delete_client, realm, internal_id)
        return Response(status_code=204)

    @router.get("/{internal_id}/client-secret")
    async def get_secret(realm: str, internal_id: str) -> Response:
        return JSONResponse(await run_in_threadpool(clients.get_secret, realm, internal_id))

    @router.post("/{internal_id}/client-secret")
    async def regenerate_secret(realm: str, internal_id: str) -> Response:
        rep = await run_in_threadpool(clients.regenerate_secret, realm, internal_id)
        return JSONResponse(rep)

    app.include_router(router)
