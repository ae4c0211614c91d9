"""Settings of the dedup process."""

from lokos.config import ServiceSettings


class DedupSettings(ServiceSettings):
    service_name: str = "dedup"
    grpc_port: int = 50053
    # Events indexed per transaction (a migration import sends lakhs of member events).
    consumer_batch: int = 500
