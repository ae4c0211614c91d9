"""``python -m lokos.health``: exit 0 when this process's own gRPC server answers SERVING.

The probe of a service container (Kubernetes exec probe, compose healthcheck): it asks the
standard ``grpc.health.v1`` check on ``localhost:LOKOS_GRPC_PORT`` with the process's own
settings, so with mutual TLS on it presents the process's certificate like any caller (the
kubelet's built-in gRPC probe cannot). Every certificate names ``localhost``.
"""

from __future__ import annotations

import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from lokos.config import ServiceSettings
from lokos.rpc import TlsFiles


def check(settings: ServiceSettings, timeout: float = 3.0) -> bool:
    target = f"localhost:{settings.grpc_port}"
    if settings.grpc_tls:
        if not (settings.grpc_tls_cert and settings.grpc_tls_key and settings.grpc_tls_ca):
            raise ValueError("LOKOS_GRPC_TLS needs LOKOS_GRPC_TLS_CERT, _KEY and _CA")
        files = TlsFiles(settings.grpc_tls_cert, settings.grpc_tls_key, settings.grpc_tls_ca)
        channel = grpc.secure_channel(target, files.channel_credentials())
    else:
        channel = grpc.insecure_channel(target)
    with channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=timeout
            )
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def main() -> None:
    sys.exit(0 if check(ServiceSettings()) else 1)


if __name__ == "__main__":
    main()
