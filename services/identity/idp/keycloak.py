"""The identity-provider port on Keycloak, through python-keycloak's asynchronous API.

Admin operations use Keycloak's admin REST API as the administrator of ``admin_realm``
(``master``, client ``admin-cli``, password grant), one :class:`KeycloakAdmin` per target realm
(python-keycloak binds an admin client to one realm). Logins, refreshes and logouts use the
realm's OpenID Connect endpoints as the given (public) client, one :class:`KeycloakOpenID` per
realm and client.

Error mapping: the provider's ``invalid_grant`` is :class:`InvalidCredentials` (wrong password,
unknown, disabled or not fully set-up user; ended session on refresh); no connection, 5xx, a
refused admin login or any other unexpected answer is :class:`IdpUnavailable`; an unknown user
is ``NotFound``; an unknown role or a password Keycloak refuses is ``ValidationFailed``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from typing import Any, TypeVar

import jwt
from keycloak import KeycloakAdmin, KeycloakOpenID, KeycloakOpenIDConnection
from keycloak.connection import ConnectionManager
from keycloak.exceptions import KeycloakConnectionError, KeycloakError

from lokos.errors import Conflict, LokosError, NotFound, ValidationFailed
from services.identity.idp.port import IdpUnavailable, InvalidCredentials, TokenSet

T = TypeVar("T")

# The realm roles Keycloak maps to every user itself; set_roles never removes them.
BUILTIN_ROLES = ("offline_access", "uma_authorization")


def builtin_roles(realm: str) -> frozenset[str]:
    return frozenset({f"default-roles-{realm}", *BUILTIN_ROLES})


# ------------------------------------------------------------------ token responses


def session_id_of(body: dict[str, Any]) -> str:
    """The provider's session id of a token response: the access token's ``sid`` claim
    (read without verification: the token comes straight from the provider), else the
    response's ``session_state``."""
    try:
        claims = jwt.decode(str(body.get("access_token", "")), options={"verify_signature": False})
    except jwt.InvalidTokenError:
        claims = {}
    sid = claims.get("sid") or body.get("session_state") or ""
    return str(sid)


