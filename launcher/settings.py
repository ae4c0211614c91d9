"""Settings of the embedded platform launcher (``lokos up``)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from lokos import bus
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
    # The embedded PostgreSQL's cache of pages (shared_buffers) and the write-ahead log that
    # may build up between checkpoints (max_wal_size), in PostgreSQL's units. The defaults suit
    # a laptop; a state's server gives the cache about a quarter of its memory, and a bulk
    # import writes fewer whole pages to the log with checkpoints further apart
    # (docs/runbook.md, "PostgreSQL memory").
    pg_shared_buffers: str = Field(default="256MB", pattern=r"^[0-9]+(kB|MB|GB)$")
    pg_max_wal_size: str = Field(default="1GB", pattern=r"^[0-9]+(MB|GB)$")
    # External parts: when set, the launcher does not start its own.
    external_database_url: str = ""  # postgresql+asyncpg://user:pw@host:5432 (no database)
    external_nats_url: str = ""
    keycloak_url: str = ""  # issuer base of a real Keycloak; realms at /realms/<realm>
    # Realms whose tokens the gateway accepts; empty: lokos-national and the state's own
    # (the national instance: lokos-national only).
    trusted_realms: str = ""
    # Realms the embedded identity provider serves; empty: the trusted ones.
    idp_realms: str = ""
    seed_demo: bool = True
    # --- the national federation (lokos/federation.py, docs/runbook.md) ---
    # A state joins it by connecting its NATS as a leaf node to the national NATS at this
    # address (nats-leaf://national.example.in:7422), as the user leaf-<state> with this
    # password (the national team gives it; the national instance keeps it in its data folder,
    # nats-auth/leaf-<state>.password). With a CA file the connection is TLS, the national
    # server verified against it. Empty URL: the state stands alone.
    national_leaf_url: str = ""
    national_leaf_password: SecretStr = SecretStr("")
    national_leaf_ca: str = ""
    # A state in the federation publishes its block aggregates this often, seconds.
    federation_publish_seconds: float = 2.0
    # The national instance (state "national"): where states' leaf nodes connect (0: nowhere)
    # and, optionally, its TLS certificate and key; the states it accepts are
    # federated_states ("up,br"), one leaf user each.
    nats_leaf_host: str = "0.0.0.0"
    nats_leaf_port: int = 0
    nats_leaf_cert: str = ""
    nats_leaf_key: str = ""

    @property
    def realms_trusted(self) -> str:
        """The gateway's trusted realms, comma-separated (see ``trusted_realms``)."""
        if self.trusted_realms:
            return self.trusted_realms
        if self.state == bus.NATIONAL:
            return "lokos-national"
        return f"lokos-national,lokos-{self.state}"

    @property
    def federated(self) -> bool:
        """In a federation: the national instance, or a state with a national leaf URL."""
        return self.state == bus.NATIONAL or bool(self.national_leaf_url)

    def grpc_port(self, service: str) -> int:
        return self.grpc_port_base + SERVICES.index(service)
