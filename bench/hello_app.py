"""The baseline of the throughput benchmark: a bare FastAPI hello-world served by uvicorn with
the gateway's options (uvloop, httptools, access log off, one process).

It answers the same path as the gateway's SHG read, so the load generator sends identical
requests to both; the Authorization header is ignored.

    python -m bench.hello_app --port 18090
"""

from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI


def create_app() -> FastAPI:
    app = FastAPI(title="hello")

    @app.get("/v1/cbos/{shg_id}")
    async def hello(shg_id: str) -> dict[str, str]:
        return {"hello": "world"}

    return app


def main() -> None:
    ap = argparse.ArgumentParser(description="bare FastAPI hello-world, served like the gateway")
    ap.add_argument("--port", type=int, default=18090)
    args = ap.parse_args()
    # The same options as gateway/main.py.
    uvicorn.run(
        create_app(),
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
