"""The baseline of the throughput benchmark: a bare FastAPI hello-world served by uvicorn with
the gateway's options (uvloop, httptools, access log off, one process).

It answers the same path as the gateway's SHG read, so the load generator sends identical
requests to both; the Authorization header is ignored.

With ``--echo PORT`` each request is one call to the bare grpc.aio echo (``bench.grpc_echo``)
with a payload the size of a CBO answer, returned as the body: one HTTP hop and one gRPC hop
and nothing else (no token, principal, tracing or database) — the floor of any gateway →
service read written with FastAPI and grpc.aio.

    python -m bench.hello_app --port 18090 [--echo 18092]
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
import uvicorn
from fastapi import FastAPI, Response

from bench.grpc_echo import METHOD

# About the size of a CboView (a CBO with its 28 fields).
ECHO_PAYLOAD = b"x" * 600


def create_app(echo_port: int = 0) -> FastAPI:
    if echo_port:
        calls: list[grpc.aio.UnaryUnaryMultiCallable[bytes, bytes]] = []

        @asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            # On the server's own loop, as the gateway makes its channels.
            async with grpc.aio.insecure_channel(f"127.0.0.1:{echo_port}") as channel:
                calls.append(channel.unary_unary(METHOD))
                yield

        hop_app = FastAPI(title="hop", lifespan=lifespan)

        @hop_app.get("/v1/cbos/{shg_id}")
        async def hop(shg_id: str) -> Response:
            answer = await calls[0](ECHO_PAYLOAD, timeout=5)
            return Response(answer, media_type="application/json")

        return hop_app

    app = FastAPI(title="hello")

    @app.get("/v1/cbos/{shg_id}")
    async def hello(shg_id: str) -> dict[str, str]:
        return {"hello": "world"}

    return app


def main() -> None:
    ap = argparse.ArgumentParser(description="bare FastAPI hello-world, served like the gateway")
    ap.add_argument("--port", type=int, default=18090)
    ap.add_argument("--echo", type=int, default=0, help="bench.grpc_echo port to call per request")
    args = ap.parse_args()
    # The same options as gateway/main.py.
    uvicorn.run(
        create_app(args.echo),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
