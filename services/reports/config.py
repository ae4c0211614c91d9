from lokos.config import ServiceSettings


class ReportsSettings(ServiceSettings):
    service_name: str = "reports"
    grpc_port: int = 50055
