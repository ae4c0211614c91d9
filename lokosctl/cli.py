"""``lokos``: run the platform and look inside it.

lokos up [--detach]      start everything (embedded PostgreSQL, NATS, IdP, services, gateway)
lokos down               stop everything
lokos status             one line per process
lokos trace <request-id> the span tree of one request across all processes
lokos logs <process>     the last lines of one process's log
lokos otp <user-id>      the latest SMS OTP sent to a user (development SMS outbox)
lokos realm template     write the Keycloak realm files (deploy/keycloak) from the role catalogue
lokos realm create <st>  provision realm lokos-<st> on the Keycloak at LOKOS_KEYCLOAK_URL
lokos backup <folder>    back up the running platform (databases, stream, keys)
lokos restore <backup>   restore a backup into the running platform (`lokos up -d` first)
lokos secrets compose    print a .env with this deployment's generated secrets
lokos secrets k8s <ns>   print the Secret objects of a Kubernetes overlay (kubectl apply -f -)
lokos k8s generate       rewrite the generated files of the Kubernetes overlays (deploy/k8s)
lokos migrate up <svc>   migrate one service's database to head (LOKOS_DATABASE_URL)
lokos migrate down <svc> <revision>   roll one service's schema back (before an image rollback)
lokos reports rebuild    rebuild the reports' read models from the event stream, swap them in
lokos reports verify     recount the reports' rollups and from the owners, list blocks that differ
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from launcher.platform import Platform
from launcher.settings import PlatformSettings
from lokos import bus, catalogue
from lokosctl.tracestore import SpanNode, build_tree, load_trace

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
realm_app = typer.Typer(
    no_args_is_help=True, help="Keycloak realms of LokOS, generated from the role catalogue."
)
app.add_typer(realm_app, name="realm")
k8s_app = typer.Typer(no_args_is_help=True, help="Kubernetes manifests of LokOS (deploy/k8s).")
app.add_typer(k8s_app, name="k8s")
migrate_app = typer.Typer(
    no_args_is_help=True, help="Schema migrations of one service (Alembic), for upgrades."
)
app.add_typer(migrate_app, name="migrate")
secrets_app = typer.Typer(
    no_args_is_help=True,
    help="A deployment's secrets, generated once into a private folder and printed for use.",
)
app.add_typer(secrets_app, name="secrets")
SecretsDir = Annotated[
    Path, typer.Option("--dir", help="Private folder of this deployment's generated secrets")
]
reports_app = typer.Typer(no_args_is_help=True, help="The reports' read models.")
app.add_typer(reports_app, name="reports")
# Piped output (scripts, tests, CI logs) is not wrapped at 80 columns.
console = Console() if sys.stdout.isatty() else Console(width=200)


def _platform() -> Platform:
    return Platform(PlatformSettings())


@app.command()
def up(
    detach: Annotated[bool, typer.Option("--detach", "-d", help="Return once ready")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for readiness")] = 180.0,
) -> None:
    """Start the platform and wait until the gateway is ready."""
    platform = _platform()
    if platform.running():
        console.print(f"[yellow]already running[/] ({platform.data}); `lokos down` first")
        raise typer.Exit(1)
    t0 = time.monotonic()
    with console.status("preparing PostgreSQL and configuration…"):
        platform.prepare()
    proc = platform.start()
    try:
        with console.status("starting PostgreSQL, NATS, identity provider, services, gateway…"):
            platform.wait_ready(timeout)
    except (TimeoutError, RuntimeError) as exc:
        console.print(f"[red]{exc}[/]")
        parts = ("postgres", "nats", "bus", "idp", "identity", "profiles", "reports", "gateway")
        for name in parts:
            tail = platform.log_tail(name, 5)
            if tail:
                console.print(f"[bold]{name}[/]\n{tail}")
        platform.shutdown()
        raise typer.Exit(1) from exc
    s = platform.s
    console.print(f"[green]LokOS is up[/] in {time.monotonic() - t0:.1f}s")
    console.print(f"  gateway        {platform.gateway_url}")
    console.print(f"  API docs       {platform.gateway_url}/v1/docs")
    console.print(f"  identity (OIDC) {platform.idp_url}/realms/lokos-{s.state}")
    console.print(f"  NATS           {platform.nats_url} (users: {platform.nats_conf.parent})")
    console.print(f"  logs           {platform.logs}")
    if s.state == bus.NATIONAL and s.nats_leaf_port:
        console.print(
            f"  leaf nodes     {s.nats_leaf_host}:{s.nats_leaf_port} for "
            f"{s.federated_states or 'no state yet'} (passwords: "
            f"{platform.nats_conf.parent}/leaf-<state>.password)"
        )
    elif s.national_leaf_url:
        console.print(f"  national NATS  {s.national_leaf_url} (leaf node)")
    if s.seed_demo and not s.keycloak_url:
        entry, user = (
            ("national", catalogue.DEMO_NATIONAL_USER)
            if s.state == bus.NATIONAL
            else ("state", f"{s.state.upper()}_STATEADMIN")
        )
        console.print(
            f"  demo login     POST {platform.gateway_url}/v1/auth/{entry}/login "
            f'{{"user_id": "{user}", "password": "Demo@12345"}}'
            " (LOKOS_DEMO_PASSWORD changes it)"
        )
    if detach:
        return
    console.print("Ctrl-C stops everything.")

    def _stop(*_: object) -> None:
        platform.shutdown()
        sys.exit(0)

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    proc.wait()


@app.command()
def down() -> None:
    """Stop every process of the platform."""
    platform = _platform()
    if not platform.running():
        console.print("not running")
        return
    platform.shutdown()
    console.print("stopped")


@app.command()
def clean() -> None:
    """Delete the platform's data (databases, streams, keys, logs); it must be stopped."""
    platform = _platform()
    if platform.running():
        console.print("the platform is running: lokos down first")
        raise typer.Exit(1)
    for folder in platform.wipe():
        console.print(f"removed {folder}")


