"""Authentication at the gateway: per-request cost of token validation plus principal lookup
(warm caches, cold principal cache, cold key and principal caches), and logins per second of
the embedded identity provider (directly, and through gateway → identity → IdP).

    python -m bench.auth_cost [--requests 2000] [--seconds 5] [--concurrency 4]

The validation path is the gateway's own code (``gateway.auth.PrincipalResolver`` with
``gateway.tokens.TokenVerifier``) run in this process against the running IdP and identity,
so the numbers are that code's cost, without HTTP in front of it.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from rich.table import Table

from bench.common import (
    LatencyStats,
    console,
    fmt_ms,
    get_token,
    shared_platform,
    write_results,
)
from gateway.auth import PrincipalResolver
from gateway.clients import Clients
from gateway.config import GatewaySettings
from gateway.tokens import TokenVerifier
from launcher.platform import Platform

REALMS = ["lokos-national", "lokos-up"]


@dataclass(frozen=True)
class AuthCostResult:
    warm: LatencyStats
    new_token: LatencyStats
    cold_principal: LatencyStats
    cold_keys_and_principal: LatencyStats
    idp_calls_when_warm: int
    idp_logins_per_s: float
    gateway_logins_per_s: float
    login_concurrency: int


def _clients(p: Platform) -> Clients:
    return Clients.connect(
        GatewaySettings(
            identity_grpc=p.grpc_target("identity"),
            profiles_grpc=p.grpc_target("profiles"),
            dedup_grpc=p.grpc_target("dedup"),
            transactions_grpc=p.grpc_target("transactions"),
            reports_grpc=p.grpc_target("reports"),
        )
    )


async def _resolve_costs(
    p: Platform, token: str, n: int
) -> tuple[LatencyStats, LatencyStats, LatencyStats, LatencyStats, int]:
    idp_calls = 0

    async def count(_: httpx.Request) -> None:
        nonlocal idp_calls
        idp_calls += 1

    auth = f"Bearer {token}"
    clients = _clients(p)
    async with httpx.AsyncClient(timeout=10, event_hooks={"request": [count]}) as http:
        resolver = PrincipalResolver(
            TokenVerifier(p.idp_url, REALMS, http), clients, ttl=300, maxsize=1000
        )
        for _ in range(50):  # warm up keys, principal, channel
            await resolver.resolve(auth)
        before = idp_calls
        warm: list[int] = []
        for _ in range(n):
            t0 = time.perf_counter_ns()
            await resolver.resolve(auth)
            warm.append(time.perf_counter_ns() - t0)
        warm_idp_calls = idp_calls - before

        # Keys cached but the token not seen before: a full RS256 verification each time.
        verify_only: list[int] = []
        for _ in range(n):
            resolver.verifier._verified.clear()
            t0 = time.perf_counter_ns()
            await resolver.resolve(auth)
            verify_only.append(time.perf_counter_ns() - t0)

        cold_principal: list[int] = []
        for _ in range(n):
            resolver.cache.clear()
            t0 = time.perf_counter_ns()
            await resolver.resolve(auth)
            cold_principal.append(time.perf_counter_ns() - t0)

        cold_all: list[int] = []
        for _ in range(max(n // 10, 50)):
            fresh = PrincipalResolver(
                TokenVerifier(p.idp_url, REALMS, http), clients, ttl=300, maxsize=10
            )
            t0 = time.perf_counter_ns()
            await fresh.resolve(auth)
            cold_all.append(time.perf_counter_ns() - t0)
    await clients.close()
    return (
        LatencyStats.from_ns(warm),
        LatencyStats.from_ns(verify_only),
        LatencyStats.from_ns(cold_principal),
        LatencyStats.from_ns(cold_all),
        warm_idp_calls,
    )


Login = Callable[[httpx.AsyncClient, str], Awaitable[httpx.Response]]


async def _logins_per_second(url: str, make: Login, seconds: float, concurrency: int) -> float:
    done = 0
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(timeout=30) as http:

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                r = await make(http, url)
                r.raise_for_status()
                done += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    return done / elapsed


async def _idp_login(http: httpx.AsyncClient, url: str) -> httpx.Response:
    return await http.post(
        f"{url}/realms/lokos-up/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "lokos-web",
            "username": "UP_STATEADMIN",
            "password": "Demo@12345",
        },
    )


async def _gateway_login(http: httpx.AsyncClient, url: str) -> httpx.Response:
    return await http.post(
        f"{url}/v1/auth/state/login", json={"user_id": "UP_STATEADMIN", "password": "Demo@12345"}
    )


def measure(p: Platform, *, requests: int, seconds: float, concurrency: int) -> AuthCostResult:
    token = get_token(p)
    warm, new_token, cold_p, cold_all, idp_calls = asyncio.run(_resolve_costs(p, token, requests))
    idp_rate = asyncio.run(_logins_per_second(p.idp_url, _idp_login, seconds, concurrency))
    gw_rate = asyncio.run(_logins_per_second(p.gateway_url, _gateway_login, seconds, concurrency))
    return AuthCostResult(
        warm, new_token, cold_p, cold_all, idp_calls, idp_rate, gw_rate, concurrency
    )


def print_result(r: AuthCostResult) -> None:
    t = Table(title="token validation + principal lookup (gateway code, in process)")
    for col in ("case", "n", "p50 ms", "p99 ms", "max ms"):
        t.add_column(col)
    for name, s in (
        ("warm: token seen, keys and principal cached", r.warm),
        ("new token: RS256 verify, keys and principal cached", r.new_token),
        ("cold principal (identity GetPrincipal over gRPC)", r.cold_principal),
        ("cold keys + principal (discovery + JWKS + gRPC)", r.cold_keys_and_principal),
    ):
        t.add_row(name, str(s.n), fmt_ms(s.p50_ms), fmt_ms(s.p99_ms), fmt_ms(s.max_ms))
    console.print(t)
    console.print(
        f"identity-provider calls during {r.warm.n} warm requests: {r.idp_calls_when_warm}"
    )
    console.print(
        f"logins/s (concurrency {r.login_concurrency}): embedded IdP password grant "
        f"{r.idp_logins_per_s:.1f}; through gateway → identity → IdP {r.gateway_logins_per_s:.1f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--concurrency", type=int, default=4)
    args = ap.parse_args()
    with shared_platform() as shared:
        result = measure(
            shared.platform,
            requests=args.requests,
            seconds=args.seconds,
            concurrency=args.concurrency,
        )
    print_result(result)
    write_results("auth_cost", {"auth_cost": result})


if __name__ == "__main__":
    main()
