"""Browser logins for the embedded IdP, as Keycloak serves them: the authorisation endpoint
with its login page, the authorisation-code grant with PKCE, token introspection and
revocation (RFC 6749 §4.1, RFC 7636, RFC 7662, RFC 7009).

Kept apart from :mod:`devidp.app` (password, refresh and client-credentials grants): the app
calls :meth:`AuthorizationFlow.exchange` for ``grant_type=authorization_code`` and mounts the
routes with :func:`install`. The login form uses Keycloak's field ids (``username``,
``password``, ``kc-login``), so a browser test written against one runs against the other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
import threading
import time
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import jwt
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from devidp.keys import ALGORITHM

if TYPE_CHECKING:
    from devidp.app import DevIdp

# Clients with the standard (browser) flow, as in the realm templates (deploy/keycloak):
# the web console. The mobile app logs in by password grant and OTP.
STANDARD_FLOW_CLIENTS = frozenset({"lokos-web"})
CODE_LIFESPAN = 60  # seconds, Keycloak's "Client login timeout"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_CORS_ENDPOINTS = ("/protocol/openid-connect/token", "/revoke", "/logout")


class FlowError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"error": self.error, "error_description": self.description},
            status_code=self.status,
            headers=_NO_STORE,
        )


@dataclass(frozen=True)
class AuthRequest:
    """A checked authorisation request (the query of the authorisation endpoint)."""

    client_id: str
    redirect_uri: str
    state: str
    scope: str
    code_challenge: str
    nonce: str

    def query(self) -> dict[str, str]:
        return {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "state": self.state,
            "scope": self.scope,
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256",
            "nonce": self.nonce,
        }


@dataclass(frozen=True)
class _Code:
    realm: str
    request: AuthRequest
    user_id: str
    session_id: str
    expires_at: float


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class AuthorizationFlow:
    """Codes waiting to be exchanged and access tokens revoked before they expire (kept in
    this process: the IdP is one process; a restart ends pending logins, as Keycloak's would
    without a shared cache)."""

    def __init__(self, idp: DevIdp, redirect_patterns: list[str]) -> None:
        self.idp = idp
        self.redirect_patterns = redirect_patterns
        self._codes: dict[str, _Code] = {}
        self._revoked: dict[str, int] = {}  # jti -> exp
        self._lock = threading.Lock()

    # ------------------------------------------------------------ authorisation endpoint

    def check_request(self, realm: str, params: dict[str, str]) -> AuthRequest:
        """The request, or FlowError (shown on a page: a bad redirect_uri is never followed)."""
        client_id = params.get("client_id", "")
        client = self.idp.store.get_client(realm, client_id) if client_id else None
        if client is None:
            raise FlowError(400, "invalid_request", "Client not found.")
        if client_id not in STANDARD_FLOW_CLIENTS:
            raise FlowError(
                400, "unauthorized_client", "Client is not allowed to initiate browser login."
            )
        redirect_uri = params.get("redirect_uri", "")
        if not any(fnmatchcase(redirect_uri, p) for p in self.redirect_patterns):
            raise FlowError(400, "invalid_request", "Invalid parameter: redirect_uri")
        if params.get("response_type") != "code":
            raise FlowError(400, "unsupported_response_type", "Unsupported response_type")
        challenge = params.get("code_challenge", "")
        # A public client must prove possession of the verifier (PKCE), and only by S256.
        if not challenge or params.get("code_challenge_method") != "S256":
            raise FlowError(400, "invalid_request", "Missing parameter: code_challenge_method")
        if not 43 <= len(challenge) <= 128:
            raise FlowError(400, "invalid_request", "Invalid parameter: code_challenge")
        scope = params.get("scope", "openid")
        return AuthRequest(
            client_id,
            redirect_uri,
            params.get("state", ""),
            scope,
            challenge,
            params.get("nonce", ""),
        )

    def login(self, realm: str, req: AuthRequest, username: str, password: str) -> str:
        """The redirect (with a code) after a successful login; FlowError otherwise."""
        from devidp.app import _scope  # one scope rule for every grant

        scope = _scope(req.scope)
        user = self.idp.store.password_login(realm, username, password)
        if user is None:
            raise FlowError(401, "invalid_grant", "Invalid username or password.")
        if not user.enabled:
            raise FlowError(
                400, "invalid_grant", "Account is disabled, contact your administrator."
            )
        session = self.idp.store.create_session(
            realm, user.id, req.client_id, scope, self.idp.settings.refresh_token_lifespan
        )
        code = secrets.token_urlsafe(32)
        with self._lock:
            now = time.time()
            self._codes = {k: c for k, c in self._codes.items() if c.expires_at > now}
            self._codes[code] = _Code(realm, req, user.id, session.id, now + CODE_LIFESPAN)
        query = {"state": req.state, "session_state": session.id, "code": code}
        if not req.state:
            query.pop("state")
        sep = "&" if "?" in req.redirect_uri else "?"
        return f"{req.redirect_uri}{sep}{urlencode(query)}"

    # ------------------------------------------------------------ token endpoint

    def exchange(self, realm: str, client_id: str, params: dict[str, str]) -> dict[str, Any]:
        """``grant_type=authorization_code``: the code (once), its redirect_uri and the PKCE
        verifier give the session's tokens."""
        from devidp.app import _Subject

        code = params.get("code", "")
        if not code:
            raise FlowError(400, "invalid_request", "Missing parameter: code")
        with self._lock:
            pending = self._codes.pop(code, None)  # single use, even when the rest is wrong
        if pending is None or pending.realm != realm or pending.expires_at < time.time():
            raise FlowError(400, "invalid_grant", "Code not valid")
        req = pending.request
        if req.client_id != client_id:
            raise FlowError(400, "invalid_grant", "Auth error")
        if params.get("redirect_uri", "") != req.redirect_uri:
            raise FlowError(400, "invalid_grant", "Incorrect redirect_uri")
        verifier = params.get("code_verifier", "")
        if not verifier:
            raise FlowError(400, "invalid_grant", "PKCE code verifier not specified")
        if not hmac.compare_digest(s256(verifier), req.code_challenge):
            raise FlowError(400, "invalid_grant", "PKCE verification failed: Invalid code verifier")
        session = self.idp.store.get_session(realm, pending.session_id)
        user = self.idp.store.get_user_by_id(realm, pending.user_id)
        if session is None or user is None or not user.enabled:
            raise FlowError(400, "invalid_grant", "Session not active")
        subject = _Subject(user.id, user.preferred_username, user.realm_roles)
        return self.idp._session_tokens(
            realm, subject, client_id, session.scope, session.id, session.expires_at
        )

    # ------------------------------------------------------------ introspection, revocation

    def _claims(self, realm: str, token: str, *, verify_exp: bool = True) -> dict[str, Any] | None:
        try:
            return jwt.decode(
                token,
                self.idp.key.public_key,
                algorithms=[ALGORITHM],
                issuer=self.idp.issuer(realm),
                options={"verify_aud": False, "verify_exp": verify_exp},
            )
        except jwt.InvalidTokenError:
            return None

    def introspect(self, realm: str, token: str) -> dict[str, Any]:
        """RFC 7662: the claims and ``active: true`` while the token is valid, its session
        alive and it was not revoked; else only ``active: false``."""
        claims = self._claims(realm, token)
        if claims is None or self.revoked(str(claims.get("jti", ""))):
            return {"active": False}
        sid = claims.get("sid")
        if sid is not None and self.idp.store.get_session(realm, str(sid)) is None:
            return {"active": False}
        user = self.idp.store.get_user_by_id(realm, str(claims.get("sub", "")))
        if sid is not None and (user is None or not user.enabled):
            return {"active": False}
        return {
            **claims,
            "client_id": claims.get("azp"),
            "username": claims.get("preferred_username"),
            "token_type": claims.get("typ", "Bearer"),
            "active": True,
        }

    def revoke(self, realm: str, client_id: str, token: str) -> None:
        """RFC 7009: a refresh token ends its session (and so every token of it); an access
        token is refused by introspection until it expires. Unknown tokens are ignored."""
        claims = self._claims(realm, token, verify_exp=False)
        if claims is None:
            return
        if claims.get("azp") != client_id:
            raise FlowError(400, "unauthorized_client", "Unmatching clients")
        if claims.get("typ") == "Refresh" and isinstance(claims.get("sid"), str):
            self.idp.store.end_session(realm, claims["sid"])
            return
        with self._lock:
            now = int(time.time())
            self._revoked = {j: e for j, e in self._revoked.items() if e > now}
            self._revoked[str(claims.get("jti", ""))] = int(claims.get("exp", now))

    def allowed_origin(self, origin: str) -> bool:
        """Whether some allowed redirect URI lies on ``origin`` (scheme://host[:port])."""
        probe = f"{origin.rstrip('/')}/console/"
        return any(
            fnmatchcase(probe, p) or fnmatchcase(f"{origin.rstrip('/')}/", p)
            for p in self.redirect_patterns
        )

    def revoked(self, jti: str) -> bool:
        with self._lock:
            return jti in self._revoked