@app.command()
def status() -> None:
    """One line per process."""
    platform = _platform()
    if not platform.running():
        console.print("not running")
        raise typer.Exit(1)
    table = Table("process", "state", "pid", "uptime/description")
    for p in platform.status():
        table.add_row(p["name"], p["statename"], str(p["pid"] or ""), p["description"])
    console.print(table)


@app.command()
def trace(request_id: str) -> None:
    """Print the span tree of one request (its X-Request-Id) across every process."""
    settings = PlatformSettings()
    spans = load_trace(settings.trace_dir, request_id)
    if not spans:
        console.print(f"no spans for {request_id} under {settings.trace_dir}")
        raise typer.Exit(1)
    root = Tree(f"[bold]trace {request_id}[/] ({len(spans)} spans)")

    def add(node: Tree, span: SpanNode) -> None:
        style = "red" if span.status == "ERROR" else "green"
        label = (
            f"[cyan]{span.service}[/] {span.name} [dim]{span.kind.lower()}[/] "
            f"{span.duration_ms:.2f} ms [{style}]{span.status}[/]"
        )
        if span.error:
            label += f" [red]{span.error}[/]"
        child = node.add(label)
        for c in span.children:
            add(child, c)

    for r in build_tree(spans):
        add(root, r)
    console.print(root)


@app.command()
def otp(user_id: str) -> None:
    """The latest SMS OTP sent to a user (embedded mode's SMS outbox; development only)."""
    import json

    path = PlatformSettings().data_dir / "sms" / "outbox.jsonl"
    wanted = user_id.upper()
    found = None
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if entry.get("user_id") == wanted:
                found = entry
    if found is None:
        console.print(f"no SMS sent to {wanted} (outbox: {path})")
        raise typer.Exit(1)
    console.print(f"{found['text'][:6]}  (to {found['to'][-4:].rjust(10, 'X')}: {found['text']})")


@app.command()
def logs(process: str, lines: int = 40) -> None:
    """The last lines of one process's log."""
    console.print(_platform().log_tail(process, lines) or f"no log for {process}")


def _template_states(out: Path) -> list[str]:
    """The states whose realm files exist in ``out`` (so a bare run regenerates them), or up."""
    states = sorted(
        path.stem.removeprefix("lokos-")
        for path in out.glob("lokos-*.json")
        if path.stem != "lokos-national"
    )
    return states or ["up"]


@realm_app.command("template")
def realm_template(
    out: Annotated[
        Path, typer.Option("--out", help="Folder of the realm files (Keycloak imports them)")
    ] = Path("deploy/keycloak"),
    state: Annotated[
        list[str] | None,
        typer.Option(
            "--state", help="State code, repeatable (default: the states already in --out, or up)"
        ),
    ] = None,
) -> None:
    """Write lokos-national.json and lokos-<state>.json from the role catalogue."""
    from services.identity import realms

    try:
        names = [realms.NATIONAL_REALM] + [
            realms.realm_name(code) for code in (state or _template_states(out))
        ]
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--state") from exc
    out.mkdir(parents=True, exist_ok=True)
    for name in dict.fromkeys(names):
        path = out / f"{name}.json"
        text = realms.render(realms.realm_representation(name))
        before = path.read_text(encoding="utf-8") if path.exists() else None
        path.write_text(text, encoding="utf-8")
        status = "unchanged" if before == text else ("updated" if before else "written")
        console.print(f"{path}  {status}")


