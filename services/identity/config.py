from lokos.config import ServiceSettings


class IdentitySettings(ServiceSettings):
    service_name: str = "identity"
    grpc_port: int = 50051
