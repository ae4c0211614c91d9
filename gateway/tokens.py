"""Verification of the bearer access tokens Keycloak (or the embedded dev IdP) issues.

The gateway trusts a fixed list of realms under one issuer base URL. Signing keys are found
through each realm's discovery document (``jwks_uri``) and cached; a warm verification is
pure CPU work with no network call. An unknown ``kid`` triggers at most one JWKS refetch per
realm per ``min_refresh_interval`` seconds, so a flood of tokens with forged key ids cannot
hammer the identity provider.

Every rejection raises :class:`lokos.errors.Unauthenticated` with one of the codes below.
If the identity provider cannot be reached to fetch keys, :class:`lokos.errors.Unavailable`
(code ``idp_unavailable``) is raised instead: that is an outage, not a bad token, and clients
must not drop their session because of it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import httpx
import jwt
from cachetools import TTLCache

from lokos.errors import Unauthenticated, Unavailable

TOKEN_MISSING: Final = "token_missing"
TOKEN_MALFORMED: Final = "token_malformed"
TOKEN_EXPIRED: Final = "token_expired"
TOKEN_UNTRUSTED_ISSUER: Final = "token_untrusted_issuer"
TOKEN_UNKNOWN_KEY: Final = "token_unknown_key"
TOKEN_INVALID_SIGNATURE: Final = "token_invalid_signature"
TOKEN_INVALID_AUDIENCE: Final = "token_invalid_audience"
TOKEN_UNKNOWN_CLIENT: Final = "token_unknown_client"
IDP_UNAVAILABLE: Final = "idp_unavailable"

ALGORITHM: Final = "RS256"
LEEWAY_SECONDS: Final = 30
# A Keycloak access token is a few kB; anything far larger is not one of ours.
MAX_TOKEN_LENGTH: Final = 16 * 1024


@dataclass(frozen=True)
class VerifiedToken:
    """The facts of a verified access token the gateway relies on."""

    realm: str
    # The LokOS user ID: ``preferred_username`` upper-cased.
    user_id: str
    # ``sub``: the IdP's stable id of the user (or of the client's service account).
    subject: str
    # ``realm_access.roles``, as issued (including Keycloak's default roles).
    roles: tuple[str, ...]
    # ``azp``: the client the token was issued to.
    client_id: str
    expires_at: datetime
    claims: dict[str, Any] = field(repr=False, compare=False)


class _BadIdpResponse(Exception):
    """The identity provider answered, but not with a usable discovery document or JWKS."""


def _fail(code: str, detail: str) -> Unauthenticated:
    return Unauthenticated(detail, code=code)


@dataclass
class _RealmKeys:
    keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    jwks_uri: str | None = None
    # Monotonic time of the last fetch attempt, and whether it failed.
    fetched_at: float | None = None
    failed: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class TokenVerifier:
    """Verifies RS256 access tokens of the trusted realms of one issuer base URL."""

    def __init__(
        self,
        issuer_base: str,
        realms: Sequence[str],
        http: httpx.AsyncClient,
        *,
        audience: str = "lokos-gateway",
        clients: Sequence[str] | None = None,
        min_refresh_interval: float = 10.0,
        fetch_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        verified_cache_size: int = 20_000,
        verified_cache_seconds: float = 60.0,
        discovery_base: str = "",
    ) -> None:
        if isinstance(realms, str):
            raise TypeError("realms must be a sequence of realm names, not one string")
        if not realms:
            raise ValueError("at least one trusted realm is required")
        self.issuer_base = issuer_base.rstrip("/")
        # Where discovery is fetched (the back channel): the issuer base unless the provider
        # is reached inside the cluster at another address than the public one in ``iss``.
        self.discovery_base = (discovery_base or issuer_base).rstrip("/")
        self.realms: tuple[str, ...] = tuple(realms)
        self.audience = audience
        # The realms' known clients: a token's ``azp`` must be one of them (None: any).
        self.clients: frozenset[str] | None = frozenset(clients) if clients is not None else None
        self.min_refresh_interval = min_refresh_interval
        self._http = http
        self._fetch_timeout = fetch_timeout
        self._clock = clock
        # Exact issuer string -> realm. Only these issuers are ever trusted.
        self._issuers: dict[str, str] = {f"{self.issuer_base}/realms/{r}": r for r in self.realms}
        self._realm_keys: dict[str, _RealmKeys] = {r: _RealmKeys() for r in self.realms}
        # Tokens verified lately, by their exact text: a client sends the same access token
        # for minutes, and verifying RS256 each time is most of the gateway's CPU per request.
        # Expiry is still checked on every hit.
        self._verified: TTLCache[str, VerifiedToken] = TTLCache(
            maxsize=verified_cache_size, ttl=verified_cache_seconds, timer=clock
        )

    def issuer(self, realm: str) -> str:
        return f"{self.issuer_base}/realms/{realm}"

    async def verify(self, token: str) -> VerifiedToken:
        """Verify ``token`` (the raw JWT, without ``Bearer``) and return its facts."""
        token = (token or "").strip()
        if not token:
            raise _fail(TOKEN_MISSING, "no bearer token was sent")
        known = self._verified.get(token)
        if known is not None:
            if known.expires_at.timestamp() + LEEWAY_SECONDS < time.time():
                self._verified.pop(token, None)
                raise _fail(TOKEN_EXPIRED, "token has expired")
            return known
        verified = await self._verify(token)
        self._verified[token] = verified
        return verified

    async def _verify(self, token: str) -> VerifiedToken:
        if len(token) > MAX_TOKEN_LENGTH:
            raise _fail(TOKEN_MALFORMED, "token is too large")
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.InvalidTokenError:
            raise _fail(TOKEN_MALFORMED, "token is not a well-formed JWT") from None

        alg = header.get("alg")
        if alg != ALGORITHM:
            raise _fail(
                TOKEN_INVALID_SIGNATURE, f"token algorithm {alg!r} is not accepted; only RS256 is"
            )

        issuer = unverified.get("iss")
        realm = self._issuers.get(issuer) if isinstance(issuer, str) else None
        if realm is None:
            raise _fail(TOKEN_UNTRUSTED_ISSUER, "token issuer is not a trusted realm")

        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise _fail(TOKEN_UNKNOWN_KEY, "token has no key id (kid)")
        key = await self._key(realm, kid)

        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer(realm),
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "sub", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise _fail(TOKEN_EXPIRED, "token has expired") from None
        except jwt.InvalidSignatureError:
            raise _fail(TOKEN_INVALID_SIGNATURE, "token signature does not verify") from None
        except jwt.InvalidAudienceError:
            raise _fail(TOKEN_INVALID_AUDIENCE, f"token is not meant for {self.audience}") from None
        except jwt.MissingRequiredClaimError as exc:
            if exc.claim == "aud":
                raise _fail(
                    TOKEN_INVALID_AUDIENCE, f"token is not meant for {self.audience}"
                ) from None
            raise _fail(TOKEN_MALFORMED, f"token lacks the {exc.claim!r} claim") from None
        except jwt.InvalidIssuerError:
            raise _fail(TOKEN_UNTRUSTED_ISSUER, "token issuer is not a trusted realm") from None
        except jwt.ImmatureSignatureError:
            raise _fail(TOKEN_MALFORMED, "token is not valid yet (issued in the future)") from None
        except jwt.InvalidTokenError as exc:
            raise _fail(TOKEN_MALFORMED, f"token is invalid: {exc}") from None

        return self._facts(realm, claims)

    def _facts(self, realm: str, claims: dict[str, Any]) -> VerifiedToken:
        typ = claims.get("typ")
        if typ != "Bearer":
            raise _fail(TOKEN_MALFORMED, f"token is not an access token (typ={typ!r})")
        username = claims.get("preferred_username")
        subject = claims.get("sub")
        client_id = claims.get("azp")
        if not isinstance(username, str) or not username:
            raise _fail(TOKEN_MALFORMED, "token lacks preferred_username")
        if not isinstance(subject, str) or not subject:
            raise _fail(TOKEN_MALFORMED, "token lacks sub")
        if not isinstance(client_id, str) or not client_id:
            raise _fail(TOKEN_MALFORMED, "token lacks azp")
        if self.clients is not None and client_id not in self.clients:
            raise _fail(
                TOKEN_UNKNOWN_CLIENT, "token was issued to a client this realm does not know"
            )
        realm_access = claims.get("realm_access", {})
        roles = realm_access.get("roles", []) if isinstance(realm_access, Mapping) else None
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise _fail(TOKEN_MALFORMED, "token realm_access.roles is not a list of strings")
        exp = claims["exp"]
        return VerifiedToken(
            realm=realm,
            user_id=username.upper(),
            subject=subject,
            roles=tuple(roles),
            client_id=client_id,
            expires_at=datetime.fromtimestamp(int(exp), tz=UTC),
            claims=claims,
        )

    # ------------------------------------------------------------ keys

    async def _key(self, realm: str, kid: str) -> jwt.PyJWK:
        state = self._realm_keys[realm]
        key = state.keys.get(kid)
        if key is not None:
            return key
        async with state.lock:
            key = state.keys.get(kid)  # fetched meanwhile by a concurrent request
            if key is not None:
                return key
            now = self._clock()
            if state.fetched_at is not None and now - state.fetched_at < self.min_refresh_interval:
                if state.failed:
                    raise Unavailable(
                        f"identity provider keys of realm {realm} are unavailable",
                        code=IDP_UNAVAILABLE,
                    )
                raise _fail(TOKEN_UNKNOWN_KEY, "token is signed by an unknown key")
            state.fetched_at = now
            try:
                state.keys = await self._fetch_keys(realm, state)
            except (httpx.HTTPError, ValueError, _BadIdpResponse) as exc:
                state.failed = True
                raise Unavailable(
                    f"cannot fetch the signing keys of realm {realm}: {exc}", code=IDP_UNAVAILABLE
                ) from exc
            state.failed = False
            key = state.keys.get(kid)
            if key is None:
                raise _fail(TOKEN_UNKNOWN_KEY, "token is signed by an unknown key")
            return key

    async def _get_json(self, url: str) -> dict[str, Any]:
        response = await self._http.get(
            url, timeout=self._fetch_timeout, headers={"Accept": "application/json"}
        )
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict):
            raise _BadIdpResponse(f"{url} did not return a JSON object")
        return body

    async def _fetch_keys(self, realm: str, state: _RealmKeys) -> dict[str, jwt.PyJWK]:
        issuer = self.issuer(realm)
        if state.jwks_uri is None:
            discovery = await self._get_json(
                f"{self.discovery_base}/realms/{realm}/.well-known/openid-configuration"
            )
            if discovery.get("issuer") != issuer:
                raise _BadIdpResponse(
                    f"discovery document of {realm} names issuer {discovery.get('issuer')!r}"
                )
            jwks_uri = discovery.get("jwks_uri")
            if not isinstance(jwks_uri, str) or not jwks_uri:
                raise _BadIdpResponse(f"discovery document of {realm} has no jwks_uri")
            state.jwks_uri = jwks_uri
        jwks = await self._get_json(state.jwks_uri)
        entries = jwks.get("keys")
        if not isinstance(entries, list):
            raise _BadIdpResponse(f"JWKS of {realm} has no keys list")
        keys: dict[str, jwt.PyJWK] = {}
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            kid = entry.get("kid")
            # Keycloak also publishes an encryption key (use "enc", RSA-OAEP): skip it.
            if not isinstance(kid, str) or entry.get("kty") != "RSA":
                continue
            if entry.get("use", "sig") != "sig" or entry.get("alg", ALGORITHM) != ALGORITHM:
                continue
            try:
                keys[kid] = jwt.PyJWK(entry, algorithm=ALGORITHM)
            except jwt.PyJWKError:
                continue
        return keys
