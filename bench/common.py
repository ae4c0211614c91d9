"""What every benchmark shares: ports, the platform, a token, demo data, a raw HTTP client,
latency statistics and result files."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import math
import os
import platform as host_platform
import shutil
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats
from nats.js.errors import NotFoundError
from rich.console import Console

from launcher.platform import Platform, running_platform
from launcher.settings import SERVICES, PlatformSettings
from lokos import rpc
from lokos.db import asyncpg_dsn
from lokos.events import STREAM

# Piped output (make bench, CI logs) gets 100 columns instead of rich's default 80.
console = Console() if sys.stdout.isatty() else Console(width=100)

RESULTS_DIR = Path(__file__).resolve().parent / "results"

# Unusual ports, so that a developer's `make up` (8080, 8180, 55432, 4222, 8222, 50051…)
# keeps running while the benchmarks run. LOKOS_BENCH_PORT_BASE moves them all into
# [base, base + 30) (several checkouts benchmarking on one machine).
_BASE = int(os.environ.get("LOKOS_BENCH_PORT_BASE", "0"))
GATEWAY_PORT = _BASE or 18080
IDP_PORT = _BASE + 1 if _BASE else 18180
PG_PORT = _BASE + 2 if _BASE else 56432
NATS_PORT = _BASE + 3 if _BASE else 14222
NATS_MONITOR_PORT = _BASE + 4 if _BASE else 18222
HELLO_PORT = _BASE + 5 if _BASE else 18090
MONOLITH_PORT = _BASE + 6 if _BASE else 18091
ECHO_PORT = _BASE + 7 if _BASE else 18092
GRPC_PORT_BASE = _BASE + 10 if _BASE else 51051

REALM = "lokos-up"
CLIENT_ID = "lokos-web"
USERNAME = "UP_STATEADMIN"
PASSWORD = "Demo@12345"

# Geography the seeded SHGs live in (outside the demo seed's codes).
DISTRICT_LGD = "9901"
BLOCK_LGD = "990101"


# --- the platform ---------------------------------------------------------------------------


def bench_settings(data_dir: Path) -> PlatformSettings:
    """Embedded mode on the bench ports, whatever LOKOS_* variables the shell has."""
    return PlatformSettings(
        data_dir=data_dir,
        external_database_url="",
        external_nats_url="",
        keycloak_url="",
        otlp_endpoint="",
        seed_demo=True,
        gateway_port=GATEWAY_PORT,
        idp_port=IDP_PORT,
        pg_port=PG_PORT,
        nats_port=NATS_PORT,
        nats_monitor_port=NATS_MONITOR_PORT,
        grpc_port_base=GRPC_PORT_BASE,
    )


def platform_ports() -> list[int]:
    fixed = [GATEWAY_PORT, IDP_PORT, PG_PORT, NATS_PORT, NATS_MONITOR_PORT]
    return [*fixed, *(GRPC_PORT_BASE + i for i in range(len(SERVICES)))]


def check_ports_free(ports: Sequence[int]) -> None:
    """Fail early, and clearly, when something already listens on a bench port."""
    busy: list[int] = []
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                busy.append(port)
    if busy:
        raise SystemExit(f"bench ports in use on 127.0.0.1: {busy}; stop what listens there")


def new_data_dir(tag: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"lokos-bench-{tag}-"))


def remove_data_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


@dataclass(frozen=True)
class SharedPlatform:
    platform: Platform
    seconds_to_ready: float


PROCESS_LOGS = ("postgres", "nats", "idp", *SERVICES, "gateway")


def report_start_failure(data: Path) -> None:
    """The last lines of every process log, as ``lokos up`` prints them; the folder is kept."""
    p = Platform(bench_settings(data))
    console.print(f"[red]the platform did not start[/]; data and logs kept in {data}")
    stderr = p.logs / "supervisord.stderr"
    if stderr.exists() and stderr.stat().st_size:
        console.print("[bold]supervisord[/]")
        console.print(stderr.read_text(errors="replace")[-1500:], markup=False, highlight=False)
    for name in PROCESS_LOGS:
        tail = p.log_tail(name, 5)
        if tail:
            console.print(f"[bold]{name}[/]")
            console.print(tail, markup=False, highlight=False)


@contextlib.contextmanager
def shared_platform(keep_data: bool = False) -> Iterator[SharedPlatform]:
    """A platform on a fresh data folder, ready; shut down and removed afterwards."""
    check_ports_free(platform_ports())
    data = new_data_dir("run")
    t0 = time.perf_counter()
    cm = running_platform(bench_settings(data), wipe=not keep_data)
    try:
        with console.status("starting the platform…"):
            p = cm.__enter__()
    except BaseException:
        report_start_failure(data)
        raise
    # Benchmarks that call services directly sign like the gateway (lokos.rpc.call_metadata).
    rpc.configure(p.client_settings())
    try:
        yield SharedPlatform(p, time.perf_counter() - t0)
    finally:
        with console.status("stopping the platform…"):
            cm.__exit__(None, None, None)
        if not keep_data:
            remove_data_dir(data)


# --- token and demo data --------------------------------------------------------------------


def get_token(p: Platform) -> str:
    """A fresh access token of the demo state administrator (password grant)."""
    r = httpx.post(
        f"{p.idp_url}/realms/{REALM}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": CLIENT_ID,
            "username": USERNAME,
            "password": PASSWORD,
        },
        timeout=10,
    )
    r.raise_for_status()
    token: str = r.json()["access_token"]
    return token


def auth_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Seeded:
    ids: list[str]
    seconds: float
    concurrency: int

    @property
    def per_second(self) -> float:
        return len(self.ids) / self.seconds if self.seconds else 0.0


async def _seed(gateway_url: str, token: str, n: int, concurrency: int) -> list[str]:
    headers = auth_headers(token)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=gateway_url, headers=headers, limits=limits, timeout=30
    ) as http:
        for path, body in (
            ("/v1/geography/districts", {"lgd_code": DISTRICT_LGD, "name": "Bench District"}),
            (
                "/v1/geography/blocks",
                {"lgd_code": BLOCK_LGD, "name": "Bench Block", "district_lgd_code": DISTRICT_LGD},
            ),
        ):
            r = await http.post(path, json=body)
            if r.status_code not in (200, 201, 409):
                raise RuntimeError(f"POST {path}: {r.status_code} {r.text}")
        sem = asyncio.Semaphore(concurrency)

        async def create(i: int) -> str:
            async with sem:
                r = await http.post(
                    "/v1/cbos",
                    json={
                        "client_id": str(uuid.uuid4()),
                        "cbo_type": "SHG",
                        "name": f"Bench SHG {i:05d}",
                        "block_lgd_code": BLOCK_LGD,
                    },
                )
            if r.status_code not in (200, 201):
                raise RuntimeError(f"POST /v1/cbos: {r.status_code} {r.text}")
            shg_id: str = r.json()["id"]
            return shg_id

        return list(await asyncio.gather(*(create(i) for i in range(n))))


def seed_shgs(p: Platform, token: str, n: int, concurrency: int = 16) -> Seeded:
    """Create a district, a block and ``n`` SHGs through the gateway (bounded concurrency)."""
    t0 = time.perf_counter()
    with console.status(f"creating {n} SHGs through the gateway ({concurrency} at a time)…"):
        ids = asyncio.run(_seed(p.gateway_url, token, n, concurrency))
    return Seeded(ids, time.perf_counter() - t0, concurrency)


# --- a minimal HTTP/1.1 client --------------------------------------------------------------


class RawHttpClient:
    """One keep-alive HTTP/1.1 connection over a blocking socket (TCP_NODELAY).

    Requests are pre-encoded bytes, so a timed request is one ``sendall`` plus the ``recv``
    calls that complete the response: a few microseconds of client work.
    Responses must carry Content-Length (uvicorn's do for JSON bodies).
    """

    def __init__(self, host: str, port: int, headers: Mapping[str, str] | None = None) -> None:
        self.host = host
        self.port = port
        self._extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self._buf = bytearray()
        self.sock = socket.create_connection((host, port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def build(self, path: str) -> bytes:
        return (
            f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self._extra}\r\n"
        ).encode("latin-1")

    def request(self, raw: bytes) -> tuple[int, bytes]:
        self.sock.sendall(raw)
        return self._read_response()

    def get(self, path: str) -> tuple[int, bytes]:
        return self.request(self.build(path))

    def _read_response(self) -> tuple[int, bytes]:
        buf = self._buf
        recv = self.sock.recv
        end = buf.find(b"\r\n\r\n")
        while end < 0:
            chunk = recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            buf += chunk
            end = buf.find(b"\r\n\r\n")
        head = bytes(buf[:end]).lower()
        status = int(head[9:12])
        at = head.find(b"\r\ncontent-length:")
        if at < 0:
            raise ValueError("response without Content-Length")
        line_end = head.find(b"\r\n", at + 2)
        length = int(head[at + 17 : line_end if line_end >= 0 else len(head)])
        total = end + 4 + length
        while len(buf) < total:
            chunk = recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            buf += chunk
        body = bytes(buf[end + 4 : total])
        del buf[:total]
        return status, body

    def close(self) -> None:
        self.sock.close()


def http_status(url_host: str, port: int, path: str, timeout: float = 2.0) -> int | None:
    """Status of one GET on a new connection; None when nothing answers."""
    try:
        with socket.create_connection((url_host, port), timeout=timeout) as s:
            s.sendall(
                f"GET {path} HTTP/1.1\r\nHost: {url_host}\r\nConnection: close\r\n\r\n".encode()
            )
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    return None
                data += chunk
            return int(data[9:12])
    except (OSError, ValueError):
        return None


def wait_listening(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f}s")


# --- statistics -----------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass(frozen=True)
class LatencyStats:
    n: int
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def from_ns(cls, samples_ns: Sequence[int]) -> LatencyStats:
        ms = sorted(s / 1e6 for s in samples_ns)
        return cls(
            n=len(ms),
            mean_ms=sum(ms) / len(ms) if ms else math.nan,
            p50_ms=percentile(ms, 50),
            p90_ms=percentile(ms, 90),
            p99_ms=percentile(ms, 99),
            max_ms=ms[-1] if ms else math.nan,
        )


def fmt_ms(v: float) -> str:
    return f"{v:.3f}"


def fmt_s(v: float) -> str:
    return f"{v:.2f}"


def median(values: Sequence[float]) -> float:
    s = sorted(values)
    n = len(s)
    if n == 0:
        return math.nan
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def met(ok: bool) -> str:
    return "[green]yes[/]" if ok else "[red]NO[/]"


# --- results --------------------------------------------------------------------------------


def host_info() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "platform": host_platform.platform(),
        "cpus": os.cpu_count(),
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def to_jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def write_results(name: str, data: Mapping[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {"host": host_info(), **to_jsonable(dict(data))}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return path


# --- quiet: wait until events of a bulk load are published and consumed -----------------------


async def _wait_quiet(p: Platform, timeout: float) -> float:
    t0 = time.perf_counter()
    deadline = t0 + timeout
    for service in ("profiles", "identity"):
        conn = await asyncpg.connect(asyncpg_dsn(p.database_url(service)))
        try:
            while await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"):
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"{service}'s outbox did not drain")
                await asyncio.sleep(1)
        finally:
            await conn.close()
    user, password = p.nats_credentials()
    nc = await nats.connect(p.nats_url, user=user, password=password)
    try:
        js = nc.jetstream()
        for durable in ("reports-feed", "identity-cbos"):
            while True:
                try:
                    info = await js.consumer_info(STREAM, durable)
                except NotFoundError:
                    break
                if info.num_pending == 0 and info.num_ack_pending == 0:
                    break
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"consumer {durable} did not catch up")
                await asyncio.sleep(1)
    finally:
        await nc.close()
    return time.perf_counter() - t0


def wait_quiet(p: Platform, timeout: float = 1800.0) -> float:
    """Block until every outbox row is published and the consumers have caught up, so a
    measurement after a bulk load is not competing with the event backlog; returns seconds."""
    with console.status("waiting for the event backlog to be published and consumed…"):
        seconds = asyncio.run(_wait_quiet(p, timeout))
    console.print(f"event backlog drained in {seconds:.0f}s")
    return seconds


# --- CPU per process --------------------------------------------------------------------------


def proc_stats() -> dict[int, tuple[int, float]]:
    """Every process's parent and CPU seconds (user + system), from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return out


def cpu_seconds(p: Platform, programs: Sequence[str] | None = None) -> dict[str, float]:
    """CPU seconds used so far by each of the platform's programs (all when None) with its
    children (PostgreSQL's backends): on a shared machine a rate depends on the load, the
    CPU per request or event does not. A backend that ended in between is not counted."""
    stats = proc_stats()
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    out: dict[str, float] = {}
    for info in p.status():
        if (programs is not None and info["name"] not in programs) or not info["pid"]:
            continue
        todo, total = [int(info["pid"])], 0.0
        while todo:
            pid = todo.pop()
            total += stats.get(pid, (0, 0.0))[1]
            todo.extend(children.get(pid, []))
        out[str(info["name"])] = total
    return out