# ------------------------------------------------------------------ the login page

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in to LokOS</title>
<style>
body{{font-family:system-ui,sans-serif;background:#f4f6f8;color:#1b1f23;margin:0}}
main{{max-width:22rem;margin:3rem auto;background:#fff;padding:1.5rem;border-radius:8px;
box-shadow:0 1px 4px #0002}}
h1{{font-size:1.3rem;margin:0 0 1rem}}
label{{display:block;margin:.8rem 0 .3rem;font-weight:600}}
input{{width:100%;box-sizing:border-box;padding:.6rem;font-size:1rem;border:1px solid #6a737d;
border-radius:4px}}
input:focus,button:focus{{outline:3px solid #0b57d0;outline-offset:1px}}
button{{margin-top:1.2rem;width:100%;padding:.7rem;font-size:1rem;border:0;border-radius:4px;
background:#0b57d0;color:#fff;cursor:pointer}}
.error{{background:#fdecea;color:#8a1c12;padding:.6rem;border-radius:4px}}
</style></head>
<body><main>
<h1>Sign in to LokOS <span lang="hi">/ लोकओएस में प्रवेश</span></h1>
{error}
<form id="kc-form-login" method="post" action="{action}">
<label for="username">User ID <span lang="hi">/ उपयोगकर्ता आईडी</span></label>
<input id="username" name="username" autocomplete="username" required autofocus value="{username}">
<label for="password">Password <span lang="hi">/ पासवर्ड</span></label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button id="kc-login" type="submit">Sign in <span lang="hi">/ प्रवेश करें</span></button>
</form>
</main></body></html>
"""


def login_page(action: str, error: str = "", username: str = "", status: int = 200) -> HTMLResponse:
    box = (
        f'<p class="error" role="alert" id="input-error">{html.escape(error)}</p>' if error else ""
    )
    body = _PAGE.format(
        action=html.escape(action, quote=True),
        error=box,
        username=html.escape(username, quote=True),
    )
    return HTMLResponse(
        body,
        status_code=status,
        headers={
            **_NO_STORE,
            "X-Frame-Options": "DENY",
            # No form-action: browsers apply it to the redirect back to the client as well.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
            "frame-ancestors 'none'",
        },
    )


def _error_page(exc: FlowError) -> HTMLResponse:
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>LokOS sign-in error'
        "</title></head><body><main><h1>We are sorry…</h1>"
        f'<p role="alert">{html.escape(exc.description)}</p></main></body></html>'
    )
    return HTMLResponse(body, status_code=exc.status, headers=_NO_STORE)


def install(app: FastAPI, idp: DevIdp, flow: AuthorizationFlow) -> None:
    """Mount the authorisation, introspection and revocation endpoints of every realm."""
    from devidp.app import OAuthError, _basic_credentials, _form, _realm_not_found

    auth_path = "/realms/{realm}/protocol/openid-connect/auth"

    @app.middleware("http")
    async def cors(request: Request, call_next: Any) -> Response:
        """A page that may receive codes (its origin matches a redirect URI) may call the token,
        revocation and logout endpoints from the browser, as Keycloak's web origins "+" allow."""
        response: Response = await call_next(request)
        origin = request.headers.get("origin", "")
        if origin and request.url.path.endswith(_CORS_ENDPOINTS) and flow.allowed_origin(origin):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response

    @app.get(auth_path)
    async def authorize(realm: str, request: Request) -> Response:
        if not idp.has_realm(realm):
            return _realm_not_found()
        try:
            req = flow.check_request(realm, dict(request.query_params))
        except FlowError as exc:
            return _error_page(exc)
        return login_page(f"{request.url.path}?{urlencode(req.query())}")

    @app.post(auth_path)
    async def authenticate(realm: str, request: Request) -> Response:
        if not idp.has_realm(realm):
            return _realm_not_found()
        try:
            req = flow.check_request(realm, dict(request.query_params))
        except FlowError as exc:
            return _error_page(exc)
        form = await _form(request)
        username = form.get("username", "")
        try:
            target = await run_in_threadpool(
                flow.login, realm, req, username, form.get("password", "")
            )
        except FlowError as exc:
            action = f"{request.url.path}?{urlencode(req.query())}"
            return login_page(action, exc.description, username, status=exc.status)
        except OAuthError as exc:
            return _error_page(FlowError(exc.status, exc.error, exc.description))
        return RedirectResponse(target, status_code=302, headers=_NO_STORE)

    async def _client(realm: str, request: Request, params: dict[str, str]) -> str:
        client = await run_in_threadpool(
            idp._authenticate_client, realm, params, _basic_credentials(request)
        )
        return client.client_id

    @app.post("/realms/{realm}/protocol/openid-connect/token/introspect")
    async def introspect(realm: str, request: Request) -> Response:
        if not idp.has_realm(realm):
            return _realm_not_found()
        params = await _form(request)
        try:
            client = await run_in_threadpool(
                idp._authenticate_client, realm, params, _basic_credentials(request)
            )
        except OAuthError as exc:
            return exc.response()
        if client.public:
            return FlowError(401, "unauthorized_client", "Public client not allowed").response()
        body = await run_in_threadpool(flow.introspect, realm, params.get("token", ""))
        return JSONResponse(body, headers=_NO_STORE)

    @app.post("/realms/{realm}/protocol/openid-connect/revoke")
    async def revoke(realm: str, request: Request) -> Response:
        if not idp.has_realm(realm):
            return _realm_not_found()
        params = await _form(request)
        try:
            client_id = await _client(realm, request, params)
            if not params.get("token"):
                raise FlowError(400, "invalid_request", "Token not provided")
            await run_in_threadpool(flow.revoke, realm, client_id, params["token"])
        except OAuthError as exc:
            return exc.response()
        except FlowError as exc:
            return exc.response()
        return Response(status_code=200, headers=_NO_STORE)
