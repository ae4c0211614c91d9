"""Keycloak's admin REST API, the subset LokOS uses, over the embedded IdP's store.

So that code written for Keycloak's admin API (identity's ``KeycloakAdapter``, through
python-keycloak) runs against the development IdP unchanged. Paths, JSON representations and
status codes follow Keycloak's documented Admin REST API:

==================================================  ==========================================
``POST /admin/realms``                              Realms Admin: import a realm (201, 409)
``GET /admin/realms/{realm}``                       Realms Admin: the realm (404)
``GET /admin/realms/{realm}/users``                 Users: search (``username``, ``exact``,
                                                    ``search``, ``email``, ``enabled``,
                                                    ``first``, ``max``)
``POST /admin/realms/{realm}/users``                Users: create (201 + Location, 409)
``GET|PUT|DELETE /admin/realms/{realm}/users/{id}``  Users: read, update (204), delete (204)
``PUT …/users/{id}/reset-password``                 Users: set a password (204)
``POST …/users/{id}/logout``                        Users: end every session (204)
``GET /admin/realms/{realm}/roles[/{name}]``        Roles: realm roles
``GET|POST|DELETE …/users/{id}/role-mappings/realm``  Role Mapper: realm role mappings (204)
==================================================  ==========================================

Every request needs ``Authorization: Bearer <access token>`` of the ``master`` realm's
``admin`` user (password grant of the public client ``admin-cli``), as with Keycloak; else 401
(403 without the ``admin`` realm role). The password is ``LOKOS_IDP_ADMIN_PASSWORD`` or,
when that is empty, generated at first start into ``data_dir/idp/admin-password`` (mode 0600).

The store stays the single source of truth: this module only translates representations.
Not emulated: user attributes, groups, client roles, federated identities, password policies,
realm settings beyond name, display name and roles (a disabled realm still issues tokens; token
lifespans are the IdP's own), updates of a realm, and credentials in ``PUT …/users/{id}``.
Keycloak's built-in realm roles (``default-roles-<realm>``, ``offline_access``,
``uma_authorization``) are listed and every user has ``default-roles-<realm>`` mapped, but
mapping or unmapping them is a no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import jwt
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from devidp.config import IdpSettings
from devidp.keys import ALGORITHM, SigningKey
from devidp.store import (
    MASTER_REALM,
    UPDATE_PASSWORD,
    IdpStore,
    RealmRole,
    User,
    default_role_names,
)
from lokos.errors import Conflict, NotFound, ValidationFailed

ADMIN_USERNAME = "admin"
ADMIN_ROLE = "admin"
# Keycloak's default page size of user searches.
DEFAULT_MAX_RESULTS = 100

T = TypeVar("T")


class AdminError(Exception):
    """An error answer of the admin API, with Keycloak's JSON body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(str(body))
        self.status = status
        self.body = body

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status)


def _unauthorized() -> AdminError:
    return AdminError(401, {"error": "HTTP 401 Unauthorized"})


def _bad_request(message: str, field: str | None = None) -> AdminError:
    body: dict[str, Any] = {"errorMessage": message}
    if field is not None:
        body["field"] = field
    return AdminError(400, body)


def _role_not_found() -> AdminError:
    return AdminError(404, {"error": "Role not found"})


# ------------------------------------------------------------------ representations


def _user_rep(user: User) -> dict[str, Any]:
    """A Keycloak UserRepresentation (usernames are shown lower-case, as Keycloak stores them)."""
    rep: dict[str, Any] = {
        "id": user.id,
        "username": user.username.lower(),
        "enabled": user.enabled,
        "emailVerified": False,
        "createdTimestamp": user.created_at * 1000,
        "totp": False,
        "disableableCredentialTypes": [],
        "requiredActions": list(user.required_actions),
        "notBefore": 0,
    }
    for key, value in (
        ("email", user.email),
        ("firstName", user.first_name),
        ("lastName", user.last_name),
    ):
        if value:
            rep[key] = value
    return rep


