from pydantic import Field, field_validator

from lokos.config import GrpcEndpoints


class GatewaySettings(GrpcEndpoints):
    service_name: str = "gateway"
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8080
    # Issuer base of the identity provider (Keycloak or the embedded one).
    # Realms are at /realms/<realm>.
    idp_url: str = "http://127.0.0.1:8180"
    # Where the gateway itself reaches the identity provider for discovery and keys (the back
    # channel, e.g. http://keycloak:8080 inside compose or the cluster) when browsers reach it
    # at idp_url, the public front channel that every token names as its issuer. Empty: idp_url.
    idp_internal_url: str = ""
    # Only tokens of these realms are trusted (comma-separated).
    trusted_realms: str = "lokos-national,lokos-up"
    token_audience: str = "lokos-gateway"
    # The realms' own OpenID clients (comma-separated): a token issued to any other client
    # (``azp``) is refused. Only lokos-web and lokos-mobile tokens carry a login channel that
    # a role may use (lokos.catalogue); the others are refused on user routes.
    token_clients: str = "lokos-web,lokos-mobile,lokos-gateway,lokos-external"
    # Failed logins (wrong password, locked, unknown user) allowed per client address and per
    # user ID within the window; more get 429 with Retry-After until the window ends.
    login_failures_per_address: int = Field(default=50, ge=1)
    login_failures_per_user: int = Field(default=10, ge=1)
    login_window_seconds: float = Field(default=300.0, gt=0)
    # External report API (gateway/external): requests a minute of a registered client before
    # identity names its own rate, and the largest request body it may send.
    external_rate_per_minute: int = Field(default=120, ge=1)
    external_max_body_bytes: int = Field(default=16_384, ge=1024)
    # How long a resolved principal is reused before identity is asked again, seconds.
    principal_cache_seconds: float = 30.0
    principal_cache_size: int = 50_000
    # Largest upload (a CSV import) passed on to a service; larger ones get 413. The profiles
    # service has its own limit too.
    upload_max_bytes: int = Field(default=512 * 1024 * 1024, ge=1)
    # Proxies trusted for X-Forwarded-Proto/-For (comma-separated addresses, "*" for any).
    forwarded_allow_ips: str = "127.0.0.1"

    @field_validator("trusted_realms")
    @classmethod
    def _realms_not_empty(cls, v: str) -> str:
        if not [r for r in v.split(",") if r.strip()]:
            raise ValueError("at least one trusted realm is needed")
        return v

    @property
    def realms(self) -> list[str]:
        return [r.strip() for r in self.trusted_realms.split(",") if r.strip()]

    @property
    def clients(self) -> list[str]:
        return [c.strip() for c in self.token_clients.split(",") if c.strip()]
