"""Configuration: one pydantic-settings class per process, all inheriting :class:`LokosSettings`.

Every variable has the ``LOKOS_`` prefix. A process reads its settings once at start and
passes them down; nothing else reads the environment.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class LokosSettings(BaseSettings):
    """Settings every LokOS process shares."""

    model_config = SettingsConfigDict(env_prefix="LOKOS_", extra="ignore")

    # Lower-case state code this instance serves ("up"); "national" for the national instance.
    state: str = "up"
    # Name of the process, used for telemetry and logs.
    service_name: str = "lokos"
    # Where local state lives: trace files, keys, logs (embedded mode).
    data_dir: Path = Path(".lokos")
    nats_url: str = "nats://127.0.0.1:4222"
    # The NATS user this process connects as (lokos/bus.py says what each may do); empty: its
    # service_name. Password empty: the one the embedded platform generated under data_dir.
    nats_user: str = ""
    nats_password: SecretStr = SecretStr("")
    # Copies of the stream LOKOS the bus owner keeps: 1 on one server, 3 on a 3-node cluster
    # (Kubernetes), so that losing one NATS server loses no event.
    nats_stream_replicas: int = Field(default=1, ge=1, le=5)
    # The national instance: the states whose aggregates its national stream sources over
    # the leaf nodes (comma-separated codes, "up,br"; lokos/federation.py).
    federated_states: str = ""
    # OTLP/gRPC endpoint (http://collector:4317).
    # Empty: spans go to JSON lines under data_dir/traces.
    otlp_endpoint: str = ""
    # Share of requests traced (the gateway decides; services follow their caller). 1.0 traces
    # every request, as the help desk needs on a state's instance; lower it under heavy load.
    trace_sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    # With an OTLP endpoint, also write spans to data_dir/traces (a volume shared by every
    # process in docker-compose), which the help desk indexes for request search.
    trace_local_copy: bool = False
    log_level: str = "INFO"
    # Internal trust (docs/security.md). Keys that sign principals between processes,
    # "kid:hex,kid2:hex" (at least 32 bytes each): the first signs, every one verifies, which
    # is how keys rotate. Empty: data_dir/secrets/principal.keys, generated at first start —
    # processes with separate data folders (containers) must all be given the same keys.
    principal_keys: str = Field(default="", repr=False)
    # How long a signed principal is accepted after it was signed, seconds.
    principal_ttl_seconds: float = Field(default=60.0, gt=0.0, le=3600.0)
    # Mutual TLS on every gRPC port and channel: servers require a client certificate signed
    # by grpc_tls_ca and present their own; channels do the same. Off: plain gRPC, which is
    # why services bind to loopback unless grpc_host says otherwise.
    grpc_tls: bool = False
    grpc_tls_cert: Path | None = None  # this process's certificate (PEM)
    grpc_tls_key: Path | None = None  # its private key (PEM)
    grpc_tls_ca: Path | None = None  # the CA that signs every process's certificate (PEM)

    @property
    def federated_state_codes(self) -> list[str]:
        return [s.strip().lower() for s in self.federated_states.split(",") if s.strip()]

    @property
    def trace_dir(self) -> Path:
        return self.data_dir / "traces"


class ServiceSettings(LokosSettings):
    """Settings of a gRPC service process (identity, profiles, dedup, transactions, reports)."""

    # SQLAlchemy URL of the service's own database (postgresql+asyncpg://…/lokos_profiles).
    database_url: str = "postgresql+asyncpg://lokos@127.0.0.1:55432/lokos"
    # Create the database when it does not exist (embedded mode; needs CREATEDB).
    create_database: bool = True
    # Loopback unless configured: a gRPC port is only as safe as who can reach it.
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 50051
    db_pool_size: int = 10
    # How long the outbox relay waits for a NOTIFY before polling again, seconds.
    outbox_poll_interval: float = 1.0
    # Seed the demo state admin and demo geography (embedded mode only).
    seed_demo: bool = False
    demo_password: str = Field(default="Demo@12345", repr=False)


class GrpcEndpoints(LokosSettings):
    """Where each service answers; the gateway and services that call others use these."""

    identity_grpc: str = "127.0.0.1:50051"
    profiles_grpc: str = "127.0.0.1:50052"
    dedup_grpc: str = "127.0.0.1:50053"
    transactions_grpc: str = "127.0.0.1:50054"
    reports_grpc: str = "127.0.0.1:50055"
    helpdesk_grpc: str = "127.0.0.1:50056"
    # Deadline for one internal call, seconds.
    grpc_deadline: float = 5.0
