"""The request-path baseline: GET /v1/cbos/{id} written as a monolith — the same FastAPI and
uvicorn options as the gateway, the bearer token checked locally (RS256 against the realm's
JWKS, issuer, audience, expiry), and the CBO with its parent, approved members and remarks read
straight from profiles' database with one prepared asyncpg statement, answered in the gateway's
own response model. No gRPC, no principal, no tracing: what one process costs.

    python -m bench.monolith_app --port 18091 --idp http://127.0.0.1:18180 --dsn postgresql://…
"""

from __future__ import annotations

import argparse
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import asyncpg
import httpx
import jwt
import uvicorn
from fastapi import FastAPI, Header, HTTPException

from gateway.routes.profiles import CboOut
from lokos.process import freeze_startup_heap

REALM = "lokos-up"
AUDIENCE = "lokos-gateway"
READ = """
SELECT c.*,
  (SELECT l.parent_id FROM federation_link l
    WHERE l.child_id = c.id AND l.valid_to IS NULL) AS parent_id,
  CASE WHEN c.cbo_type = 'SHG' THEN
    (SELECT count(*) FROM member m WHERE m.shg_id = c.id AND m.status = 'approved')
  ELSE 0 END AS approved_members,
  (SELECT ARRAY(SELECT r #>> '{}' FROM jsonb_array_elements(s.remarks) r
                 WHERE jsonb_typeof(r) = 'string')
     FROM submission s
    WHERE s.entity_type = lower(c.cbo_type) AND s.entity_id = c.id AND s.status = 'rejected'
    ORDER BY s.decided_at DESC LIMIT 1) AS remarks
FROM cbo c WHERE c.id = $1"""


def create_app(idp: str, dsn: str) -> FastAPI:
    issuer = f"{idp.rstrip('/')}/realms/{REALM}"
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient() as http:
            jwks = (await http.get(f"{issuer}/protocol/openid-connect/certs")).json()
        state["keys"] = {k["kid"]: jwt.PyJWK(k).key for k in jwks["keys"] if k.get("use") != "enc"}
        state["pool"] = await asyncpg.create_pool(dsn, min_size=8, max_size=8)
        freeze_startup_heap()  # as the gateway and the services do
        yield
        await state["pool"].close()

    app = FastAPI(title="monolith", lifespan=lifespan)

    @app.get("/v1/cbos/{cbo_id}")
    async def read_cbo(cbo_id: uuid.UUID, authorization: Annotated[str, Header()]) -> CboOut:
        token = authorization.removeprefix("Bearer ")
        try:
            key = state["keys"][jwt.get_unverified_header(token)["kid"]]
            claims = jwt.decode(token, key, algorithms=["RS256"], audience=AUDIENCE, issuer=issuer)
        except (jwt.InvalidTokenError, KeyError) as exc:
            raise HTTPException(401) from exc
        async with state["pool"].acquire() as conn:
            row = await conn.fetchrow(READ, cbo_id)
        if row is None or not claims.get("sub"):
            raise HTTPException(404)
        return CboOut(
            **{
                **row,
                "id": str(row["id"]),
                "client_id": str(row["client_id"]),
                "code": row["code"] or "",
                "bank_account": row["bank_account_masked"],
                "submission_id": str(row["submission_id"] or ""),
                "parent_id": str(row["parent_id"] or ""),
                "remarks": list(row["remarks"] or ()),
                "duplicate_flag": bool(row["duplicate_flag"]),
                "duplicate_reasons": json.loads(row["duplicate_reasons"] or "[]"),
            }
        )

    return app


def main() -> None:
    ap = argparse.ArgumentParser(description="GET /v1/cbos/{id} as a monolith")
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
