"""The gRPC floor of the request path: a bare grpc.aio unary echo (bytes in, bytes out; no
interceptors, no protobuf, no TLS), served in its own process like a service.

    python -m bench.grpc_echo --port 18092
"""

from __future__ import annotations

import argparse
from typing import Any

import grpc
import uvloop

METHOD = "/bench.Echo/Echo"


async def _echo(request: bytes, _: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    return request


async def serve(port: int) -> None:
    server = grpc.aio.server()
    handler = grpc.unary_unary_rpc_method_handler(_echo)
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("bench.Echo", {"Echo": handler}),)
    )
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


def main() -> None:
    ap = argparse.ArgumentParser(description="bare grpc.aio echo")
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    uvloop.run(serve(args.port))


if __name__ == "__main__":
    main()
