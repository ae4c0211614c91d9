"""Cold start: from ``lokos up`` (``Platform.prepare()`` + ``start()``) to ``/readyz`` 200.

(a) first start on an empty data folder: initdb, databases, migrations, IdP keys, JetStream;
(b) restart on the same folder, repeated; the platform is shut down between runs.
Installing is excluded (the virtualenv exists; Python's bytecode caches are warm).

    python -m bench.cold_start [--repeats 3]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.table import Table

from bench.common import (
    GATEWAY_PORT,
    bench_settings,
    check_ports_free,
    console,
    fmt_s,
    http_status,
    median,
    new_data_dir,
    platform_ports,
    remove_data_dir,
    report_start_failure,
    write_results,
)
from launcher.platform import Platform

POLL_SECONDS = 0.05


@dataclass(frozen=True)
class StartTiming:
    run: str
    # Folders, initdb (first start only), supervisor configuration.
    prepare_s: float
    # From the start of prepare() until the gateway answers /healthz (its process serves).
    healthz_s: float
    # From the start of prepare() until /readyz is 200: every service answers its health check.
    ready_s: float
    # Platform.shutdown() (informational; not part of the goal).
    shutdown_s: float


@dataclass
class ColdStartResult:
    first: StartTiming
    restarts: list[StartTiming] = field(default_factory=list)

    @property
    def restart_median_s(self) -> float:
        return median([r.ready_s for r in self.restarts])

    def as_dict(self) -> dict[str, object]:
        return {
            "first": self.first,
            "restarts": self.restarts,
            "restart_median_s": self.restart_median_s,
        }


def time_one_start(data: Path, run: str, timeout: float = 180.0) -> StartTiming:
    """Start the platform on ``data``, wait for /readyz, shut it down; return the timings."""
    port = GATEWAY_PORT
    p = Platform(bench_settings(data))
    t0 = time.perf_counter()
    p.prepare()
    prepare_s = time.perf_counter() - t0
    proc = p.start()
    healthz_s: float | None = None
    ready_s: float | None = None
    try:
        while ready_s is None:
            now = time.perf_counter() - t0
            if now > timeout:
                raise TimeoutError(f"not ready after {timeout:.0f}s; logs in {p.logs}")
            if proc.poll() is not None:
                raise RuntimeError(f"supervisord exited; logs in {p.logs}")
            if healthz_s is None and http_status("127.0.0.1", port, "/healthz") == 200:
                healthz_s = time.perf_counter() - t0
            if healthz_s is not None and http_status("127.0.0.1", port, "/readyz") == 200:
                ready_s = time.perf_counter() - t0
                break
            time.sleep(POLL_SECONDS)
    finally:
        t1 = time.perf_counter()
        p.shutdown()
        shutdown_s = time.perf_counter() - t1
    assert healthz_s is not None
    return StartTiming(run, prepare_s, healthz_s, ready_s, shutdown_s)


def run(repeats: int = 3, keep_data: bool = False) -> ColdStartResult:
    check_ports_free(platform_ports())
    data = new_data_dir("cold")
    try:
        with console.status("cold start (a): first start on an empty data folder…"):
            first = time_one_start(data, "(a) first start, empty data dir")
        result = ColdStartResult(first)
        for i in range(repeats):
            with console.status(f"cold start (b): restart {i + 1}/{repeats}…"):
                result.restarts.append(time_one_start(data, f"(b) restart #{i + 1}"))
    except (TimeoutError, RuntimeError):
        report_start_failure(data)
        raise
    if not keep_data:
        remove_data_dir(data)
    return result


def render(result: ColdStartResult) -> Table:
    t = Table(title="Cold start: lokos up → /readyz 200 (seconds)")
    t.add_column("run")
    t.add_column("prepare", justify="right")
    t.add_column("→ /healthz", justify="right")
    t.add_column("→ /readyz", justify="right", style="bold")
    t.add_column("shutdown", justify="right", style="dim")
    for r in [result.first, *result.restarts]:
        t.add_row(
            r.run, fmt_s(r.prepare_s), fmt_s(r.healthz_s), fmt_s(r.ready_s), fmt_s(r.shutdown_s)
        )
    if result.restarts:
        t.add_row("(b) restart, median", "", "", fmt_s(result.restart_median_s), "", style="bold")
    t.caption = (
        "prepare = folders + initdb (first start only) + supervisor config; times count from "
        f"the start of prepare(); /readyz polled every {POLL_SECONDS * 1000:.0f} ms"
    )
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--repeats", type=int, default=3, help="restarts on the same data folder")
    ap.add_argument("--keep-data", action="store_true", help="keep the temporary data folder")
    args = ap.parse_args()
    result = run(args.repeats, args.keep_data)
    console.print(render(result))
    path = write_results("cold_start", {"cold_start": result.as_dict()})
    console.print(f"[dim]results: {path}[/]")


if __name__ == "__main__":
    main()
