from pydantic import Field

from lokos.config import ServiceSettings


class ReportsSettings(ServiceSettings):
    service_name: str = "reports"
    grpc_port: int = 50055
    # Aggregates served to API clients withhold people counts below this (X3); per state.
    small_cell_threshold: int = Field(default=5, ge=2, le=100)
    # Events applied to the read models in one transaction. Large: a bulk import's member
    # events fold into a few set-wise statements per batch, and every batch has a fixed cost
    # (round trips, commit); two batches in flight stay below the durable's max_ack_pending.
    consumer_batch: int = 2000
    # A state joined to the national network publishes its block aggregates
    # (services/reports/federation.py) this often, seconds; 0: it does not publish.
    federation_publish_seconds: float = 0.0
    # Readiness (the ReportsService health) fails while the read models lag more than this.
    max_lag_seconds: float = 300.0
