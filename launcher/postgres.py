"""PostgreSQL for the embedded platform: the machine's server binaries when present,
otherwise the ones the ``pgserver`` wheel ships. Runs in the foreground under the supervisor.

PostgreSQL refuses to run as root; when we are root the server runs as the ``postgres``
system user (or a ``lokos-pg`` user created for it). That user may not be able to enter the
checkout (``/root/lokos``, a ``mktemp -d`` folder): then its data folder, socket and (for the
pgserver wheel) binaries live under ``/var/lib/lokos``, owned by it, and nothing above the
checkout has its permissions changed.
"""

from __future__ import annotations

import functools
import hashlib
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


# Where a server user's files go when it cannot enter the folder the platform runs from.
SERVER_HOME = Path("/var/lib/lokos")


def reachable_by(path: Path, user: pwd.struct_passwd) -> bool:
    """True when ``user`` may traverse every folder down to ``path`` (by the mode bits)."""
    for folder in [path, *path.parents]:
        if not folder.exists():
            continue
        st = folder.stat()
        if st.st_uid == user.pw_uid:
            bit = stat.S_IXUSR
        elif st.st_gid == user.pw_gid:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not st.st_mode & bit:
            return False
    return True


def _server_folder(name: str, owner: pwd.struct_passwd) -> Path:
    """``/var/lib/lokos/<name>``, created and owned by ``owner`` (0700)."""
    SERVER_HOME.mkdir(parents=True, exist_ok=True, mode=0o755)
    folder = SERVER_HOME / name
    folder.mkdir(exist_ok=True, mode=0o700)
    os.chown(folder, owner.pw_uid, owner.pw_gid)
    return folder


def server_bindir(bindir: Path, owner: pwd.struct_passwd | None) -> Path:
    """``bindir``, or a copy of its installation the server user can execute.

    The pgserver wheel's binaries sit inside the virtualenv; when the server user cannot
    reach it, its ``pginstall`` (bin, lib, share) and the ``pgserver.libs`` its binaries load
    (``$ORIGIN/../../../pgserver.libs``) are copied once under SERVER_HOME, keeping that layout.
    """
    if owner is None or reachable_by(bindir, owner):
        return bindir
    install = bindir.parent
    libs = install.parent.parent / "pgserver.libs"
    digest = hashlib.sha256(str(install.resolve()).encode()).hexdigest()[:12]
    SERVER_HOME.mkdir(parents=True, exist_ok=True, mode=0o755)
    target = SERVER_HOME / f"pgserver-{digest}"
    copied_bindir = target / "pgserver" / install.name / bindir.name
    if not (copied_bindir / "postgres").exists():
        tmp = SERVER_HOME / f".pgserver-{digest}.{secrets.token_hex(4)}"
        shutil.copytree(install, tmp / "pgserver" / install.name, symlinks=True)
        if libs.is_dir():
            shutil.copytree(libs, tmp / libs.name, symlinks=True)
        try:
            tmp.rename(target)
        except OSError:  # another start copied it first
            shutil.rmtree(tmp, ignore_errors=True)
    return copied_bindir


@dataclass(frozen=True)
class PostgresInstance:
    """One cluster listening on 127.0.0.1:``port``, for the platform rooted at ``root``.

    The cluster lives in ``root`` itself when the server user can reach it (we are not root,
    or the folder is open to it), else in a folder of its own under SERVER_HOME named after
    ``root``, so each platform keeps its own cluster.
    """

    root: Path
    port: int
    bindir: Path
    user: str = "lokos"
    # See launcher.settings.PlatformSettings.pg_shared_buffers and pg_max_wal_size.
    shared_buffers: str = "256MB"
    max_wal_size: str = "1GB"

    @functools.cached_property
    def server_root(self) -> Path:
        # Decided once per instance: after the data folder is deleted it would read as
        # reachable, and a wipe would miss the cluster kept outside it.
        owner = server_user()
        if owner is None or reachable_by(self.root, owner):
            return self.root
        digest = hashlib.sha256(str(self.root.resolve()).encode()).hexdigest()[:16]
        return SERVER_HOME / f"postgres-{digest}"

    @property
    def pgdata(self) -> Path:
        return self.server_root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.server_root / "run"

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
        if not self.password_file.exists():
            self.password_file.write_text(secrets.token_urlsafe(24))
            self.password_file.chmod(0o600)
        owner = server_user()
        server_root = self.server_root
        if owner is not None and server_root != self.root:
            _server_folder(server_root.name, owner)
        self.socket_dir.mkdir(exist_ok=True)
        if owner is not None:
            os.chown(self.socket_dir, owner.pw_uid, owner.pw_gid)
        if (self.pgdata / "PG_VERSION").exists():
            return
        pwfile = server_root / ".initdb-pw"
        pwfile.write_text(self.password())
        try:
            if owner is not None:
                self.pgdata.mkdir(exist_ok=True)
                os.chown(self.pgdata, owner.pw_uid, owner.pw_gid)
                os.chown(pwfile, owner.pw_uid, owner.pw_gid)
            subprocess.run(
                [
                    str(self.server_bindir / "initdb"),
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

    @property
    def server_bindir(self) -> Path:
        return server_bindir(self.bindir, server_user())

    def command(self) -> list[str]:
        """The foreground server command (the supervisor runs it)."""
        return [
            str(self.server_bindir / "postgres"),
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
            f"shared_buffers={self.shared_buffers}",
            "-c",
            f"max_wal_size={self.max_wal_size}",
            "-c",
            "fsync=on",
        ]

    def run_as(self) -> str | None:
        owner = server_user()
        return owner.pw_name if owner else None
