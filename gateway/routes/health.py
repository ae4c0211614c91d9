"""Liveness and readiness."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gateway.clients import Clients
from gateway.problems import RETRY_AFTER_SECONDS, problem
from lokos.rpc import check_health

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The gateway process is alive."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(request: Request) -> JSONResponse | dict[str, object]:
    """Ready only when every service behind the gateway answers its health check."""
    clients: Clients = request.app.state.clients
    names = list(clients.channels)
    results = await asyncio.gather(*(check_health(clients.channels[n]) for n in names))
    services = {
        n: ("serving" if ok else "unavailable") for n, ok in zip(names, results, strict=True)
    }
    if all(results):
        return {"status": "ready", "services": services}
    down = ", ".join(n for n, ok in zip(names, results, strict=True) if not ok)
    resp = problem(
        503,
        f"not ready: {down}",
        code="not_ready",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
    return resp
