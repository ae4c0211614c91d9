from lokos.config import ServiceSettings


class ReportsSettings(ServiceSettings):
    service_name: str = "reports"
    grpc_port: int = 50055
    # Events applied to the read models in one transaction.
    consumer_batch: int = 500
    # Readiness (the ReportsService health) fails while the read models lag more than this.
    max_lag_seconds: float = 300.0