def _role_rep(realm: str, role: RealmRole, *, brief: bool = True) -> dict[str, Any]:
    """A Keycloak RoleRepresentation of a realm role."""
    rep: dict[str, Any] = {
        "id": role.id(realm),
        "name": role.name,
        "description": role.description,
        "composite": role.name == default_role_names(realm)[0],
        "clientRole": False,
        "containerId": realm,
    }
    if not brief:
        rep["attributes"] = role.attributes
    return rep


def _builtin_roles(realm: str) -> list[RealmRole]:
    default, offline, uma = default_role_names(realm)
    return [
        RealmRole(default, "${role_default-roles}"),
        RealmRole(offline, "${role_offline-access}"),
        RealmRole(uma, "${role_uma_authorization}"),
    ]


def _all_roles(store: IdpStore, realm: str) -> list[RealmRole]:
    return [*_builtin_roles(realm), *store.realm_roles(realm)]


def _flag(params: dict[str, str], name: str) -> bool | None:
    value = params.get(name)
    return None if value is None else value.lower() == "true"


def _int(params: dict[str, str], name: str, default: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return max(0, int(value))
    except ValueError:
        raise AdminError(400, {"error": f"invalid {name}"}) from None


def _str_field(payload: dict[str, Any], name: str) -> str | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad_request(f"{name} must be a string", name)
    return value


def _bool_field(payload: dict[str, Any], name: str) -> bool | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise _bad_request(f"{name} must be true or false", name)
    return value


def _actions_field(payload: dict[str, Any]) -> list[str] | None:
    value = payload.get("requiredActions")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        raise _bad_request("requiredActions must be a list of strings", "requiredActions")
    return value


def _password_credential(credential: Any) -> tuple[str, bool] | None:
    """(value, temporary) of a CredentialRepresentation of type password; None otherwise."""
    if not isinstance(credential, dict) or credential.get("type", "password") != "password":
        return None
    value = credential.get("value")
    if not isinstance(value, str) or not value:
        raise AdminError(400, {"error": "invalid_request", "error_description": "No password"})
    return value, credential.get("temporary") is True


# ------------------------------------------------------------------ operations (blocking)


class _Admin:
    """The admin operations, each one a blocking call on the store (run in a thread)."""

    def __init__(self, store: IdpStore, key: SigningKey, settings: IdpSettings) -> None:
        self.store = store
        self.key = key
        self.settings = settings

    # -- authorisation

    def authorise(self, authorization: str) -> None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized()
        try:
            claims = jwt.decode(
                token.strip(),
                self.key.public_key,
                algorithms=[ALGORITHM],
                issuer=self.settings.issuer(MASTER_REALM),
                options={"verify_aud": False, "require": ["exp", "iat", "sub", "typ"]},
            )
        except jwt.InvalidTokenError:
            raise _unauthorized() from None
        if claims.get("typ") != "Bearer":
            raise _unauthorized()
        sid = claims.get("sid")
        if not isinstance(sid, str) or self.store.get_session(MASTER_REALM, sid) is None:
            raise _unauthorized()
        user = self.store.get_user_by_id(MASTER_REALM, str(claims["sub"]))
        if user is None or not user.enabled:
            raise _unauthorized()
        if ADMIN_ROLE not in user.realm_roles:
            raise AdminError(403, {"error": "HTTP 403 Forbidden"})

    # -- helpers

    def _realm(self, realm: str) -> None:
        if not self.store.has_realm(realm):
            raise AdminError(404, {"error": "Realm not found."})

    def _user(self, realm: str, user_id: str) -> User:
        self._realm(realm)
        user = self.store.get_user_by_id(realm, user_id)
        if user is None:
            raise AdminError(404, {"error": "User not found"})
        return user

    def _mapped_roles(self, realm: str, payload: Any) -> list[RealmRole]:
        """The roles of a list of RoleRepresentations; like Keycloak, name and id must match."""
        if not isinstance(payload, list):
            raise AdminError(400, {"error": "a list of roles is expected"})
        known = {role.name: role for role in _all_roles(self.store, realm)}
        roles = []
        for rep in payload:
            if not isinstance(rep, dict):
                raise _role_not_found()
            role = known.get(str(rep.get("name")))
            if role is None or rep.get("id") != role.id(realm):
                raise _role_not_found()
            roles.append(role)
        return roles

    # -- realms

    def create_realm(self, payload: Any) -> str:
        if not isinstance(payload, dict):
            raise _bad_request("a RealmRepresentation is expected")
        try:
            created = self.store.import_realm(payload)
        except ValidationFailed as exc:
            field = exc.field_errors[0].field if exc.field_errors else None
            raise _bad_request(exc.detail, field) from None
        if not created:
            raise AdminError(409, {"errorMessage": "Conflict detected. See logs for details"})
        return str(payload["realm"])

    def get_realm(self, realm: str) -> dict[str, Any]:
        self._realm(realm)
        info = self.store.realm_info(realm)
        rep: dict[str, Any] = {
            "id": realm,
            "realm": realm,
            "enabled": info["enabled"],
            "accessTokenLifespan": self.settings.access_token_lifespan,
            "ssoSessionIdleTimeout": self.settings.refresh_token_lifespan,
        }
        if info["display_name"]:
            rep["displayName"] = info["display_name"]
        return rep

    # -- users

    def search_users(self, realm: str, params: dict[str, str]) -> list[dict[str, Any]]:
        self._realm(realm)
        users = self.store.list_users(realm)
        username = params.get("username")
        exact = _flag(params, "exact") is True
        if username is not None:
            wanted = username.lower()
            users = [
                u
                for u in users
                if (u.username.lower() == wanted if exact else wanted in u.username.lower())
            ]
        email = params.get("email")
        if email is not None:
            wanted = email.lower()
            users = [
                u
                for u in users
                if (u.email.lower() == wanted if exact else wanted in u.email.lower())
            ]
        search = params.get("search")
        if search is not None and search.strip() not in ("", "*"):
            needle = search.strip().strip("*").lower()
            users = [
                u
                for u in users
                if any(
                    needle in value.lower()
                    for value in (u.username, u.email, u.first_name, u.last_name)
                )
            ]
        enabled = _flag(params, "enabled")
        if enabled is not None:
            users = [u for u in users if u.enabled is enabled]
        first = _int(params, "first", 0)
        max_results = _int(params, "max", DEFAULT_MAX_RESULTS)
        return [_user_rep(u) for u in users[first : first + max_results]]

    def create_user(self, realm: str, payload: Any) -> str:
        self._realm(realm)
        if not isinstance(payload, dict):
            raise _bad_request("a UserRepresentation is expected")
        username = _str_field(payload, "username")
        if not username:
            raise _bad_request("error-user-attribute-required", "username")
        password: tuple[str, bool] | None = None
        credentials = payload.get("credentials") or []
        if not isinstance(credentials, list):
            raise _bad_request("credentials must be a list", "credentials")
        for credential in credentials:
            password = _password_credential(credential) or password
        actions = _actions_field(payload) or []
        if password is not None and password[1] and UPDATE_PASSWORD not in actions:
            actions = [*actions, UPDATE_PASSWORD]
        enabled = _bool_field(payload, "enabled")
        # Like Keycloak's admin API, ``realmRoles`` of the representation are not applied here:
        # roles are mapped with the role-mappings endpoints.
        try:
            user = self.store.create_user(
                realm,
                username,
                password[0] if password is not None else None,
                enabled=bool(enabled),
                email=_str_field(payload, "email") or "",
                first_name=_str_field(payload, "firstName") or "",
                last_name=_str_field(payload, "lastName") or "",
                required_actions=actions,
            )
        except Conflict:
            raise AdminError(409, {"errorMessage": "User exists with same username"}) from None
        except ValidationFailed as exc:
            raise _bad_request(exc.detail, "username") from None
        return user.id

    def get_user(self, realm: str, user_id: str) -> dict[str, Any]:
        return _user_rep(self._user(realm, user_id))

    def update_user(self, realm: str, user_id: str, payload: Any) -> None:
        user = self._user(realm, user_id)
        if not isinstance(payload, dict):
            raise _bad_request("a UserRepresentation is expected")
        username = _str_field(payload, "username")
        if username is not None and username.lower() != user.username.lower():
            # Keycloak's default: editUsernameAllowed is off.
            raise _bad_request("error-user-attribute-read-only", "username")
        try:
            self.store.update_user(
                realm,
                user_id,
                enabled=_bool_field(payload, "enabled"),
                email=_str_field(payload, "email"),
                first_name=_str_field(payload, "firstName"),
                last_name=_str_field(payload, "lastName"),
                required_actions=_actions_field(payload),
            )
        except NotFound:
            raise AdminError(404, {"error": "User not found"}) from None

    def delete_user(self, realm: str, user_id: str) -> None:
        self._user(realm, user_id)
        try:
            self.store.delete_user(realm, user_id)
        except NotFound:
            raise AdminError(404, {"error": "User not found"}) from None

    def reset_password(self, realm: str, user_id: str, payload: Any) -> None:
        user = self._user(realm, user_id)
        credential = _password_credential(payload)
        if credential is None:
            raise AdminError(400, {"error": "invalid_request", "error_description": "Bad type"})
        value, temporary = credential
        self.store.set_password(realm, user.username, value, temporary=temporary)

    def logout_user(self, realm: str, user_id: str) -> None:
        user = self._user(realm, user_id)
        self.store.end_user_sessions(realm, user.username)

    # -- attack detection (brute force)

    def brute_force_status(self, realm: str, user_id: str) -> dict[str, Any]:
        self._user(realm, user_id)
        return self.store.login_failures(realm, user_id)

    def clear_brute_force(self, realm: str, user_id: str) -> None:
        self._user(realm, user_id)
        self.store.clear_login_failures_by_id(realm, user_id)

    # -- roles

    def list_roles(self, realm: str, params: dict[str, str]) -> list[dict[str, Any]]:
        self._realm(realm)
        brief = _flag(params, "briefRepresentation") is not False
        roles = _all_roles(self.store, realm)
        search = params.get("search")
        if search:
            roles = [r for r in roles if search.lower() in r.name.lower()]
        first = _int(params, "first", 0)
        max_results = _int(params, "max", len(roles))
        return [_role_rep(realm, r, brief=brief) for r in roles[first : first + max_results]]

    def get_role(self, realm: str, name: str) -> dict[str, Any]:
        self._realm(realm)
        for role in _all_roles(self.store, realm):
            if role.name == name:
                return _role_rep(realm, role, brief=False)
        raise AdminError(404, {"error": "Could not find role"})

    def user_roles(self, realm: str, user_id: str) -> list[dict[str, Any]]:
        user = self._user(realm, user_id)
        defined = {role.name: role for role in self.store.realm_roles(realm)}
        roles = [_builtin_roles(realm)[0]]
        roles += [defined.get(name) or RealmRole(name) for name in user.realm_roles]
        return [_role_rep(realm, role) for role in roles]

    def add_user_roles(self, realm: str, user_id: str, payload: Any) -> None:
        user = self._user(realm, user_id)
        builtin = set(default_role_names(realm))
        added = [r.name for r in self._mapped_roles(realm, payload) if r.name not in builtin]
        if any(name not in user.realm_roles for name in added):
            self.store.set_roles(realm, user.username, [*user.realm_roles, *added])

    def delete_user_roles(self, realm: str, user_id: str, payload: Any) -> None:
        user = self._user(realm, user_id)
        removed = {r.name for r in self._mapped_roles(realm, payload)}
        if removed & set(user.realm_roles):
            kept = [name for name in user.realm_roles if name not in removed]
            self.store.set_roles(realm, user.username, kept)


# ------------------------------------------------------------------ the router


async def _json(request: Request) -> Any:
    body = await request.body()
    if not body:
        return None
    try:
        return await request.json()
    except ValueError:
        raise AdminError(
            400, {"error": "unknown_error", "error_description": "invalid JSON"}
        ) from None


def install_admin_api(
    app: FastAPI, store: IdpStore, key: SigningKey, settings: IdpSettings
) -> None:
    """Add the ``/admin/realms`` routes (and the rendering of their errors) to ``app``."""

    async def render(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AdminError)
        return exc.response()

    app.add_exception_handler(AdminError, render)
    app.include_router(create_admin_router(store, key, settings))


def create_admin_router(store: IdpStore, key: SigningKey, settings: IdpSettings) -> APIRouter:
    """The ``/admin/realms`` routes over ``store``; tokens are checked with ``key``.

    Errors are raised as :class:`AdminError`; :func:`install_admin_api` renders them.
    """
    admin = _Admin(store, key, settings)

    async def authorised(request: Request) -> None:
        await run_in_threadpool(admin.authorise, request.headers.get("authorization", ""))

    router = APIRouter(prefix="/admin/realms", dependencies=[Depends(authorised)])

    async def run(fn: Callable[..., T], *args: Any) -> T:
        return await run_in_threadpool(fn, *args)

    def created(request: Request, *path: str) -> Response:
        base = str(request.base_url).rstrip("/")
        return Response(status_code=201, headers={"Location": "/".join([base, *path])})

    def no_content() -> Response:
        return Response(status_code=204)

    @router.post("")
    async def create_realm(request: Request) -> Response:
        realm = await run(admin.create_realm, await _json(request))
        return created(request, "admin", "realms", realm)

    @router.get("/{realm}")
    async def get_realm(realm: str) -> Response:
        return JSONResponse(await run(admin.get_realm, realm))

    @router.get("/{realm}/users")
    async def search_users(realm: str, request: Request) -> Response:
        return JSONResponse(await run(admin.search_users, realm, dict(request.query_params)))

    @router.post("/{realm}/users")
    async def create_user(realm: str, request: Request) -> Response:
        user_id = await run(admin.create_user, realm, await _json(request))
        return created(request, "admin", "realms", realm, "users", user_id)

    @router.get("/{realm}/users/{user_id}")
    async def get_user(realm: str, user_id: str) -> Response:
        return JSONResponse(await run(admin.get_user, realm, user_id))

    @router.put("/{realm}/users/{user_id}")
    async def update_user(realm: str, user_id: str, request: Request) -> Response:
        await run(admin.update_user, realm, user_id, await _json(request))
        return no_content()

    @router.delete("/{realm}/users/{user_id}")
    async def delete_user(realm: str, user_id: str) -> Response:
        await run(admin.delete_user, realm, user_id)
        return no_content()

    @router.put("/{realm}/users/{user_id}/reset-password")
    async def reset_password(realm: str, user_id: str, request: Request) -> Response:
        await run(admin.reset_password, realm, user_id, await _json(request))
        return no_content()

    @router.post("/{realm}/users/{user_id}/logout")
    async def logout_user(realm: str, user_id: str) -> Response:
        await run(admin.logout_user, realm, user_id)
        return no_content()

    @router.get("/{realm}/attack-detection/brute-force/users/{user_id}")
    async def brute_force_status(realm: str, user_id: str) -> Response:
        return JSONResponse(await run(admin.brute_force_status, realm, user_id))

    @router.delete("/{realm}/attack-detection/brute-force/users/{user_id}")
    async def clear_brute_force(realm: str, user_id: str) -> Response:
        await run(admin.clear_brute_force, realm, user_id)
        return no_content()

    @router.get("/{realm}/roles")
    async def list_roles(realm: str, request: Request) -> Response:
        return JSONResponse(await run(admin.list_roles, realm, dict(request.query_params)))

    @router.get("/{realm}/roles/{name}")
    async def get_role(realm: str, name: str) -> Response:
        return JSONResponse(await run(admin.get_role, realm, name))

    @router.get("/{realm}/users/{user_id}/role-mappings/realm")
    async def user_roles(realm: str, user_id: str) -> Response:
        return JSONResponse(await run(admin.user_roles, realm, user_id))

    @router.post("/{realm}/users/{user_id}/role-mappings/realm")
    async def add_user_roles(realm: str, user_id: str, request: Request) -> Response:
        await run(admin.add_user_roles, realm, user_id, await _json(request))
        return no_content()

    @router.delete("/{realm}/users/{user_id}/role-mappings/realm")
    async def delete_user_roles(realm: str, user_id: str, request: Request) -> Response:
        await run(admin.delete_user_roles, realm, user_id, await _json(request))
        return no_content()

    return router
