"""Which identity provider identity talks to: Keycloak when configured, else the embedded IdP."""

from __future__ import annotations

import httpx

from services.identity.config import IdentitySettings
from services.identity.idp.port import IdentityProvider

# Seconds for one request to the embedded IdP (logins hash passwords: allow a little).
_EMBEDDED_TIMEOUT = 15.0


def identity_provider(settings: IdentitySettings) -> IdentityProvider:
    """The :class:`IdentityProvider` of these settings.

    ``LOKOS_KEYCLOAK_URL`` set: Keycloak at that URL, administered as
    ``LOKOS_KEYCLOAK_ADMIN_USER`` / ``LOKOS_KEYCLOAK_ADMIN_PASSWORD`` of its master realm.
    Otherwise the embedded IdP: its store under ``data_dir/idp`` for the realms of
    ``LOKOS_IDP_REALMS``, its OpenID Connect endpoints under ``LOKOS_IDP_URL``.
    The caller closes the provider (``await provider.close()``).
    """
    if settings.keycloak_url:
        from services.identity.idp.keycloak import KeycloakAdapter

        return KeycloakAdapter(
            settings.keycloak_url,
            settings.keycloak_admin_user,
            settings.keycloak_admin_password,
        )
    from services.identity.idp.embedded import EmbeddedAdapter

    realms = [realm.strip() for realm in settings.idp_realms.split(",") if realm.strip()]
    return EmbeddedAdapter(
        settings.data_dir / "idp",
        realms,
        settings.idp_url,
        httpx.AsyncClient(timeout=_EMBEDDED_TIMEOUT),
        close_http=True,
    )
