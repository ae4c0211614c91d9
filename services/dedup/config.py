from lokos.config import ServiceSettings


class DedupSettings(ServiceSettings):
    service_name: str = "dedup"
    grpc_port: int = 50053
