"""Gateway process: uvicorn serving the FastAPI app."""

from __future__ import annotations

import uvicorn

from gateway.app import create_app
from gateway.config import GatewaySettings
from lokos.logs import setup_logging
from lokos.telemetry import setup_telemetry


def main() -> None:
    settings = GatewaySettings()
    setup_logging(settings.service_name, settings.state, settings.log_level)
    setup_telemetry(settings)
    uvicorn.run(
        create_app(settings),
        host=settings.gateway_host,
        port=settings.gateway_port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=10,
        server_header=False,  # no version banner
        # A TLS-terminating proxy at these addresses is believed about X-Forwarded-Proto
        # (the gateway then answers with HSTS) and X-Forwarded-For.
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


if __name__ == "__main__":
    main()
