"""Throughput: sustained requests/s of GET /v1/cbos/{id} through the gateway vs a bare FastAPI
hello-world served by uvicorn with the gateway's options, on the same machine, with the same
load generator, connections, duration and Authorization header.

Load generator: ``wrk`` (one thread) when it is on PATH, else ``bench.loadgen`` in a
separate process.

    python -m bench.throughput [--shgs 1000] [--duration 10] [--connections 32]
                               [--loadgen auto|wrk|python]
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

from bench.common import (
    GATEWAY_PORT,
    HELLO_PORT,
    auth_headers,
    check_ports_free,
    console,
    fmt_ms,
    get_token,
    met,
    seed_shgs,
    shared_platform,
    wait_listening,
    write_results,
)

ROOT = Path(__file__).resolve().parents[1]

GOAL_RATIO = 0.25

_WRK_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {\"requests\":%d,\"duration_us\":%d,\"non_2xx\":%d,\"errors\":%d," ..
    "\"p50_us\":%.0f,\"p90_us\":%.0f,\"p99_us\":%.0f,\"max_us\":%.0f}\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class LoadResult:
    target: str
    generator: str
    connections: int
    seconds: float
    requests: int
    rps: float
    non_2xx: int
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float


@dataclass(frozen=True)
class ThroughputResult:
    generator: str
    gateway: LoadResult
    hello: LoadResult

    @property
    def ratio(self) -> float:
        return self.gateway.rps / self.hello.rps if self.hello.rps else 0.0

    @property
    def goal_met(self) -> bool:
        return self.ratio >= GOAL_RATIO

    def as_dict(self) -> dict[str, object]:
        return {
            "generator": self.generator,
            "gateway": self.gateway,
            "hello": self.hello,
            "ratio": self.ratio,
            "goal_ratio": GOAL_RATIO,
        }


def pick_generator(choice: str = "auto") -> str:
    if choice == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    if choice == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not on PATH (apt-get install wrk), or use --loadgen python")
    return choice


def _run_cmd(cmd: Sequence[str], timeout: float) -> str:
    """stdout of the load generator; on failure its stderr (the command holds a token)."""
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} {cmd[1]} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return proc.stdout


def _lua_script(paths: Sequence[str]) -> str:
    listed = ",\n".join(f'  "{p}"' for p in paths)
    return (
        f"local paths = {{\n{listed}\n}}\nlocal n = #paths\n"
        "request = function()\n  return wrk.format(nil, paths[math.random(n)])\nend\n" + _WRK_DONE
    )


def _run_wrk(
    port: int, paths: Sequence[str], headers: Mapping[str, str], connections: int, seconds: int
) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(_lua_script(paths))
        script = f.name
    try:
        cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script]
        for k, v in headers.items():
            cmd += ["-H", f"{k}: {v}"]
        cmd.append(f"http://127.0.0.1:{port}")
        out = _run_cmd(cmd, seconds + 60)
    finally:
        Path(script).unlink(missing_ok=True)
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    raw: dict[str, float] = json.loads(line.removeprefix("BENCH_JSON "))
    secs = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "seconds": secs,
        "rps": raw["requests"] / secs if secs else 0.0,
        "non_2xx": raw["non_2xx"],
        "errors": raw["errors"],
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
    }


def _run_python(
    port: int, paths: Sequence[str], headers: Mapping[str, str], connections: int, seconds: int
) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(paths) + "\n")
        paths_file = f.name
    try:
        cmd = [
            sys.executable,
            "-m",
            "bench.loadgen",
            "--port",
            str(port),
            "--paths-file",
            paths_file,
            "--connections",
            str(connections),
            "--duration",
            str(seconds),
        ]
        for k, v in headers.items():
            cmd += ["--header", f"{k}: {v}"]
        out = _run_cmd(cmd, seconds + 60)
    finally:
        Path(paths_file).unlink(missing_ok=True)
    raw: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return {k: v for k, v in raw.items() if k != "generator"}


def run_load(
    target: str,
    generator: str,
    port: int,
    paths: Sequence[str],
    headers: Mapping[str, str],
    connections: int,
    seconds: int,
) -> LoadResult:
    runner = _run_wrk if generator == "wrk" else _run_python
    r = runner(port, paths, headers, connections, seconds)
    return LoadResult(
        target=target,
        generator=generator,
        connections=connections,
        seconds=r["seconds"],
        requests=int(r["requests"]),
        rps=r["rps"],
        non_2xx=int(r["non_2xx"]),
        errors=int(r["errors"]),
        p50_ms=r["p50_ms"],
        p90_ms=r["p90_ms"],
        p99_ms=r["p99_ms"],
        max_ms=r["max_ms"],
    )


@contextmanager
def hello_server(port: int = HELLO_PORT) -> Iterator[subprocess.Popen[bytes]]:
    """The hello-world app in its own process, like the gateway."""
    check_ports_free([port])
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.hello_app", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_listening(port)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def measure(
    token: str,
    ids: Sequence[str],
    seconds: int = 10,
    connections: int = 32,
    warmup_seconds: int = 2,
    loadgen: str = "auto",
) -> ThroughputResult:
    gen = pick_generator(loadgen)
    paths = [f"/v1/cbos/{i}" for i in ids]
    headers = auth_headers(token)

    def both(target: str, port: int) -> LoadResult:
        with console.status(f"{target}: warm-up {warmup_seconds}s ({gen})…"):
            run_load(target, gen, port, paths, headers, connections, warmup_seconds)
        with console.status(f"{target}: {seconds}s with {connections} connections ({gen})…"):
            return run_load(target, gen, port, paths, headers, connections, seconds)

    gateway = both("gateway /v1/cbos/{id}", GATEWAY_PORT)
    with hello_server():
        hello = both("hello-world FastAPI", HELLO_PORT)
    return ThroughputResult(gen, gateway, hello)


def render(r: ThroughputResult) -> list[Table]:
    t = Table(
        title=f"Throughput, {r.gateway.connections} keep-alive connections, load: {r.generator}"
    )
    t.add_column("target")
    t.add_column("req/s", justify="right", style="bold")
    t.add_column("requests", justify="right")
    t.add_column("s", justify="right")
    t.add_column("p50 ms", justify="right")
    t.add_column("p99 ms", justify="right")
    t.add_column("non-2xx", justify="right")
    t.add_column("errors", justify="right")
    for x in (r.gateway, r.hello):
        t.add_row(
            x.target,
            f"{x.rps:,.0f}",
            f"{x.requests:,}",
            f"{x.seconds:.1f}",
            fmt_ms(x.p50_ms),
            fmt_ms(x.p99_ms),
            str(x.non_2xx),
            str(x.errors),
        )
    t.caption = (
        "wrk: 1 thread" if r.generator == "wrk" else "bench.loadgen: asyncio protocol on uvloop"
    ) + "; same paths and Authorization header on both; hello-world ignores the header"
    g = Table(title="Gateway throughput relative to hello-world")
    g.add_column("measurement")
    g.add_column("value", justify="right", style="bold")
    g.add_column("goal", justify="right")
    g.add_column("met?")
    g.add_row(
        "gateway req/s ÷ hello-world req/s", f"{r.ratio:.3f}", f"≥ {GOAL_RATIO}", met(r.goal_met)
    )
    return [t, g]


def main() -> None:
    ap = argparse.ArgumentParser(description="gateway vs hello-world requests/s")
    ap.add_argument("--shgs", type=int, default=1000)
    ap.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    ap.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per target")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    args = ap.parse_args()
    pick_generator(args.loadgen)
    with shared_platform() as sp:
        token = get_token(sp.platform)
        seeded = seed_shgs(sp.platform, token, args.shgs)
        result = measure(
            get_token(sp.platform),
            seeded.ids,
            args.duration,
            args.connections,
            args.warmup,
            args.loadgen,
        )
    for table in render(result):
        console.print(table)
    path = write_results("throughput", {"throughput": result.as_dict()})
    console.print(f"[dim]results: {path}[/]")


if __name__ == "__main__":
    main()