def token_set(body: dict[str, Any]) -> TokenSet:
    """A :class:`TokenSet` of an OAuth 2.0 token response."""
    try:
        return TokenSet(
            access_token=str(body["access_token"]),
            refresh_token=str(body.get("refresh_token", "")),
            expires_in=int(body.get("expires_in", 0)),
            refresh_expires_in=int(body.get("refresh_expires_in", 0)),
            token_type=str(body.get("token_type", "Bearer")),
            session_id=session_id_of(body),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise IdpUnavailable("the identity provider sent an unreadable token response") from exc


def error_of(body: bytes | str | None) -> tuple[str, str]:
    """``(error, description)`` of a Keycloak error body (OAuth ``error``/``error_description``
    or admin API ``errorMessage``); empty strings when absent."""
    try:
        parsed = json.loads(body or b"")
    except ValueError:
        return "", ""
    if not isinstance(parsed, dict):
        return "", ""
    error = str(parsed.get("error") or parsed.get("errorMessage") or "")
    return error, str(parsed.get("error_description") or "")


def realm_not_found(realm: str) -> NotFound:
    return NotFound(f"realm {realm!r} does not exist", code="realm_not_found")


def oauth_error(status: int, body: bytes | str | None, action: str) -> LokosError:
    """The LokOS error of a failed token or logout request (RFC 6749 §5.2 error body)."""
    error, description = error_of(body)
    if error == "invalid_grant":
        # The provider's description (account disabled, not fully set up, …) is left out on
        # purpose: one answer for every refused login reveals nothing about the account.
        detail = {
            "login": "Wrong user ID or password",
            "refresh": "The session has ended; log in again",
        }.get(action, "Invalid grant")
        return InvalidCredentials(detail)
    reason = f"{error}: {description}" if error else f"HTTP {status}"
    return IdpUnavailable(f"the identity provider refused the {action} ({reason})")


# ------------------------------------------------------------------ the adapter


def _split_name(name: str) -> tuple[str, str]:
    first, _, last = name.strip().partition(" ")
    return first, last.strip()


def _profile(email: str, name: str) -> dict[str, str]:
    """UserRepresentation fields of the profile; empty values are left out (unchanged)."""
    first, last = _split_name(name)
    fields = {"email": email, "firstName": first, "lastName": last}
    return {key: value for key, value in fields.items() if value}


class KeycloakAdapter:
    """:class:`~services.identity.idp.port.IdentityProvider` on a Keycloak server."""

    def __init__(
        self,
        server_url: str,
        admin_username: str,
        admin_password: str,
        admin_realm: str = "master",
        admin_client_id: str = "admin-cli",
        verify: bool | str = True,
        *,
        timeout: int = 30,
    ) -> None:
        # python-keycloak joins paths with urljoin: the base must end with a slash.
        self.server_url = server_url.rstrip("/") + "/"
        self._admin_username = admin_username
        self._admin_password = admin_password
        self._admin_realm = admin_realm
        self._admin_client_id = admin_client_id
        self._verify = verify
        self._timeout = timeout
        self._admins: dict[str, KeycloakAdmin] = {}
        self._clients: dict[tuple[str, str], KeycloakOpenID] = {}

    def __repr__(self) -> str:
        return f"KeycloakAdapter({self.server_url!r}, admin={self._admin_username!r})"

    # -------------------------------------------------------------- plumbing

    async def _admin(self, realm: str) -> KeycloakAdmin:
        """The admin client of ``realm``, logged in (as the administrator of admin_realm)."""
        admin = self._admins.get(realm)
        if admin is None:
            connection = KeycloakOpenIDConnection(
                server_url=self.server_url,
                username=self._admin_username,
                password=self._admin_password,
                realm_name=realm,
                user_realm_name=self._admin_realm,
                client_id=self._admin_client_id,
                verify=self._verify,
                timeout=self._timeout,
            )
            admin = KeycloakAdmin(connection=connection)
            self._admins[realm] = admin
        if admin.connection.token is None:
            await self._call("admin login", admin.connection.a_get_token())
        return admin

    def _openid(self, realm: str, client_id: str) -> KeycloakOpenID:
        client = self._clients.get((realm, client_id))
        if client is None:
            client = KeycloakOpenID(
                server_url=self.server_url,
                realm_name=realm,
                client_id=client_id,
                verify=self._verify,
                timeout=self._timeout,
            )
            self._clients[(realm, client_id)] = client
        return client

    @staticmethod
    async def _call(action: str, call: Awaitable[T], *, not_found: LokosError | None = None) -> T:
        """Await an admin call, translating python-keycloak's errors."""
        try:
            return await call
        except KeycloakConnectionError as exc:
            raise IdpUnavailable(f"Keycloak is unreachable ({action})") from exc
        except KeycloakError as exc:
            status = exc.response_code or 0
            if status == 404 and not_found is not None:
                raise not_found from exc
            detail = exc.error_message
            if isinstance(detail, bytes):
                detail = detail.decode("utf-8", "replace")
            raise IdpUnavailable(
                f"Keycloak refused the {action} (HTTP {status}: {detail})"
            ) from exc
        except (TypeError, ValueError, KeyError) as exc:
            raise IdpUnavailable(f"Keycloak sent an unexpected answer ({action})") from exc

    @staticmethod
    async def _oauth(realm: str, action: str, call: Awaitable[dict[str, Any]]) -> dict[str, Any]:
        """Await a token-endpoint call, translating its OAuth errors."""
        try:
            return await call
        except KeycloakConnectionError as exc:
            raise IdpUnavailable(f"Keycloak is unreachable ({action})") from exc
        except KeycloakError as exc:
            if exc.response_code == 404:
                raise realm_not_found(realm) from exc
            raise oauth_error(exc.response_code or 0, exc.response_body, action) from exc
        except (TypeError, ValueError) as exc:
            raise IdpUnavailable(f"Keycloak sent an unexpected answer ({action})") from exc

    async def _user_id(self, admin: KeycloakAdmin, realm: str, user_id: str) -> str | None:
        # GET /admin/realms/{realm}/users?username=…&exact=true (Keycloak lower-cases names).
        found = await self._call(
            "user search", admin.a_get_user_id(user_id), not_found=realm_not_found(realm)
        )
        return str(found) if found is not None else None

    async def _existing_user(self, realm: str, user_id: str) -> tuple[KeycloakAdmin, str]:
        admin = await self._admin(realm)
        kc_id = await self._user_id(admin, realm, user_id)
        if kc_id is None:
            raise NotFound(f"user {user_id} does not exist in realm {realm}", code="user_not_found")
        return admin, kc_id

    # -------------------------------------------------------------- users

    async def ensure_user(
        self,
        realm: str,
        user_id: str,
        *,
        enabled: bool = True,
        roles: list[str] | None = None,
        email: str = "",
        name: str = "",
    ) -> str:
        """Create or update the user; an empty ``email`` or ``name`` leaves the stored one,
        ``roles=None`` leaves the role mappings. ``name`` is split at its first space into
        firstName and lastName."""
        admin = await self._admin(realm)
        payload: dict[str, Any] = {"username": user_id, "enabled": enabled, **_profile(email, name)}
        kc_id = await self._user_id(admin, realm, user_id)
        created = False
        if kc_id is None:
            kc_id = await self._call("user creation", _create_user(admin, payload))
            created = kc_id is not None
            if kc_id is None:  # 409: created concurrently, update that one
                kc_id = await self._user_id(admin, realm, user_id)
                if kc_id is None:
                    raise IdpUnavailable("Keycloak reports a conflicting user it cannot find")
        if not created:
            await self._call("user update", admin.a_update_user(kc_id, payload))
        if roles is not None:
            await self._set_roles(admin, realm, kc_id, roles)
        return kc_id

    async def set_password(
        self, realm: str, user_id: str, password: str, *, temporary: bool = False
    ) -> None:
        admin, kc_id = await self._existing_user(realm, user_id)
        refused = await self._call(
            "password reset", _reset_password(admin, kc_id, password, temporary)
        )
        if refused is not None:  # e.g. the realm's password policy
            raise ValidationFailed.one("password", f"Keycloak refused the password: {refused}")

    async def set_enabled(self, realm: str, user_id: str, enabled: bool) -> None:
        admin, kc_id = await self._existing_user(realm, user_id)
        await self._call("user update", admin.a_update_user(kc_id, {"enabled": enabled}))

    async def clear_login_failures(self, realm: str, user_id: str) -> None:
        admin, kc_id = await self._existing_user(realm, user_id)
        # DELETE /admin/realms/{realm}/attack-detection/brute-force/users/{id}
        await self._call("brute-force reset", admin.a_clear_bruteforce_attempts_for_user(kc_id))

    async def username_of(self, realm: str, subject: str) -> str | None:
        admin = await self._admin(realm)
        # GET /admin/realms/{realm}/users/{id}
        try:
            rep = await self._call(
                "user lookup",
                admin.a_get_user(subject),
                not_found=_NoSuchUser("no such user", code="user_not_found"),
            )
        except _NoSuchUser:
            return None
        username = rep.get("username")
        return str(username).upper() if username else None

    async def set_roles(self, realm: str, user_id: str, roles: list[str]) -> None:
        admin, kc_id = await self._existing_user(realm, user_id)
        await self._set_roles(admin, realm, kc_id, roles)

    async def _set_roles(
        self, admin: KeycloakAdmin, realm: str, kc_id: str, roles: list[str]
    ) -> None:
        builtin = builtin_roles(realm)
        wanted = set(roles) - builtin
        # GET /admin/realms/{realm}/roles: RoleRepresentations with the ids role-mapping needs.
        defined = {
            str(rep["name"]): rep
            for rep in await self._call("role listing", admin.a_get_realm_roles())
        }
        unknown = sorted(wanted - set(defined))
        if unknown:
            raise ValidationFailed.one(
                "roles", f"roles {', '.join(unknown)} are not defined in realm {realm}"
            )
        current = {
            str(rep["name"])
            for rep in await self._call(
                "role mapping listing", admin.a_get_realm_roles_of_user(kc_id)
            )
        }
        extra = sorted(current - wanted - builtin)
        missing = sorted(wanted - current)
        if missing:
            reps = [_role_ref(defined[name]) for name in missing]
            await self._call("role mapping", admin.a_assign_realm_roles(kc_id, reps))
        if extra:
            reps = [_role_ref(defined.get(name, {"name": name})) for name in extra]
            await self._call("role unmapping", admin.a_delete_realm_roles_of_user(kc_id, reps))

    async def end_sessions(self, realm: str, user_id: str) -> None:
        admin, kc_id = await self._existing_user(realm, user_id)
        # POST /admin/realms/{realm}/users/{id}/logout
        await self._call("logout of every session", admin.a_user_logout(kc_id))

    # -------------------------------------------------------------- tokens

    async def password_login(
        self, realm: str, client_id: str, username: str, password: str
    ) -> TokenSet:
        client = self._openid(realm, client_id)
        body = await self._oauth(
            realm, "login", client.a_token(username, password, grant_type="password")
        )
        return token_set(body)

    async def refresh(self, realm: str, client_id: str, refresh_token: str) -> TokenSet:
        client = self._openid(realm, client_id)
        return token_set(await self._oauth(realm, "refresh", client.a_refresh_token(refresh_token)))

    async def logout(self, realm: str, client_id: str, refresh_token: str) -> bool:
        """End the refresh token's session; a token that no longer works is already out."""
        client = self._openid(realm, client_id)
        try:
            await self._oauth(realm, "logout", client.a_logout(refresh_token))
        except InvalidCredentials:
            return False
        return True

    # -------------------------------------------------------------- registered API clients

    async def _client_uuid(self, realm: str, client_id: str) -> tuple[KeycloakAdmin, str]:
        admin = await self._admin(realm)
        # GET /admin/realms/{realm}/clients?clientId=…
        internal = await self._call(
            "client search", admin.a_get_client_id(client_id), not_found=realm_not_found(realm)
        )
        if internal is None:
            raise NotFound(
                f"client {client_id} does not exist in realm {realm}", code="client_not_found"
            )
        return admin, str(internal)

    async def create_service_client(
        self, realm: str, client_id: str, *, name: str, attributes: dict[str, str]
    ) -> str:
        admin = await self._admin(realm)
        payload = service_client_representation(client_id, name, attributes)
        # POST /admin/realms/{realm}/clients → 201 + Location …/clients/{id}
        internal = await self._call("client creation", _create_client(admin, payload))
        if internal is None:
            raise Conflict(f"client {client_id} already exists", code="client_exists")
        # GET …/clients/{id}/client-secret → CredentialRepresentation {type, value}
        rep = await self._call("client secret", admin.a_get_client_secrets(internal))
        return str(rep["value"])

    async def rotate_client_secret(self, realm: str, client_id: str) -> str:
        admin, internal = await self._client_uuid(realm, client_id)
        # POST …/clients/{id}/client-secret → the new CredentialRepresentation
        rep = await self._call("client secret rotation", admin.a_generate_client_secrets(internal))
        return str(rep["value"])

    async def set_client_enabled(self, realm: str, client_id: str, enabled: bool) -> None:
        admin, internal = await self._client_uuid(realm, client_id)
        # PUT …/clients/{id} with the fields to change
        await self._call(
            "client update",
            admin.a_update_client(internal, {"clientId": client_id, "enabled": enabled}),
        )

    async def delete_client(self, realm: str, client_id: str) -> None:
        admin, internal = await self._client_uuid(realm, client_id)
        # DELETE …/clients/{id}
        await self._call("client deletion", admin.a_delete_client(internal))

    # -------------------------------------------------------------- realms

    async def ensure_realm(self, representation: dict[str, Any]) -> bool:
        """Import the realm (``POST /admin/realms``); ``False`` when it already exists."""
        admin = await self._admin(self._admin_realm)
        return await self._call("realm creation", _import_realm(admin, representation))

    async def create_realm(self, representation: dict[str, Any]) -> None:
        await self.ensure_realm(representation)

    async def close(self) -> None:
        clients: list[ConnectionManager] = []
        for admin in self._admins.values():
            # The admin connection, and the OpenID client it logs in with.
            clients += [admin.connection, admin.connection.keycloak_openid.connection]
        clients += [client.connection for client in self._clients.values()]
        self._admins.clear()
        self._clients.clear()
        for connection in clients:
            await connection.aclose()


class _NoSuchUser(NotFound):
    """A user id the provider does not know (an expected answer of a lookup)."""


def _role_ref(rep: dict[str, Any]) -> dict[str, Any]:
    """What the role-mapping endpoints need of a RoleRepresentation: its id and name."""
    return {key: rep[key] for key in ("id", "name") if key in rep}


# Calls whose expected refusals are answers; any other error goes to KeycloakAdapter._call.


async def _create_user(admin: KeycloakAdmin, payload: dict[str, Any]) -> str | None:
    """``POST /admin/realms/{realm}/users``: the new id, ``None`` on 409 (username taken)."""
    try:
        return str(await admin.a_create_user(payload))
    except KeycloakError as exc:
        if exc.response_code == 409:
            return None
        raise


async def _reset_password(
    admin: KeycloakAdmin, kc_id: str, password: str, temporary: bool
) -> str | None:
    """``PUT …/users/{id}/reset-password``: ``None``, or Keycloak's reason on 400."""
    try:
        await admin.a_set_user_password(kc_id, password, temporary=temporary)
    except KeycloakError as exc:
        if exc.response_code == 400:
            error, description = error_of(exc.response_body)
            return description or error or "no reason given"
        raise
    return None


async def _import_realm(admin: KeycloakAdmin, representation: dict[str, Any]) -> bool:
    """``POST /admin/realms``: ``True`` when created, ``False`` on 409 (the realm exists)."""
    try:
        await admin.a_create_realm(representation)
    except KeycloakError as exc:
        if exc.response_code == 409:
            return False
        raise
    return True


# ------------------------------------------------------------------ registered API clients

# Every registered API client's tokens must name the gateway as audience (the gateway checks
# ``aud``); Keycloak adds a client id to ``aud`` through an audience protocol mapper.
GATEWAY_AUDIENCE = "lokos-gateway"


def service_client_representation(
    client_id: str, name: str, attributes: dict[str, str]
) -> dict[str, Any]:
    """The ClientRepresentation of a registered API client: confidential, service account
    (client-credentials grant) only, no browser or password flows, the gateway in ``aud``."""
    return {
        "clientId": client_id,
        "name": name,
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "clientAuthenticatorType": "client-secret",
        "serviceAccountsEnabled": True,
        "standardFlowEnabled": False,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "attributes": attributes,
        "protocolMappers": [
            {
                "name": "gateway audience",
                "protocol": "openid-connect",
                "protocolMapper": "oidc-audience-mapper",
                "config": {
                    "included.client.audience": GATEWAY_AUDIENCE,
                    "access.token.claim": "true",
                    "id.token.claim": "false",
                },
            }
        ],
    }


async def _create_client(admin: KeycloakAdmin, payload: dict[str, Any]) -> str | None:
    """``POST /admin/realms/{realm}/clients``: the new internal id, ``None`` on 409."""
    try:
        return str(await admin.a_create_client(payload))
    except KeycloakError as exc:
        if exc.response_code == 409:
            return None
        raise
