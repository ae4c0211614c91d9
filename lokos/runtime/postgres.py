"""PostgreSQL for the embedded platform: the machine's server binaries when present,
otherwise the ones the ``pgserver`` wheel ships. Runs in the foreground under the supervisor.

PostgreSQL refuses to run as root; when we are root the server runs as the ``postgres``
system user (or a ``lokos-pg`` user created for it), and its data folder belongs to that user.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

SYSTEM_BIN_GLOBS = (
    "/usr/lib/postgresql/*/bin",
    "/usr/pgsql-*/bin",
    "/opt/homebrew/opt/postgresql@*/bin",
)
REQUIRED = ("initdb", "postgres", "pg_ctl")


def _has_server(bindir: Path) -> bool:
    return all((bindir / b).exists() for b in REQUIRED)


def _version_key(p: Path) -> tuple[int, ...]:
    digits = "".join(c if c.isdigit() else " " for c in str(p)).split()
    return tuple(int(d) for d in digits)


def find_bindir(explicit: str = "", allow_system: bool = True) -> tuple[Path, str]:
    """Where ``initdb`` and ``postgres`` are, and where they came from ("configured",
    "system" or "pgserver")."""
    if explicit:
        path = Path(explicit)
        if not _has_server(path):
            raise FileNotFoundError(f"LOKOS_PG_BINDIR={explicit} has no initdb/postgres")
        return path, "configured"
    if allow_system:
        candidates: list[Path] = []
        for pattern in SYSTEM_BIN_GLOBS:
            candidates += [p for p in Path("/").glob(pattern.lstrip("/")) if _has_server(p)]
        on_path = shutil.which("initdb")
        if on_path:
            candidates.append(Path(on_path).parent)
        candidates = [c for c in candidates if _has_server(c)]
        if candidates:
            return max(candidates, key=_version_key), "system"
    import pgserver  # the fallback wheel; imported only when needed

    path = Path(pgserver.__file__).parent / "pginstall" / "bin"
    if not _has_server(path):
        raise FileNotFoundError(
            "no PostgreSQL server binaries found (install postgresql or pgserver)"
        )
    return path, "pgserver"


def server_user() -> pwd.struct_passwd | None:
    """The system user the server runs as when we are root; None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "lokos-pg"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "lokos-pg"], check=True)
    return pwd.getpwnam("lokos-pg")


def _open_path_for(path: Path) -> None:
    """Let another user traverse every folder above ``path`` (o+x), as pgserver does."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


@dataclass(frozen=True)
class PostgresInstance:
    """One cluster in ``<data_dir>/postgres`` listening on 127.0.0.1:``port``."""

    root: Path
    port: int
    bindir: Path
    user: str = "lokos"

    @property
    def pgdata(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def password_file(self) -> Path:
        return self.root / "password"

    def password(self) -> str:
        return self.password_file.read_text().strip()

    def url(self, database: str) -> str:
        return (
            f"postgresql+asyncpg://{self.user}:{self.password()}@127.0.0.1:{self.port}/{database}"
        )

    def init(self) -> None:
        """initdb on first start (password auth, UTF-8); nothing when the cluster exists."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        if not self.password_file.exists():
            self.password_file.write_text(secrets.token_urlsafe(24))
            self.password_file.chmod(0o600)
        owner = server_user()
        if owner is not None:
            _open_path_for(self.root)
            _open_path_for(self.bindir)
            os.chown(self.socket_dir, owner.pw_uid, owner.pw_gid)
        if (self.pgdata / "PG_VERSION").exists():
            return
        pwfile = self.root / ".initdb-pw"
        pwfile.write_text(self.password())
        try:
            if owner is not None:
                self.pgdata.mkdir(exist_ok=True)
                os.chown(self.pgdata, owner.pw_uid, owner.pw_gid)
                os.chown(pwfile, owner.pw_uid, owner.pw_gid)
            subprocess.run(
                [
                    str(self.bindir / "initdb"),
                    "-D",
                    str(self.pgdata),
                    "-U",
                    self.user,
                    "--auth=scram-sha-256",
                    f"--pwfile={pwfile}",
                    "--encoding=UTF8",
                    "--locale=C",
                ],
                check=True,
                capture_output=True,
                user=owner.pw_uid if owner else None,
                group=owner.pw_gid if owner else None,
            )
        finally:
            pwfile.unlink(missing_ok=True)

    def command(self) -> list[str]:
        """The foreground server command (the supervisor runs it)."""
        return [
            str(self.bindir / "postgres"),
            "-D",
            str(self.pgdata),
            "-p",
            str(self.port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={self.socket_dir}",
            "-c",
            "max_connections=300",
            "-c",
            "shared_buffers=256MB",
            "-c",
            "fsync=on",
        ]

    def run_as(self) -> str | None:
        owner = server_user()
        return owner.pw_name if owner else None