@realm_app.command("create")
def realm_create(
    state: Annotated[str, typer.Argument(help="State code (up, br, …) or national")],
) -> None:
    """Provision realm lokos-<STATE> on the Keycloak at LOKOS_KEYCLOAK_URL.

    Admin credentials: LOKOS_KEYCLOAK_ADMIN_USER (default admin) and
    LOKOS_KEYCLOAK_ADMIN_PASSWORD, of Keycloak's master realm. An existing realm is left as it is.
    """
    from lokos.errors import LokosError
    from services.identity import realms
    from services.identity.config import IdentitySettings
    from services.identity.idp.keycloak import KeycloakAdapter

    settings = IdentitySettings()
    if not settings.keycloak_url:
        console.print("[red]LOKOS_KEYCLOAK_URL is not set[/] (the Keycloak base URL)")
        raise typer.Exit(2)
    if not settings.keycloak_admin_password:
        console.print("[red]LOKOS_KEYCLOAK_ADMIN_PASSWORD is not set[/]")
        raise typer.Exit(2)
    try:
        name = realms.realm_name(state)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="STATE") from exc
    representation = realms.with_generated_secrets(realms.realm_representation(name))

    async def provision() -> bool:
        adapter = KeycloakAdapter(
            settings.keycloak_url, settings.keycloak_admin_user, settings.keycloak_admin_password
        )
        try:
            return await adapter.ensure_realm(representation)
        finally:
            await adapter.close()

    try:
        created = asyncio.run(provision())
    except LokosError as exc:
        console.print(f"[red]realm {name} not created:[/] {exc.detail}")
        raise typer.Exit(1) from exc
    where = settings.keycloak_url
    if not created:
        console.print(f"realm {name} already exists on {where}: left unchanged")
        return
    roles = len(representation["roles"]["realm"])
    clients = ", ".join(client["clientId"] for client in representation["clients"])
    console.print(
        f"[green]created realm {name}[/] on {where}: {roles} realm roles, clients {clients}"
    )
    console.print(
        "  confidential clients got random secrets: read or regenerate them in the admin "
        "console (Clients → Credentials)"
    )


@app.command()
def backup(
    out: Annotated[Path, typer.Argument(help="Folder the backup is written under")],
) -> None:
    """Back up the running platform: each service's database, the event stream, the keys."""
    from lokosctl import backup as backups

    platform = _platform()
    if not platform.running():
        console.print("not running: `lokos up -d` first")
        raise typer.Exit(1)
    taken = backups.backup(platform, out)
    console.print(
        f"[green]backed up[/] to {taken.folder}: {taken.messages} events, databases "
        + ", ".join(f"{s}@{r or '-'}" for s, r in taken.databases.items())
    )


@app.command()
def restore(
    source: Annotated[Path, typer.Argument(help="A folder written by `lokos backup`")],
) -> None:
    """Replace the running platform's databases, stream and keys with a backup's."""
    from lokosctl import backup as backups

    platform = _platform()
    if not platform.running():
        console.print("not running: `lokos up -d` first (PostgreSQL and NATS must be up)")
        raise typer.Exit(1)
    resent = backups.restore(platform, source)
    console.print(f"[green]restored[/] {source}; events sent again: {resent}")


@secrets_app.command("compose")
def secrets_compose(folder: SecretsDir = Path("deploy-secrets")) -> None:
    """Print docker-compose.yml's .env: every password, key and client secret, generated
    into FOLDER the first time and the same on every later run."""
    from lokosctl import deploysecrets

    sys.stdout.write(deploysecrets.compose_env(folder))


@secrets_app.command("k8s")
def secrets_k8s(
    namespace: Annotated[str, typer.Argument(help="The overlay's namespace (lokos-up)")],
    folder: SecretsDir = Path("deploy-secrets"),
) -> None:
    """Print the Secret objects an overlay references (pipe to `kubectl apply -f -`)."""
    import yaml

    from lokosctl import deploysecrets

    sys.stdout.write(yaml.safe_dump_all(deploysecrets.k8s_secrets(folder, namespace)))


