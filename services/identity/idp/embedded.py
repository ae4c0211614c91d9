"""The identity-provider port on the embedded development IdP (``devidp``).

Admin operations work directly on the IdP's store (the files under ``data_dir/idp``, shared
safely with the IdP process); logins, refreshes and logouts go over HTTP to the IdP's OpenID
Connect endpoints, exactly as they would to Keycloak, so the tokens are the ones clients get.

``create_realm`` adds the realm to the store from its Keycloak representation (name, display
name, realm roles, clients); the running IdP serves it at once. Roles must be realm roles of
the realm (``ValidationFailed`` otherwise), as with Keycloak.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

from devidp.admin import AdminError
from devidp.clients import ClientAdmin
from devidp.store import IdpStore, User, default_role_names
from lokos.errors import Conflict, NotFound, ValidationFailed
from services.identity.idp.keycloak import (
    oauth_error,
    realm_not_found,
    service_client_representation,
    token_set,
)
from services.identity.idp.port import IdpUnavailable, InvalidCredentials, TokenSet


class EmbeddedAdapter:
    """:class:`~services.identity.idp.port.IdentityProvider` on the embedded IdP."""

    def __init__(
        self,
        idp_dir: Path,
        realms: Iterable[str],
        issuer_base: str,
        http: httpx.AsyncClient,
        *,
        close_http: bool = False,
        password_iterations: int = 27500,
    ) -> None:
        self.store = IdpStore(idp_dir, realms, password_iterations=password_iterations)
        # The embedded IdP's own client administration (what its admin API serves).
        self._clients = ClientAdmin(self.store)
        self.issuer_base = issuer_base.rstrip("/")
        self._http = http
        self._close_http = close_http

    def __repr__(self) -> str:
        return f"EmbeddedAdapter({self.store.directory}, {self.issuer_base!r})"

    # -------------------------------------------------------------- users

    def _check_roles(self, realm: str, roles: list[str]) -> list[str]:
        defined = {role.name for role in self.store.realm_roles(realm)}
        wanted = [r for r in dict.fromkeys(roles) if r not in default_role_names(realm)]
        unknown = sorted(set(wanted) - defined)
        if unknown:
            raise ValidationFailed.one(
                "roles", f"roles {', '.join(unknown)} are not defined in realm {realm}"
            )
        return wanted

    def _ensure_user(
        self,
        realm: str,
        user_id: str,
        enabled: bool,
        roles: list[str] | None,
        email: str,
        name: str,
    ) -> str:
        wanted = self._check_roles(realm, roles) if roles is not None else None
        first, _, last = name.strip().partition(" ")
        profile = {
            "email": email or None,
            "first_name": first or None,
            "last_name": last.strip() or None,
        }
        user: User | None = self.store.get_user(realm, user_id)
        if user is None:
            try:
                user = self.store.create_user(
                    realm,
                    user_id,
                    enabled=enabled,
                    realm_roles=wanted or (),
                    email=profile["email"] or "",
                    first_name=profile["first_name"] or "",
                    last_name=profile["last_name"] or "",
                )
                return user.id
            except Conflict:  # created concurrently: update that one
                user = self.store.get_user(realm, user_id)
                if user is None:
                    raise
        self.store.update_user(realm, user.id, enabled=enabled, **profile)
        if wanted is not None:
            self.store.set_roles(realm, user_id, wanted)
        return user.id

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
        ``roles=None`` leaves the roles (same rules as the Keycloak adapter)."""
        return await asyncio.to_thread(
            self._ensure_user, realm, user_id, enabled, roles, email, name
        )

    async def set_password(
        self, realm: str, user_id: str, password: str, *, temporary: bool = False
    ) -> None:
        await asyncio.to_thread(
            self.store.set_password, realm, user_id, password, temporary=temporary
        )

    async def set_enabled(self, realm: str, user_id: str, enabled: bool) -> None:
        await asyncio.to_thread(self.store.set_enabled, realm, user_id, enabled)

    async def clear_login_failures(self, realm: str, user_id: str) -> None:
        await asyncio.to_thread(self.store.clear_login_failures, realm, user_id)

    def _username_of(self, realm: str, subject: str) -> str | None:
        user = self.store.get_user_by_id(realm, subject)
        return user.preferred_username if user is not None else None

    async def username_of(self, realm: str, subject: str) -> str | None:
        return await asyncio.to_thread(self._username_of, realm, subject)

    def _set_roles(self, realm: str, user_id: str, roles: list[str]) -> None:
        self.store.set_roles(realm, user_id, self._check_roles(realm, roles))

    async def set_roles(self, realm: str, user_id: str, roles: list[str]) -> None:
        await asyncio.to_thread(self._set_roles, realm, user_id, roles)

    async def end_sessions(self, realm: str, user_id: str) -> None:
        await asyncio.to_thread(self.store.end_user_sessions, realm, user_id)

    # -------------------------------------------------------------- tokens

    def _endpoint(self, realm: str, name: str) -> str:
        return f"{self.issuer_base}/realms/{realm}/protocol/openid-connect/{name}"

    async def _post(self, realm: str, endpoint: str, form: dict[str, str], action: str) -> Any:
        try:
            response = await self._http.post(self._endpoint(realm, endpoint), data=form)
        except httpx.HTTPError as exc:
            raise IdpUnavailable(f"the identity provider is unreachable ({action})") from exc
        if response.status_code == 404:
            raise realm_not_found(realm)
        if response.is_error:
            raise oauth_error(response.status_code, response.content, action)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise IdpUnavailable(f"the identity provider sent no JSON ({action})") from exc

    async def password_login(
        self, realm: str, client_id: str, username: str, password: str
    ) -> TokenSet:
        form = {
            "grant_type": "password",
            "client_id": client_id,
            "username": username,
            "password": password,
            "scope": "openid",
        }
        return token_set(await self._post(realm, "token", form, "login"))

    async def refresh(self, realm: str, client_id: str, refresh_token: str) -> TokenSet:
        form = {
            "grant_type": "refresh_token",
            "client_id": client_id,
            "refresh_token": refresh_token,
        }
        return token_set(await self._post(realm, "token", form, "refresh"))

    async def logout(self, realm: str, client_id: str, refresh_token: str) -> bool:
        """End the refresh token's session; a token that no longer works is already out."""
        form = {"client_id": client_id, "refresh_token": refresh_token}
        try:
            await self._post(realm, "logout", form, "logout")
        except InvalidCredentials:
            return False
        return True

    # -------------------------------------------------------------- realms

    async def ensure_realm(self, representation: dict[str, Any]) -> bool:
        """Add the realm to the store; ``False`` when it already exists."""
        return await asyncio.to_thread(self.store.import_realm, representation)

    async def create_realm(self, representation: dict[str, Any]) -> None:
        await self.ensure_realm(representation)

    # -------------------------------------------------------------- registered API clients

    def _internal_id(self, realm: str, client_id: str) -> str:
        found = self._clients.list_clients(realm, {"clientId": client_id})
        if not found:
            raise NotFound(
                f"client {client_id} does not exist in realm {realm}", code="client_not_found"
            )
        return str(found[0]["id"])

    def _create_service_client(
        self, realm: str, client_id: str, name: str, attributes: dict[str, str]
    ) -> str:
        payload = service_client_representation(client_id, name, attributes)
        try:
            internal = self._clients.create_client(realm, payload)
        except AdminError as exc:
            if exc.status == 409:
                raise Conflict(f"client {client_id} already exists", code="client_exists") from None
            raise
        return str(self._clients.get_secret(realm, internal)["value"])

    async def create_service_client(
        self, realm: str, client_id: str, *, name: str, attributes: dict[str, str]
    ) -> str:
        return await asyncio.to_thread(
            self._create_service_client, realm, client_id, name, attributes
        )

    def _rotate(self, realm: str, client_id: str) -> str:
        internal = self._internal_id(realm, client_id)
        return str(self._clients.regenerate_secret(realm, internal)["value"])

    async def rotate_client_secret(self, realm: str, client_id: str) -> str:
        return await asyncio.to_thread(self._rotate, realm, client_id)

    def _set_client_enabled(self, realm: str, client_id: str, enabled: bool) -> None:
        internal = self._internal_id(realm, client_id)
        self._clients.update_client(realm, internal, {"enabled": enabled})

    async def set_client_enabled(self, realm: str, client_id: str, enabled: bool) -> None:
        await asyncio.to_thread(self._set_client_enabled, realm, client_id, enabled)

    def _delete_client(self, realm: str, client_id: str) -> None:
        self._clients.delete_client(realm, self._internal_id(realm, client_id))

    async def delete_client(self, realm: str, client_id: str) -> None:
        await asyncio.to_thread(self._delete_client, realm, client_id)

    async def close(self) -> None:
        if self._close_http:
            await self._http.aclose()
