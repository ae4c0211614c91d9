"""Keycloak realm representations of LokOS, generated from the role catalogue.

One realm per state (``lokos-<state>``: state, district, block and community roles) and one
national realm (``lokos-national``: national roles only). ``lokos realm template`` writes them
to ``deploy/keycloak/`` (imported by Keycloak at start); ``lokos realm create <state>`` provisions
one on a running Keycloak through its admin API.

Client secrets are the placeholder ``**********``: set real ones in Keycloak after import.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
from typing import Any

from lokos import catalogue

NATIONAL_REALM = "lokos-national"
REALM_PREFIX = "lokos-"
# A confidential client's secret in the templates is a placeholder, never a value: Keycloak's
# start-up import (--import-realm) and the operator's KeycloakRealmImport (spec.placeholders)
# replace ``${VARIABLE}`` from the deployment's environment or secret, so each deployment
# gets its own generated secret (docker-compose.yml, deploy/k8s/, docs/runbook.md).
SECRET_PLACEHOLDER = re.compile(r"^\$\{(LOKOS_[A-Z0-9_]+_CLIENT_SECRET)\}$")
GATEWAY_CLIENT = "lokos-gateway"
WEB_CLIENT = "lokos-web"
MOBILE_CLIENT = "lokos-mobile"
EXTERNAL_CLIENT = "lokos-external"

# Sessions: the mobile app keeps a session (then unlocks it with a PIN) for 24 hours at most.
ACCESS_TOKEN_LIFESPAN = 300
SSO_SESSION_SECONDS = 86400
MOBILE_SESSION_SECONDS = 86400
WEB_SESSION_IDLE_SECONDS = 1800
WEB_SESSION_MAX_SECONDS = 36000
WEB_DEV_ORIGIN = "http://localhost:3000"
# The web console the gateway serves (gateway/console), on the compose host's published port.
CONSOLE_URI = "http://localhost:8080/console/*"

# States and union territories by lower-case code (ISO 3166-2:IN, with common older aliases).
STATE_NAMES: dict[str, str] = {
    "an": "Andaman and Nicobar Islands",
    "ap": "Andhra Pradesh",
    "ar": "Arunachal Pradesh",
    "as": "Assam",
    "br": "Bihar",
    "cg": "Chhattisgarh",
    "ct": "Chhattisgarh",
    "ch": "Chandigarh",
    "dh": "Dadra and Nagar Haveli and Daman and Diu",
    "dl": "Delhi",
    "ga": "Goa",
    "gj": "Gujarat",
    "hp": "Himachal Pradesh",
    "hr": "Haryana",
    "jh": "Jharkhand",
    "jk": "Jammu and Kashmir",
    "ka": "Karnataka",
    "kl": "Kerala",
    "la": "Ladakh",
    "ld": "Lakshadweep",
    "mh": "Maharashtra",
    "ml": "Meghalaya",
    "mn": "Manipur",
    "mp": "Madhya Pradesh",
    "mz": "Mizoram",
    "nl": "Nagaland",
    "od": "Odisha",
    "or": "Odisha",
    "pb": "Punjab",
    "py": "Puducherry",
    "rj": "Rajasthan",
    "sk": "Sikkim",
    "tg": "Telangana",
    "ts": "Telangana",
    "tn": "Tamil Nadu",
    "tr": "Tripura",
    "uk": "Uttarakhand",
    "ut": "Uttarakhand",
    "up": "Uttar Pradesh",
    "wb": "West Bengal",
}

# Keycloak's declarative user profile with nothing required but the username: community users
# often have no e-mail, and since Keycloak 24 a user missing a *required* attribute gets the
# VERIFY_PROFILE action, which makes the password grant fail ("Account is not fully set up").
_PROFILE_PERMISSIONS = {"view": ["admin", "user"], "edit": ["admin"]}
USER_PROFILE: dict[str, Any] = {
    "attributes": [
        {
            "name": "username",
            "displayName": "${username}",
            "validations": {
                "length": {"min": 3, "max": 255},
                "username-prohibited-characters": {},
                "up-username-not-idn-homograph": {},
            },
            "permissions": _PROFILE_PERMISSIONS,
            "multivalued": False,
        },
        {
            "name": "email",
            "displayName": "${email}",
            "validations": {"email": {}, "length": {"max": 255}},
            "permissions": _PROFILE_PERMISSIONS,
            "multivalued": False,
        },
        {
            "name": "firstName",
            "displayName": "${firstName}",
            "validations": {"length": {"max": 255}, "person-name-prohibited-characters": {}},
            "permissions": _PROFILE_PERMISSIONS,
            "multivalued": False,
        },
        {
            "name": "lastName",
            "displayName": "${lastName}",
            "validations": {"length": {"max": 255}, "person-name-prohibited-characters": {}},
            "permissions": _PROFILE_PERMISSIONS,
            "multivalued": False,
        },
    ],
    "groups": [
        {
            "name": "user-metadata",
            "displayHeader": "User metadata",
            "displayDescription": "Attributes, which refer to user metadata",
        }
    ],
}

DEFAULT_CLIENT_SCOPES = ["acr", "basic", "profile", "roles", "web-origins"]


def realm_name(state: str) -> str:
    """``lokos-<state>``, or ``lokos-national`` for ``national``."""
    code = state.strip().lower()
    if code.startswith(REALM_PREFIX):
        code = code[len(REALM_PREFIX) :]
    if not code.isalnum():
        raise ValueError(f"invalid state code {state!r}: use letters and digits (up, br, …)")
    return f"{REALM_PREFIX}{code}"


def realm_kind(realm: str) -> str:
    """``national`` for the national realm, ``state`` for every ``lokos-<state>``."""
    return "national" if realm == NATIONAL_REALM else "state"


def display_name(realm: str) -> str:
    if realm == NATIONAL_REALM:
        return "LokOS National"
    code = realm.removeprefix(REALM_PREFIX)
    return f"LokOS {STATE_NAMES.get(code, code.upper())}"


def _audience_mapper() -> dict[str, Any]:
    """Puts ``lokos-gateway`` into the ``aud`` of access tokens (the gateway checks it)."""
    return {
        "name": f"audience-{GATEWAY_CLIENT}",
        "protocol": "openid-connect",
        "protocolMapper": "oidc-audience-mapper",
        "consentRequired": False,
        "config": {
            "included.client.audience": GATEWAY_CLIENT,
            "id.token.claim": "false",
            "access.token.claim": "true",
            "introspection.token.claim": "true",
        },
    }


def _client(client_id: str, name: str, description: str, **settings: Any) -> dict[str, Any]:
    client: dict[str, Any] = {
        "clientId": client_id,
        "name": name,
        "description": description,
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "standardFlowEnabled": False,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": False,
        "frontchannelLogout": False,
        "fullScopeAllowed": True,
        "attributes": {},
        "defaultClientScopes": list(DEFAULT_CLIENT_SCOPES),
        "optionalClientScopes": [],
    }
    client.update(settings)
    if not client["publicClient"]:
        client["clientAuthenticatorType"] = "client-secret"
        client["secret"] = secret_placeholder(client["clientId"])
    return client


def secret_variable(client_id: str) -> str:
    """The deployment's variable holding ``client_id``'s secret: lokos-gateway →
    LOKOS_GATEWAY_CLIENT_SECRET."""
    return f"LOKOS_{client_id.removeprefix(REALM_PREFIX).upper().replace('-', '_')}_CLIENT_SECRET"


def secret_placeholder(client_id: str) -> str:
    """``${LOKOS_GATEWAY_CLIENT_SECRET}``: what the templates carry instead of a secret."""
    return "${" + secret_variable(client_id) + "}"


def placeholder_variable(secret: str) -> str | None:
    """The variable a template's secret refers to, or None when it is not a placeholder."""
    match = SECRET_PLACEHOLDER.match(secret)
    return match.group(1) if match else None


