"""Identity's identity provider: Keycloak's admin REST API and OpenID Connect endpoints, in every
mode. The embedded platform's development IdP (``devidp``) speaks the same API, so development
runs production's adapter."""

from __future__ import annotations

from lokos import secretfiles
from services.identity.config import IdentitySettings
from services.identity.idp.keycloak import KeycloakAdapter
from services.identity.idp.port import IdentityProvider


def identity_provider(settings: IdentitySettings) -> IdentityProvider:
    """The provider at ``LOKOS_KEYCLOAK_URL`` (else the development IdP at ``LOKOS_IDP_URL``),
        administered as ``LOKOS_KEYCLOAK_ADMIN_USER`` / ``LOKOS_KEYCLOAK_ADMIN_PASSWORD`` of its
        master realm (the development IdP's password: the one generated into the data folder when
    none is configured). The caller closes the provider (``await provider.close()``)."""
    password = settings.keycloak_admin_password
    if not password and not settings.keycloak_url:
        password = secretfiles.token(settings.data_dir / secretfiles.DEV_IDP_ADMIN_PASSWORD, 24)
    return KeycloakAdapter(
        settings.keycloak_url or settings.idp_url, settings.keycloak_admin_user, password
    )
