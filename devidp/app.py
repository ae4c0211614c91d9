"""The HTTP face of the embedded IdP: Keycloak's OpenID Connect endpoints, per realm.

Paths, form parameters, JSON bodies and error codes follow Keycloak, so clients written for
Keycloak (the gateway, the web and mobile apps, external systems) work unchanged. The subset of
Keycloak's admin REST API that identity uses is served too (:mod:`devidp.admin`), with a
``master`` realm holding its administrator.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

import jwt
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from devidp import authorize
from devidp.admin import ADMIN_USERNAME, install_admin_api
from devidp.authorize import AuthorizationFlow, FlowError
from devidp.clients import install_client_admin_api
from devidp.config import IdpSettings
from devidp.keys import ALGORITHM, SigningKey, load_or_create_signing_key
from devidp.store import MASTER_REALM, Client, IdpStore
from lokos import secretfiles

GATEWAY_AUDIENCE = "lokos-gateway"
# Audience of master-realm (administration) tokens, as in Keycloak: never the gateway's.
MASTER_AUDIENCE = "master-realm"
GRANT_PASSWORD = "password"
GRANT_REFRESH = "refresh_token"
GRANT_CLIENT_CREDENTIALS = "client_credentials"
GRANT_AUTHORIZATION_CODE = "authorization_code"  # the browser flow (devidp.authorize)
SUPPORTED_GRANTS = (
    GRANT_PASSWORD,
    GRANT_REFRESH,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_AUTHORIZATION_CODE,
)
DEFAULT_SCOPES = ("profile", "email")
KNOWN_SCOPES = frozenset({"openid", *DEFAULT_SCOPES})
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    """An OAuth 2.0 error response (RFC 6749 §5.2), rendered as Keycloak does."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"error": self.error, "error_description": self.description},
            status_code=self.status,
            headers=_NO_STORE,
        )


def _realm_not_found() -> JSONResponse:
    return JSONResponse({"error": "Realm does not exist"}, status_code=404)


def _realm_roles(realm: str, roles: tuple[str, ...]) -> list[str]:
    """The user's roles plus the composite default roles every Keycloak user has."""
    result = list(roles)
    for default in (f"default-roles-{realm}", "offline_access", "uma_authorization"):
        if default not in result:
            result.append(default)
    return result


def _scope(requested: str | None) -> str:
    wanted = (requested or "").split()
    unknown = [s for s in wanted if s not in KNOWN_SCOPES]
    if unknown:
        raise OAuthError(400, "invalid_scope", f"Invalid scopes: {requested}")
    scopes = ["openid"] if "openid" in wanted else []
    return " ".join([*scopes, *DEFAULT_SCOPES])


def _at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class _Subject:
    id: str
    preferred_username: str
    roles: tuple[str, ...]


