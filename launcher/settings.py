"""Settings of the embedded platform launcher (``lokos up``)."""

from __future__ import annotations

from lokos.config import LokosSettings

SERVICES = ("identity", "profiles", "dedup", "transactions", "reports", "helpdesk")


class PlatformSettings(LokosSettings):
    """Ports and parts of the local platform. Point a part elsewhere by setting its URL."""

    gateway_port: int = 8080
    idp_port: int = 8180
    pg_port: int = 55432
    nats_port: int = 4222
    # NATS monitoring (/varz, /connz, /jsz) has no authentication: 0 keeps it off; a port
    # opens it on 127.0.0.1 only.
    nats_monitor_port: int = 0
    # gRPC ports: identity, profiles, dedup, transactions, reports, helpdesk in that order.
    grpc_port_base: int = 50051
    # Server binaries folder; empty: search the system, then the pgserver wheel.
    pg_bindir: str = ""
    pg_use_system: bool = True
    # External parts: when set, the launcher does not start its own.
    external_database_url: str = ""  # postgresql+asyncpg://user:pw@host:5432 (no database)
    external_nats_url: str = ""
    keycloak_url: str = ""  # issuer base of a real Keycloak; realms at /realms/<realm>
    trusted_realms: str = "lokos-national,lokos-up"
    # Realms the embedded identity provider serves; empty: the trusted ones.
    idp_realms: str = ""
    seed_demo: bool = True

    def grpc_port(self, service: str) -> int:
        return self.grpc_port_base + SERVICES.index(service)