def service_account_users() -> list[dict[str, Any]]:
    """The service-account user of each client with service accounts, written out.

    Keycloak creates a missing one while importing the client, and that step aborts the
    start-up import of several 26.x releases ("Session not bound to a realm", keycloak issues
    #33637, #34673, #38647); a realm that already lists the user never takes that path. No
    roles and no credentials: what the account may do is decided by identity.
    """
    return [
        {
            "username": f"service-account-{client['clientId']}",
            "enabled": True,
            "serviceAccountClientId": client["clientId"],
            "realmRoles": [],
        }
        for client in clients()
        if client.get("serviceAccountsEnabled")
    ]


def clients() -> list[dict[str, Any]]:
    """The four LokOS clients of every realm.

    The web and mobile clients keep direct password grants (the gateway's login uses them, and
    so may the apps): a user they let in is still held to the same rules as at the gateway's
    login, because the gateway checks every request against identity (account status and
    lock, ended sessions, the channel the user's roles may use, the mobile device binding), and
    a lock in identity disables the user here too, on top of the realm's brute-force detection.
    """
    return [
        _client(
            WEB_CLIENT,
            "LokOS web",
            "Web application of staff users (community roles use the mobile app only)",
            publicClient=True,
            standardFlowEnabled=True,
            directAccessGrantsEnabled=True,
            redirectUris=[f"{WEB_DEV_ORIGIN}/*", CONSOLE_URI],
            webOrigins=["+"],
            attributes={
                "pkce.code.challenge.method": "S256",
                "post.logout.redirect.uris": f"{WEB_DEV_ORIGIN}/*",
                "client.session.idle.timeout": str(WEB_SESSION_IDLE_SECONDS),
                "client.session.max.lifespan": str(WEB_SESSION_MAX_SECONDS),
            },
            protocolMappers=[_audience_mapper()],
        ),
        _client(
            MOBILE_CLIENT,
            "LokOS mobile",
            "Mobile app of bookkeepers (username and password, then PIN); "
            "sessions end after 24 hours",
            publicClient=True,
            directAccessGrantsEnabled=True,
            attributes={
                "client.session.idle.timeout": str(MOBILE_SESSION_SECONDS),
                "client.session.max.lifespan": str(MOBILE_SESSION_SECONDS),
            },
            protocolMappers=[_audience_mapper()],
        ),
        _client(
            GATEWAY_CLIENT,
            "LokOS API gateway",
            "Audience of every access token the gateway accepts; no login flow of its own",
        ),
        _client(
            EXTERNAL_CLIENT,
            "External departments",
            "Machine access of external departments, banks and service providers to report "
            "APIs (client credentials)",
            serviceAccountsEnabled=True,
            protocolMappers=[_audience_mapper()],
        ),
    ]


