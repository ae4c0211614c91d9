"""What identity needs from an identity provider, whichever it is.

Users live in the provider under their LokOS user ID (upper case, with the state prefix) as
username. Roles are realm roles named by the catalogue's codes. Block/district scope and CBO
mappings are NOT pushed to the provider: they stay in identity (tokens stay small).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from lokos.errors import LokosError, Unauthenticated


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    token_type: str
    # The provider's session id (the tokens' ``sid``); identity ties mobile sessions to devices.
    session_id: str
    # Set by identity (not the provider) when the password is a temporary one.
    password_change_required: bool = False


class InvalidCredentials(Unauthenticated):
    """Wrong username or password (the provider's ``invalid_grant``)."""

    code = "invalid_credentials"


class IdpUnavailable(LokosError):
    """The provider could not be reached or answered with an unexpected error."""

    code = "idp_unavailable"
    http_status = 503


class IdentityProvider(Protocol):
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
        """Create the user, or update it when it exists; return the provider's user id."""
        ...

    async def set_password(
        self, realm: str, user_id: str, password: str, *, temporary: bool = False
    ) -> None: ...

    async def set_enabled(self, realm: str, user_id: str, enabled: bool) -> None:
        """Enable or disable the user; identity also disables a user it locked (wrong
        passwords), so that the provider's own token endpoint refuses her too."""
        ...

    async def clear_login_failures(self, realm: str, user_id: str) -> None:
        """Forget the provider's own brute-force record of the user (Keycloak: attack
        detection), so that an admin's unlock is an unlock at the provider too."""
        ...

    async def username_of(self, realm: str, subject: str) -> str | None:
        """The username (LokOS user ID) of the provider's user id ``subject`` (a token's
        ``sub``); ``None`` when there is no such user."""
        ...

    async def set_roles(self, realm: str, user_id: str, roles: list[str]) -> None:
        """Make the user's realm roles exactly ``roles`` (catalogue codes)."""
        ...

    async def end_sessions(self, realm: str, user_id: str) -> None:
        """Log the user out everywhere: refresh tokens stop working."""
        ...

    async def password_login(
        self, realm: str, client_id: str, username: str, password: str
    ) -> TokenSet:
        """Raises :class:`InvalidCredentials` on a wrong password or unknown/disabled user."""
        ...

    async def refresh(self, realm: str, client_id: str, refresh_token: str) -> TokenSet: ...

    async def logout(self, realm: str, client_id: str, refresh_token: str) -> bool:
        """End the refresh token's session: ``False`` when the provider refused the token
        (not its own, or — depending on the provider — already ended or expired)."""
        ...

    async def create_realm(self, representation: dict[str, Any]) -> None:
        """Provision a realm from a Keycloak realm representation (idempotent)."""
        ...

    # Registered API clients (departments, banks): confidential clients with a service
    # account and the client-credentials grant. Secrets are returned, never stored by identity.

    async def create_service_client(
        self, realm: str, client_id: str, *, name: str, attributes: dict[str, str]
    ) -> str:
        """Create the client; return its secret. ``Conflict`` when the client id is taken."""
        ...

    async def rotate_client_secret(self, realm: str, client_id: str) -> str:
        """A new secret for the client (the old one stops working); return it."""
        ...

    async def set_client_enabled(self, realm: str, client_id: str, enabled: bool) -> None:
        """A disabled client gets no new tokens."""
        ...

    async def delete_client(self, realm: str, client_id: str) -> None: ...

    async def close(self) -> None: ...
