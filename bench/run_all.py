"""Every benchmark in one go on this machine (``make bench``), a summary against the goals,
and the numbers as JSON in ``bench/results/latest.json``.

1. cold start (its own platforms, shut down in between);
2. read latency and 3. throughput on one shared platform with ~1,000 SHGs;
4. authentication; 5. migration import; 6. profile reads; 7. de-duplication (10 lakh members
   indexed here; ``python -m bench.dedup`` runs the full 1 crore); 8. principal signing;
9. the request path beside a monolith and its floors; 10. the event path beside raw publish.

    python -m bench.run_all [--loadgen auto|wrk|python] [--shgs 1000] [--requests 3000]
                            [--duration 10] [--connections 32] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass

from rich.table import Table

from bench import (
    auth_cost,
    cold_start,
    dedup,
    event_path,
    migration_import,
    principal_signing,
    profile_reads,
    read_latency,
    request_path,
    throughput,
)
from bench.common import (
    console,
    fmt_ms,
    fmt_s,
    get_token,
    seed_shgs,
    shared_platform,
    write_results,
)
from lokos.outbox import OutboxRelay


@dataclass(frozen=True)
class SummaryRow:
    measurement: str
    value: str
    goal: str
    met: bool | None  # None: no goal, reported for information


def summarize(
    cs: cold_start.ColdStartResult,
    rl: read_latency.ReadLatencyResult,
    tp: throughput.ThroughputResult,
    ac: auth_cost.AuthCostResult,
    mi: migration_import.MigrationImportResult,
    pr: profile_reads.ProfileReadsResult,
    dd: dedup.DedupResult,
    ps: principal_signing.SigningResult,
    rp: request_path.RequestPathResult,
    ep: event_path.EventPathResult,
) -> list[SummaryRow]:
    ok50, ok99 = rl.goals_met
    return [
        *(SummaryRow(name, value, goal, ok) for name, value, goal, ok in rp.goals()),
        SummaryRow(
            "outbox relay ÷ raw acknowledged JetStream publish",
            f"{ep.ratio:.2f}",
            f"≥ {event_path.RELAY_GOAL}",
            ep.ratio >= event_path.RELAY_GOAL,
        ),
        SummaryRow(
            "outbox → consumer → read model, events/s",
            f"{ep.end_to_end_per_s:,.0f}",
            f"≥ {event_path.END_TO_END_GOAL:,.0f}",
            ep.end_to_end_per_s >= event_path.END_TO_END_GOAL and ep.order_kept,
        ),
        SummaryRow(
            "cold start, empty data dir → /readyz", f"{fmt_s(cs.first.ready_s)} s", "—", None
        ),
        SummaryRow(
            f"cold start, restart → /readyz (median of {len(cs.restarts)})",
            f"{fmt_s(cs.restart_median_s)} s",
            "—",
            None,
        ),
        SummaryRow(
            "GET /v1/cbos/{id} via gateway, p50 / p99",
            f"{fmt_ms(rl.gateway.p50_ms)} / {fmt_ms(rl.gateway.p99_ms)} ms",
            "—",
            None,
        ),
        SummaryRow(
            "asyncpg PK lookup, p50 / p99",
            f"{fmt_ms(rl.asyncpg.p50_ms)} / {fmt_ms(rl.asyncpg.p99_ms)} ms",
            "—",
            None,
        ),
        SummaryRow(
            "added latency p50 (gateway − asyncpg)",
            f"{fmt_ms(rl.added_p50_ms)} ms",
            f"≤ {read_latency.GOAL_ADDED_P50_MS} ms",
            ok50,
        ),
        SummaryRow(
            "added latency p99 (gateway − asyncpg)",
            f"{fmt_ms(rl.added_p99_ms)} ms",
            f"≤ {read_latency.GOAL_ADDED_P99_MS} ms",
            ok99,
        ),
        SummaryRow(
            "client + HTTP floor: GET /healthz p50",
            f"{fmt_ms(rl.healthz.p50_ms)} ms",
            "—",
            None,
        ),
        SummaryRow(
            f"throughput gateway / hello-world ({tp.generator}, {tp.gateway.connections} conns)",
            f"{tp.gateway.rps:,.0f} / {tp.hello.rps:,.0f} req/s",
            "—",
            None,
        ),
        SummaryRow(
            "throughput ratio gateway ÷ hello-world",
            f"{tp.ratio:.3f}",
            f"≥ {throughput.GOAL_RATIO}",
            tp.goal_met,
        ),
        *(
            SummaryRow(
                f"auth at gateway, {name}, p50 / p99",
                f"{fmt_ms(s.p50_ms)} / {fmt_ms(s.p99_ms)} ms",
                "—",
                None,
            )
            for name, s in (
                ("warm", ac.warm),
                ("new token (RS256 verify)", ac.new_token),
                ("cold principal", ac.cold_principal),
                ("cold keys + principal", ac.cold_keys_and_principal),
            )
        ),
        SummaryRow(
            "identity-provider calls per warm request",
            f"{ac.idp_calls_when_warm}",
            "0",
            ac.idp_calls_when_warm == 0,
        ),
        SummaryRow(
            f"migration import of {mi.members:,} members, rows/s (ours / raw COPY 3 tables)",
            f"{mi.members / mi.import_seconds:,.0f} / {mi.raw_rows / mi.raw_seconds:,.0f}",
            "—",
            None,
        ),
        SummaryRow(
            "migration import ratio: vs raw COPY of cbo+member+membership",
            f"{mi.ratio:.2f}",
            f"≥ {migration_import.GOAL_RATIO}",
            mi.ratio >= migration_import.GOAL_RATIO,
        ),
        SummaryRow(
            "migration import ratio: vs raw COPY of the member table alone",
            f"{mi.ratio_member_table:.2f}",
            f"≥ {migration_import.GOAL_RATIO}",
            mi.ratio_member_table >= migration_import.GOAL_RATIO,
        ),
        *(
            SummaryRow(
                f"{name} p99 ({pr.members_loaded:,} members loaded)",
                f"{fmt_ms(s.p99_ms)} ms",
                f"≤ {profile_reads.GOAL_P99_MS:g} ms",
                s.p99_ms <= profile_reads.GOAL_P99_MS,
            )
            for name, s in (
                ("GET /v1/members/{id}", pr.member_read),
                ("GET /v1/cbos/{id}", pr.cbo_read),
                ("My Task first page", pr.tasks_first_page),
                ("My Task by village", pr.tasks_by_village),
                ("My Task by name", pr.tasks_by_name),
            )
        ),
        SummaryRow(
            f"dedup identifier check p99 ({dd.members:,} indexed)",
            f"{fmt_ms(dd.identifier_check.p99_ms)} ms",
            f"≤ {dedup.GOAL_IDENTIFIER_P99_MS:g} ms",
            dd.identifier_check.p99_ms <= dedup.GOAL_IDENTIFIER_P99_MS,
        ),
        SummaryRow(
            f"dedup full check with names p99 ({dd.members:,} indexed)",
            f"{fmt_ms(dd.full_check.p99_ms)} ms",
            f"≤ {dedup.GOAL_FULL_P99_MS:g} ms",
            dd.full_check.p99_ms <= dedup.GOAL_FULL_P99_MS,
        ),
        SummaryRow(
            "dedup batch name scoring, comparisons/s (1 core)",
            f"{dd.scoring_per_s:,.0f}",
            f"≥ {dedup.GOAL_SCORES_PER_S:,}",
            dd.scoring_per_s >= dedup.GOAL_SCORES_PER_S,
        ),
        SummaryRow(
            "dedup refresh of a block, members/s",
            f"{dd.refresh_block_members / dd.refresh_seconds:,.0f}",
            "—",
            None,
        ),
        SummaryRow(
            "dedup index build (bulk), members/s",
            f"{dd.build_rows_per_s:,.0f}",
            "—",
            None,
        ),
        SummaryRow(
            "principal sign + verify per request, p50 / p99",
            f"{fmt_ms(ps.sign_and_verify.p50_ms)} / {fmt_ms(ps.sign_and_verify.p99_ms)} ms",
            f"≤ {principal_signing.GOAL_ADDED_P50_MS} ms p50",
            ps.goal_met,
        ),
        SummaryRow(
            "gRPC call p50, signed principal / unsigned as before",
            f"{fmt_ms(ps.grpc_signed.p50_ms)} / {fmt_ms(ps.grpc_unsigned.p50_ms)} ms",
            "—",
            None,
        ),
        SummaryRow(
            f"logins/s, embedded IdP / via gateway (concurrency {ac.login_concurrency})",
            f"{ac.idp_logins_per_s:.0f} / {ac.gateway_logins_per_s:.0f}",
            "—",
            None,
        ),
    ]


def render(rows: list[SummaryRow], total_s: float) -> Table:
    t = Table(title=f"LokOS benchmarks: summary (total {total_s:.0f} s)")
    t.add_column("measurement")
    t.add_column("value", justify="right", style="bold")
    t.add_column("goal", justify="right")
    t.add_column("met?")
    for r in rows:
        shown = "info" if r.met is None else ("[green]yes[/]" if r.met else "[red]NO[/]")
        t.add_row(r.measurement, r.value, r.goal, shown)
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description="all LokOS benchmarks and a summary")
    ap.add_argument("--repeats", type=int, default=3, help="cold-start restarts")
    ap.add_argument("--shgs", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=3000, help="timed requests per latency path")
    ap.add_argument("--warmup", type=int, default=300, help="untimed requests per latency path")
    ap.add_argument("--duration", type=int, default=10, help="seconds per throughput run")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    ap.add_argument("--members", type=int, default=1_000_000, help="members for 5 and 6")
    ap.add_argument(
        "--dedup-members",
        type=int,
        default=1_000_000,
        help="members indexed for 7 (python -m bench.dedup runs the full 1 crore)",
    )
    args = ap.parse_args()
    throughput.pick_generator(args.loadgen)
    t0 = time.perf_counter()

    console.rule("1. cold start")
    cs = cold_start.run(args.repeats)
    console.print(cold_start.render(cs))

    with shared_platform() as sp:
        p = sp.platform
        seeded = seed_shgs(p, get_token(p), args.shgs)
        console.print(
            f"shared platform ready in {sp.seconds_to_ready:.1f}s; {len(seeded.ids)} SHGs created "
            f"through the gateway in {seeded.seconds:.1f}s ({seeded.per_second:.0f}/s, "
            f"{seeded.concurrency} at a time)"
        )
        console.rule("2. read latency")
        rl = read_latency.measure(p, get_token(p), seeded.ids, args.requests, args.warmup)
        for table in read_latency.render(rl):
            console.print(table)
        console.rule("3. throughput")
        tp = throughput.measure(
            get_token(p), seeded.ids, args.duration, args.connections, 2, args.loadgen
        )
        for table in throughput.render(tp):
            console.print(table)
        console.rule("4. authentication")
        ac = auth_cost.measure(p, requests=2000, seconds=5.0, concurrency=4)
        auth_cost.print_result(ac)
        console.rule("9. request path vs a monolith")
        rp = request_path.measure(
            p, seeded.ids, args.requests, args.warmup, args.duration, args.connections, args.loadgen
        )
        for table in request_path.render(rp):
            console.print(table)

    console.rule("5. migration import")
    with shared_platform() as sp:
        mi = migration_import.measure(sp.platform, args.members)
    for table in migration_import.render(mi):
        console.print(table)
    console.rule("6. profile reads and My Task")
    with shared_platform() as sp:
        pr = profile_reads.measure(sp.platform, members=args.members, pending=300, requests=2000)
    console.print(profile_reads.render(pr))
    console.rule("7. de-duplication")
    with shared_platform() as sp:
        dd = asyncio.run(
            dedup.run(sp.platform, args.dedup_members, 2000, 20_000, dedup.default_workers())
        )
    dedup.report(dd)
    console.rule("8. principal signing")
    ps = principal_signing.measure()
    console.print(principal_signing.render(ps))
    console.rule("10. event path")
    ep = asyncio.run(event_path.measure(50_000, OutboxRelay.WINDOW))
    console.print(event_path.render(ep))

    total = time.perf_counter() - t0
    rows = summarize(cs, rl, tp, ac, mi, pr, dd, ps, rp, ep)
    console.rule("summary")
    console.print(render(rows, total))
    path = write_results(
        "latest",
        {
            "total_seconds": total,
            "summary": rows,
            "cold_start": cs.as_dict(),
            "seed": {
                "shgs": len(seeded.ids),
                "seconds": seeded.seconds,
                "per_second": seeded.per_second,
                "concurrency": seeded.concurrency,
            },
            "read_latency": rl.as_dict(),
            "throughput": tp.as_dict(),
            "auth_cost": ac,
            "migration_import": mi.as_dict(),
            "profile_reads": pr,
            "dedup": dd,
            "principal_signing": ps,
            "request_path": rp.as_dict(),
            "event_path": ep,
        },
    )
    console.print(f"[dim]results: {path}[/]")


if __name__ == "__main__":
    main()