def realm_roles(realm: str) -> list[dict[str, Any]]:
    """Realm roles from the catalogue: code, English name, Hindi name as an attribute."""
    return [
        {
            "name": role.code,
            "description": role.name_en,
            "attributes": {"name_hi": [role.name_hi]},
        }
        for role in catalogue.realm_roles(realm_kind(realm))
    ]


def realm_representation(realm: str) -> dict[str, Any]:
    """The Keycloak RealmRepresentation of ``lokos-national`` or ``lokos-<state>``."""
    realm_name(realm)  # validates the name
    return {
        "realm": realm,
        "displayName": display_name(realm),
        "enabled": True,
        "sslRequired": "external",
        "registrationAllowed": False,
        "loginWithEmailAllowed": False,
        "duplicateEmailsAllowed": True,
        "resetPasswordAllowed": False,
        "editUsernameAllowed": False,
        "rememberMe": False,
        "bruteForceProtected": True,
        "permanentLockout": False,
        "failureFactor": 5,
        "waitIncrementSeconds": 60,
        "maxFailureWaitSeconds": 900,
        "maxDeltaTimeSeconds": 43200,
        "passwordPolicy": (
            "length(8) and upperCase(1) and lowerCase(1) and digits(1) and specialChars(1) "
            "and notUsername"
        ),
        "accessTokenLifespan": ACCESS_TOKEN_LIFESPAN,
        "ssoSessionIdleTimeout": SSO_SESSION_SECONDS,
        "ssoSessionMaxLifespan": SSO_SESSION_SECONDS,
        "roles": {"realm": realm_roles(realm)},
        "clients": clients(),
        "users": service_account_users(),
        "components": {
            "org.keycloak.userprofile.UserProfileProvider": [
                {
                    "providerId": "declarative-user-profile",
                    "subComponents": {},
                    "config": {
                        "kc.user.profile.config": [
                            json.dumps(USER_PROFILE, separators=(",", ":"), ensure_ascii=False)
                        ]
                    },
                }
            ]
        },
    }


def render(representation: dict[str, Any]) -> str:
    """The file text of a realm template: sorted keys, indent 2, trailing newline."""
    return json.dumps(representation, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def with_generated_secrets(representation: dict[str, Any]) -> dict[str, Any]:
    """A copy whose placeholder client secrets are replaced by random ones (for provisioning
    through the admin API: Keycloak would otherwise keep the placeholder, or no secret)."""
    result = copy.deepcopy(representation)
    for client in result.get("clients", []):
        if placeholder_variable(str(client.get("secret", ""))):
            client["secret"] = secrets.token_urlsafe(32)
    return result
