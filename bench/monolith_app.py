"""The request-path baseline: GET /v1/shgs/{id} written as a monolith — the same FastAPI and
uvicorn options as the gateway, the bearer token checked locally (RS256 against the realm's
JWKS, issuer, audience, expiry), and the row read straight from profiles' database with a
prepared asyncpg statement. No gRPC, no principal, no tracing: what one process costs.

    python -m bench.monolith_app --port 18091 --idp http://127.0.0.1:18180 --dsn postgresql://…
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Annotated, Any

import asyncpg
import httpx
import jwt
import uvicorn
from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel

REALM = "lokos-up"
AUDIENCE = "lokos-gateway"
READ = (
    "SELECT id, client_id, name, state, district_lgd_code, block_lgd_code, status, version,"
    " formed_on, created_at, created_by FROM cbo WHERE id = $1 AND cbo_type = 'SHG'"
)


class ShgOut(BaseModel):
    id: str
    client_id: str
    name: str
    state: str
    district_lgd_code: str
    block_lgd_code: str
    status: str
    version: int
    formed_on: date | None
    created_at: datetime | None
    created_by: str


def create_app(idp: str, dsn: str) -> FastAPI:
    issuer = f"{idp.rstrip('/')}/realms/{REALM}"
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient() as http:
            jwks = (await http.get(f"{issuer}/protocol/openid-connect/certs")).json()
        state["keys"] = {k["kid"]: jwt.PyJWK(k).key for k in jwks["keys"] if k.get("use") != "enc"}
        state["pool"] = await asyncpg.create_pool(dsn, min_size=8, max_size=8)
        yield
        await state["pool"].close()

    app = FastAPI(title="monolith", lifespan=lifespan)

    @app.get("/v1/shgs/{shg_id}")
    async def read_shg(shg_id: uuid.UUID, authorization: Annotated[str, Header()]) -> ShgOut:
        token = authorization.removeprefix("Bearer ")
        try:
            key = state["keys"][jwt.get_unverified_header(token)["kid"]]
            claims = jwt.decode(token, key, algorithms=["RS256"], audience=AUDIENCE, issuer=issuer)
        except (jwt.InvalidTokenError, KeyError) as exc:
            raise HTTPException(401) from exc
        async with state["pool"].acquire() as conn:
            row = await conn.fetchrow(READ, shg_id)
        if row is None or not claims.get("sub"):
            raise HTTPException(404)
        return ShgOut(**{**row, "id": str(row["id"]), "client_id": str(row["client_id"])})

    return app


def main() -> None:
    ap = argparse.ArgumentParser(description="GET /v1/shgs/{id} as a monolith")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--idp", required=True, help="issuer base of the IdP")
    ap.add_argument("--dsn", required=True, help="profiles' database (asyncpg DSN)")
    args = ap.parse_args()
    uvicorn.run(  # the same options as gateway/main.py
        create_app(args.idp, args.dsn),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


if __name__ == "__main__":
    main()
