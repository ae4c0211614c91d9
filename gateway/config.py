from pydantic import field_validator

from lokos.config import GrpcEndpoints


class GatewaySettings(GrpcEndpoints):
    service_name: str = "gateway"
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8080
    # Issuer base of the identity provider (Keycloak or the embedded one).
    # Realms are at /realms/<realm>.
    idp_url: str = "http://127.0.0.1:8180"
    # Only tokens of these realms are trusted (comma-separated).
    trusted_realms: str = "lokos-national,lokos-up"
    token_audience: str = "lokos-gateway"
    # How long a resolved principal is reused before identity is asked again, seconds.
    principal_cache_seconds: float = 30.0
    principal_cache_size: int = 50_000
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
