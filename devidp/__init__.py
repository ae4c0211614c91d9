"""The embedded development identity provider (``devidp``).

A small OpenID Connect server that speaks the subset of Keycloak's protocol LokOS uses:
discovery, JWKS, the token endpoint (password, refresh_token and client_credentials grants),
logout and userinfo, under Keycloak's paths (``/realms/{realm}/protocol/openid-connect/...``).
Tokens carry the same claims a Keycloak realm configured for LokOS issues (RS256, ``kid``,
``realm_access.roles``, ``preferred_username``, ``aud`` = ``lokos-gateway``), so the gateway
cannot tell it from Keycloak.

It also serves the subset of Keycloak's Admin REST API the identity service's Keycloak adapter
uses (``/admin/realms/...``, authorised by a ``master`` realm admin token), so that adapter can
be exercised here for real.

It exists for development and the embedded (single machine) mode only, when no Keycloak is
configured. It keeps its signing key, users, clients and sessions as files under
``data_dir/idp``. It models Keycloak's brute-force detection from the realm's settings; it has
no admin console, no authorization-code flow and no key rotation: never expose it to the
internet or use it in production.
"""
