from lokos.config import ServiceSettings


class TransactionsSettings(ServiceSettings):
    service_name: str = "transactions"
    grpc_port: int = 50054
