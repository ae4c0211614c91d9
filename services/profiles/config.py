from lokos.config import ServiceSettings


class ProfilesSettings(ServiceSettings):
    service_name: str = "profiles"
    grpc_port: int = 50052
