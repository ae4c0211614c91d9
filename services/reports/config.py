from lokos.config import ServiceSettings


class ReportsSettings(ServiceSettings):
    service_name: str = "reports"
    grpc_port: int = 50055
    # A state joined to the national network publishes its block aggregates
    # (services/reports/federation.py) this often, seconds; 0: it does not publish.
    federation_publish_seconds: float = 0.0