class DevIdp:
    """Token issuance and validation for every configured realm (one shared signing key)."""

    def __init__(self, settings: IdpSettings, key: SigningKey, store: IdpStore) -> None:
        self.settings = settings
        self.key = key
        self.store = store
        # The browser flow, introspection and revocation (devidp.authorize; set by create_app).
        self.authorization: AuthorizationFlow | None = None

    def has_realm(self, realm: str) -> bool:
        return self.store.has_realm(realm)

    def issuer(self, realm: str) -> str:
        return self.settings.issuer(realm)

    # ------------------------------------------------------------ documents

    def discovery(self, realm: str) -> dict[str, Any]:
        issuer = self.issuer(realm)
        oidc = f"{issuer}/protocol/openid-connect"
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{oidc}/auth",
            "token_endpoint": f"{oidc}/token",
            "introspection_endpoint": f"{oidc}/token/introspect",
            "revocation_endpoint": f"{oidc}/revoke",
            "code_challenge_methods_supported": ["S256"],
            "response_modes_supported": ["query"],
            "jwks_uri": f"{oidc}/certs",
            "userinfo_endpoint": f"{oidc}/userinfo",
            "end_session_endpoint": f"{oidc}/logout",
            "grant_types_supported": list(SUPPORTED_GRANTS),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "userinfo_signing_alg_values_supported": [ALGORITHM],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": sorted(KNOWN_SCOPES),
            "claims_supported": [
                "iss",
                "sub",
                "aud",
                "exp",
                "iat",
                "jti",
                "azp",
                "sid",
                "typ",
                "preferred_username",
                "email_verified",
                "realm_access",
                "scope",
            ],
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
        }

    def realm_info(self, realm: str) -> dict[str, Any]:
        der = self.key.public_pem().decode("ascii")
        body = "".join(line for line in der.splitlines() if not line.startswith("-----"))
        issuer = self.issuer(realm)
        return {
            "realm": realm,
            "public_key": body,
            "token-service": f"{issuer}/protocol/openid-connect",
            "account-service": f"{issuer}/account",
            "tokens-not-before": 0,
        }

    # ------------------------------------------------------------ signing

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(
            claims, self.key.private_key, algorithm=ALGORITHM, headers={"kid": self.key.kid}
        )

    def _access_token(
        self, realm: str, subject: _Subject, client_id: str, scope: str, sid: str | None, now: int
    ) -> str:
        claims: dict[str, Any] = {
            "exp": now + self.settings.access_token_lifespan,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "iss": self.issuer(realm),
            "aud": [MASTER_AUDIENCE if realm == MASTER_REALM else GATEWAY_AUDIENCE],
            "sub": subject.id,
            "typ": "Bearer",
            "azp": client_id,
            "acr": "1",
            "realm_access": {"roles": _realm_roles(realm, subject.roles)},
            "scope": scope,
            "email_verified": False,
            "preferred_username": subject.preferred_username,
        }
        if sid is not None:
            claims["sid"] = sid
        return self._sign(claims)

    def _refresh_token(
        self,
        realm: str,
        subject: _Subject,
        client_id: str,
        scope: str,
        sid: str,
        now: int,
        exp: int,
    ) -> str:
        issuer = self.issuer(realm)
        return self._sign(
            {
                "exp": exp,
                "iat": now,
                "jti": str(uuid.uuid4()),
                "iss": issuer,
                "aud": issuer,
                "sub": subject.id,
                "typ": "Refresh",
                "azp": client_id,
                "sid": sid,
                "scope": scope,
            }
        )

    def _id_token(
        self, realm: str, subject: _Subject, client_id: str, sid: str, now: int, access_token: str
    ) -> str:
        return self._sign(
            {
                "exp": now + self.settings.access_token_lifespan,
                "iat": now,
                "jti": str(uuid.uuid4()),
                "iss": self.issuer(realm),
                "aud": client_id,
                "sub": subject.id,
                "typ": "ID",
                "azp": client_id,
                "sid": sid,
                "at_hash": _at_hash(access_token),
                "acr": "1",
                "email_verified": False,
                "preferred_username": subject.preferred_username,
            }
        )

    def _session_tokens(
        self,
        realm: str,
        subject: _Subject,
        client_id: str,
        scope: str,
        sid: str,
        session_expires: int,
    ) -> dict[str, Any]:
        now = int(time.time())
        refresh_exp = min(now + self.settings.refresh_token_lifespan, session_expires)
        access = self._access_token(realm, subject, client_id, scope, sid, now)
        body: dict[str, Any] = {
            "access_token": access,
            "expires_in": self.settings.access_token_lifespan,
            "refresh_expires_in": max(0, refresh_exp - now),
            "refresh_token": self._refresh_token(
                realm, subject, client_id, scope, sid, now, refresh_exp
            ),
            "token_type": "Bearer",
        }
        if "openid" in scope.split():
            body["id_token"] = self._id_token(realm, subject, client_id, sid, now, access)
        body.update({"not-before-policy": 0, "session_state": sid, "scope": scope})
        return body

    # ------------------------------------------------------------ token endpoint

    def _authenticate_client(
        self, realm: str, params: dict[str, str], basic: tuple[str, str] | None
    ) -> Client:
        if basic is not None:
            client_id, secret = basic
        else:
            client_id, secret = params.get("client_id", ""), params.get("client_secret", "")
        if not client_id:
            raise OAuthError(401, "invalid_client", "Missing parameter: client_id")
        client = self.store.get_client(realm, client_id)
        if client is None or not client.enabled:
            raise OAuthError(401, "invalid_client", "Invalid client or Invalid client credentials")
        if client.confidential:
            if not secret:
                raise OAuthError(
                    401, "unauthorized_client", "Client secret not provided in request"
                )
            if not client.check_secret(secret):
                raise OAuthError(
                    401, "unauthorized_client", "Invalid client or Invalid client credentials"
                )
        return client

    def token(
        self, realm: str, params: dict[str, str], basic: tuple[str, str] | None
    ) -> dict[str, Any]:
        grant_type = params.get("grant_type", "")
        if not grant_type:
            raise OAuthError(400, "invalid_request", "Missing form parameter: grant_type")
        if grant_type not in SUPPORTED_GRANTS:
            raise OAuthError(400, "unsupported_grant_type", "Unsupported grant_type")
        client = self._authenticate_client(realm, params, basic)
        if grant_type == GRANT_AUTHORIZATION_CODE:
            if self.authorization is None:
                raise OAuthError(400, "unsupported_grant_type", "Unsupported grant_type")
            try:
                return self.authorization.exchange(realm, client.client_id, params)
            except FlowError as exc:
                raise OAuthError(exc.status, exc.error, exc.description) from None
        if grant_type == GRANT_PASSWORD:
            return self._password_grant(realm, client, params)
        if grant_type == GRANT_REFRESH:
            return self._refresh_grant(realm, client, params)
        return self._client_credentials_grant(realm, client, params)

    def _password_grant(self, realm: str, client: Client, params: dict[str, str]) -> dict[str, Any]:
        if not client.direct_access_grants:
            raise OAuthError(
                400, "unauthorized_client", "Client not allowed for direct access grants"
            )
        username = params.get("username", "")
        if not username:
            raise OAuthError(400, "invalid_request", "Missing parameter: username")
        scope = _scope(params.get("scope"))
        user = self.store.password_login(realm, username, params.get("password", ""))
        if user is None:
            raise OAuthError(401, "invalid_grant", "Invalid user credentials")
        if not user.enabled:
            raise OAuthError(400, "invalid_grant", "Account disabled")
        if user.required_actions:
            # Keycloak: a temporary password (UPDATE_PASSWORD) cannot log in by direct grant.
            raise OAuthError(400, "invalid_grant", "Account is not fully set up")
        session = self.store.create_session(
            realm, user.id, client.client_id, scope, self.settings.refresh_token_lifespan
        )
        subject = _Subject(user.id, user.preferred_username, user.realm_roles)
        return self._session_tokens(
            realm, subject, client.client_id, scope, session.id, session.expires_at
        )

    def _decode_own(
        self, realm: str, token: str, *, audience: str, verify_exp: bool = True
    ) -> dict[str, Any]:
        return jwt.decode(
            token,
            self.key.public_key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=self.issuer(realm),
            options={"verify_exp": verify_exp, "require": ["exp", "iat", "sub", "typ"]},
        )

    def _refresh_grant(self, realm: str, client: Client, params: dict[str, str]) -> dict[str, Any]:
        token = params.get("refresh_token", "")
        if not token:
            raise OAuthError(400, "invalid_request", "Missing parameter: refresh_token")
        try:
            claims = self._decode_own(realm, token, audience=self.issuer(realm))
        except jwt.ExpiredSignatureError:
            raise OAuthError(400, "invalid_grant", "Token is not active") from None
        except jwt.InvalidTokenError:
            raise OAuthError(400, "invalid_grant", "Invalid refresh token") from None
        if claims.get("typ") != "Refresh" or not isinstance(claims.get("sid"), str):
            raise OAuthError(400, "invalid_grant", "Invalid refresh token")
        if claims.get("azp") != client.client_id:
            raise OAuthError(
                400,
                "invalid_grant",
                "Invalid refresh token. Token client and authorized client don't match",
            )
        user = self.store.get_user_by_id(realm, claims["sub"])
        if user is None:
            raise OAuthError(400, "invalid_grant", "User not found")
        if not user.enabled:
            raise OAuthError(400, "invalid_grant", "User disabled")
        session = self.store.refresh_session(
            realm, claims["sid"], self.settings.refresh_token_lifespan
        )
        if session is None or session.user_id != user.id:
            raise OAuthError(400, "invalid_grant", "Session not active")
        subject = _Subject(user.id, user.preferred_username, user.realm_roles)
        return self._session_tokens(
            realm, subject, client.client_id, session.scope, session.id, session.expires_at
        )

    def _client_credentials_grant(
        self, realm: str, client: Client, params: dict[str, str]
    ) -> dict[str, Any]:
        if client.public:
            raise OAuthError(
                400, "unauthorized_client", "Public client not allowed to retrieve service account"
            )
        if not client.service_account or client.service_account_user_id is None:
            raise OAuthError(
                400, "unauthorized_client", "Client not enabled to retrieve service account"
            )
        scope = _scope(params.get("scope"))
        subject = _Subject(
            client.service_account_user_id,
            f"service-account-{client.client_id}",
            client.service_account_roles,
        )
        now = int(time.time())
        # Like Keycloak (since 12): no refresh token and no user session for client credentials.
        return {
            "access_token": self._access_token(realm, subject, client.client_id, scope, None, now),
            "expires_in": self.settings.access_token_lifespan,
            "refresh_expires_in": 0,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "scope": scope,
        }

    # ------------------------------------------------------------ logout, userinfo

    def logout(self, realm: str, params: dict[str, str], basic: tuple[str, str] | None) -> None:
        client = self._authenticate_client(realm, params, basic)
        token = params.get("refresh_token", "")
        if not token:
            raise OAuthError(400, "invalid_request", "No refresh token")
        try:
            # An expired refresh token may still end its session.
            claims = self._decode_own(realm, token, audience=self.issuer(realm), verify_exp=False)
        except jwt.InvalidTokenError:
            raise OAuthError(400, "invalid_grant", "Invalid refresh token") from None
        if claims.get("typ") != "Refresh" or not isinstance(claims.get("sid"), str):
            raise OAuthError(400, "invalid_grant", "Invalid refresh token")
        if claims.get("azp") != client.client_id:
            raise OAuthError(400, "invalid_grant", "Invalid refresh token")
        self.store.end_session(realm, claims["sid"])

    def userinfo(self, realm: str, token: str) -> dict[str, Any]:
        def invalid(description: str) -> OAuthError:
            return OAuthError(401, "invalid_token", description)

        if not token:
            raise invalid("Token not provided")
        try:
            claims = jwt.decode(
                token,
                self.key.public_key,
                algorithms=[ALGORITHM],
                issuer=self.issuer(realm),
                options={"verify_aud": False, "require": ["exp", "iat", "sub", "typ"]},
            )
        except jwt.InvalidTokenError:
            raise invalid("Token verification failed") from None
        if claims.get("typ") != "Bearer":
            raise invalid("Token verification failed")
        sid = claims.get("sid")
        if sid is not None:
            session = self.store.get_session(realm, str(sid))
            if session is None:
                raise invalid("User session not found or doesn't have client attached on it")
            user = self.store.get_user_by_id(realm, claims["sub"])
            if user is None or not user.enabled:
                raise invalid("User not found or disabled")
        return {
            "sub": claims["sub"],
            "email_verified": False,
            "preferred_username": claims.get("preferred_username"),
        }


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except ValueError:
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return unquote_plus(client_id), unquote_plus(secret)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def create_app(settings: IdpSettings) -> FastAPI:
    """The IdP application: loads or creates the key and the realm files, seeds if asked."""
    key = load_or_create_signing_key(settings.idp_dir)
    store = IdpStore(
        settings.idp_dir, settings.idp_realms, password_iterations=settings.password_iterations
    )
    if settings.seed_demo:
        store.seed_demo(settings.demo_password)
    admin_password = settings.admin_password or secretfiles.token(
        settings.data_dir / secretfiles.DEV_IDP_ADMIN_PASSWORD, 24
    )
    store.ensure_master_realm(ADMIN_USERNAME, admin_password)
    idp = DevIdp(settings, key, store)

    app = FastAPI(
        title="LokOS development identity provider",
        description="Keycloak-compatible OpenID Connect endpoints (development/embedded mode).",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.signing_key = key
    app.state.idp = idp
    # Keycloak's admin REST API (the subset LokOS uses), authorised by master-realm tokens.
    install_admin_api(app, store, key, settings)
    install_client_admin_api(app, store, key, settings)
    # The browser login (authorisation code + PKCE), introspection and revocation.
    idp.authorization = AuthorizationFlow(idp, settings.redirect_patterns)
    authorize.install(app, idp, idp.authorization)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/realms/{realm}")
    async def realm_info(realm: str) -> Response:
        if not idp.has_realm(realm):
            return _realm_not_found()
        return JSONResponse(idp.realm_info(realm))

    @app.get("/realms/{realm}/.well-known/openid-configuration")
    async def discovery(realm: str) -> Response:
        if not idp.has_realm(realm):
            return _realm_not_found()
        return JSONResponse(idp.discovery(realm))

    @app.get("/realms/{realm}/protocol/openid-connect/certs")
    async def certs(realm: str) -> Response:
        if not idp.has_realm(realm):
            return _realm_not_found()
        return JSONResponse(key.jwks())

    @app.post("/realms/{realm}/protocol/openid-connect/token")
    async def token(realm: str, request: Request) -> Response:
        if not idp.has_realm(realm):
            return _realm_not_found()
        params = await _form(request)
        try:
            body = await run_in_threadpool(idp.token, realm, params, _basic_credentials(request))
        except OAuthError as exc:
            return exc.response()
        return JSONResponse(body, headers=_NO_STORE)

    @app.post("/realms/{realm}/protocol/openid-connect/logout")
    async def logout(realm: str, request: Request) -> Response:
        if not idp.has_realm(realm):
            return _realm_not_found()
        params = await _form(request)
        try:
            await run_in_threadpool(idp.logout, realm, params, _basic_credentials(request))
        except OAuthError as exc:
            return exc.response()
        return Response(status_code=204, headers=_NO_STORE)

    @app.api_route("/realms/{realm}/protocol/openid-connect/userinfo", methods=["GET", "POST"])
    async def userinfo(realm: str, request: Request) -> Response:
        if not idp.has_realm(realm):
            return _realm_not_found()
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        bearer = token.strip() if scheme.lower() == "bearer" else ""
        try:
            body = await run_in_threadpool(idp.userinfo, realm, bearer)
        except OAuthError as exc:
            response = exc.response()
            response.headers["WWW-Authenticate"] = (
                f'Bearer realm="{realm}", error="{exc.error}", '
                f'error_description="{exc.description}"'
            )
            return response
        return JSONResponse(body, headers=_NO_STORE)

    return app