@k8s_app.command("generate")
def k8s_generate(
    repo: Annotated[Path, typer.Option("--repo", help="The repository's root")] = Path("."),
) -> None:
    """Write each overlay's authorization.conf (lokos/bus.py) and realm-import.yaml
    (deploy/keycloak/) for the overlay's state."""
    from lokosctl import k8s

    for path, text in k8s.generated_files(repo).items():
        before = path.read_text(encoding="utf-8") if path.exists() else None
        path.write_text(text, encoding="utf-8")
        status = "unchanged" if before == text else ("updated" if before else "written")
        console.print(f"{path}  {status}")


def _migrations(service: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec(f"services.{service}")
    if spec is None or not spec.submodule_search_locations:
        raise typer.BadParameter(f"no service {service!r}", param_hint="SERVICE")
    folder = Path(next(iter(spec.submodule_search_locations))) / "migrations"
    if not folder.is_dir():
        raise typer.BadParameter(f"service {service!r} has no migrations", param_hint="SERVICE")
    return folder


@migrate_app.command("up")
def migrate_up(
    service: Annotated[str, typer.Argument(help="identity, profiles, dedup, …")],
) -> None:
    """Migrate SERVICE's database (LOKOS_DATABASE_URL) to this release's head, as the
    service itself does at start (the Job runs it before a rollout)."""
    from lokos.config import ServiceSettings
    from lokos.db import prepare_database

    settings = ServiceSettings()
    folder = _migrations(service)
    asyncio.run(prepare_database(folder, settings.database_url, create=settings.create_database))
    console.print(f"{service}: migrated to head")


@migrate_app.command("down")
def migrate_down(
    service: Annotated[str, typer.Argument(help="identity, profiles, dedup, …")],
    revision: Annotated[str, typer.Argument(help="The revision the previous release ran")],
) -> None:
    """Roll SERVICE's schema back to REVISION (run with the NEW release's image, which knows
    how to undo its own migrations, before going back to the old image)."""
    from alembic import command
    from alembic.config import Config

    from lokos.config import ServiceSettings

    settings = ServiceSettings()
    cfg = Config()
    cfg.set_main_option("script_location", str(_migrations(service)))
    cfg.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    command.downgrade(cfg, revision)
    console.print(f"{service}: rolled back to {revision}")


@reports_app.command("rebuild")
def reports_rebuild() -> None:
    """Replay every event the reports consume, from the stream's first, into fresh read
    models, and swap them in atomically (the live consumer pauses only for the swap)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from lokos.db import Database
    from services.reports.rebuild import rebuild

    p = _platform()
    user, password = p.nats_credentials()

    async def run() -> None:
        db = Database(p.database_url("reports"), pool_size=2)
        columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
        try:
            with Progress(*columns, TimeRemainingColumn(), console=console) as bar:
                task = bar.add_task("events", total=None)
                done = await rebuild(
                    db,
                    p.nats_url,
                    user,
                    password,
                    p.s.state,
                    lambda n, total: bar.update(task, completed=n, total=total),
                )
        finally:
            await db.dispose()
        console.print(f"rebuilt from {done.events} events ({done.skipped} not applied)")

    asyncio.run(run())


@reports_app.command("verify")
def reports_verify() -> None:
    """Recount every block's dashboard numbers from the read models' records and from the
    owners' own totals (profiles and transactions over gRPC), and list the blocks whose
    numbers differ (exit 1 when any does). Run it once the reports have caught up."""
    import uuid

    import asyncpg

    from lokos import rpc
    from lokos.db import asyncpg_dsn
    from lokos.principal import system_principal
    from services.reports.verify import compare_with_owners, owners_totals, verify

    p = _platform()
    rpc.configure(p.client_settings())

    async def run() -> list[object]:
        metadata = rpc.call_metadata(system_principal("lokosctl", p.s.state), uuid.uuid4().hex)
        async with (
            rpc.channel(p.grpc_target("profiles")) as profiles,
            rpc.channel(p.grpc_target("transactions")) as transactions,
        ):
            owners = await owners_totals(profiles, transactions, metadata)
        conn = await asyncpg.connect(asyncpg_dsn(p.database_url("reports")))
        try:
            return [
                *await verify(conn, p.s.state),
                *await compare_with_owners(conn, p.s.state, owners),
            ]
        finally:
            await conn.close()

    differences = asyncio.run(run())
    if not differences:
        console.print("every block's rollups equal the recount and the owners' totals")
        return
    table = Table("district", "block", "table", "column", "kept", "recounted")
    for d in differences:
        table.add_row(*(str(v) for v in vars(d).values()))
    console.print(table)
    raise typer.Exit(1)


if __name__ == "__main__":
    app()
