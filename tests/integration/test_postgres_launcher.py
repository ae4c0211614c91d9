"""The launcher's PostgreSQL: the pgserver wheel's binaries when the system has none, and a
platform run from a folder only its owner may enter (``/root/lokos``, ``mktemp -d``).

As root, PostgreSQL runs as another user, who cannot enter such a folder: its cluster and (for
the pgserver wheel, which lives inside the checkout's virtualenv) its binaries must be placed
where it can reach them, and no folder above the checkout may have its permissions changed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from launcher.platform import Platform
from launcher.postgres import (
    PostgresInstance,
    find_bindir,
    reachable_by,
    server_user,
)
from launcher.settings import PlatformSettings
from lokos.db import asyncpg_dsn


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def served_version(pg: PostgresInstance, command: list[str], cwd: Path | None = None) -> str:
    """Run the server as the launcher would (its user, its folder) and ask its version."""
    owner = server_user()
    proc = subprocess.Popen(
        command,
        cwd=cwd,
        user=owner.pw_uid if owner else None,
        group=owner.pw_gid if owner else None,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )

    async def version() -> str:
        for _ in range(150):
            try:
                conn = await asyncpg.connect(asyncpg_dsn(pg.url("postgres")))
                break
            except (OSError, asyncpg.PostgresError):
                await asyncio.sleep(0.1)
        else:
            raise TimeoutError("postgres did not start")
        try:
            return str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()

    try:
        return asyncio.run(version())
    finally:
        proc.terminate()
        proc.wait(30)


def test_pgserver_binaries_initialise_and_serve(tmp_path: Path) -> None:
    bindir, origin = find_bindir(allow_system=False)
    assert origin == "pgserver"
    pg = PostgresInstance(tmp_path / "postgres", _free_port(), bindir)
    pg.init()
    try:
        assert served_version(pg, pg.command()).split(".")[0].isdigit()
        # A second init on the same folder keeps the cluster (data survives restarts).
        pg.init()
        assert (pg.pgdata / "PG_VERSION").exists()
    finally:
        if pg.server_root != pg.root:
            shutil.rmtree(pg.server_root, ignore_errors=True)


def test_wrong_configured_bindir_is_a_clear_error(tmp_path: Path) -> None:
    try:
        find_bindir(str(tmp_path))
    except FileNotFoundError as exc:
        assert "LOKOS_PG_BINDIR" in str(exc)
    else:
        raise AssertionError("an empty folder was accepted as PostgreSQL binaries")


def _modes(path: Path) -> dict[Path, int]:
    return {p: stat.S_IMODE(p.stat().st_mode) for p in [path, *path.parents]}


@pytest.fixture
def private_checkout() -> Iterator[Path]:
    """A private folder holding a copy of the pgserver binaries, as a checkout's venv would."""
    folder = Path(tempfile.mkdtemp(prefix="lokos-private-"))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    bindir, _ = find_bindir(allow_system=False)
    site = bindir.parents[2]  # site-packages: pgserver/pginstall/bin and pgserver.libs
    shutil.copytree(bindir.parent, folder / "site" / "pgserver" / "pginstall", symlinks=True)
    shutil.copytree(site / "pgserver.libs", folder / "site" / "pgserver.libs", symlinks=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_postgres_starts_from_a_private_folder_without_opening_it(
    private_checkout: Path,
) -> None:
    before = _modes(private_checkout)
    settings = PlatformSettings(
        data_dir=private_checkout / ".lokos",
        pg_port=_free_port(),
        pg_bindir=str(private_checkout / "site" / "pgserver" / "pginstall" / "bin"),
    )
    platform = Platform(settings)
    platform.prepare()
    pg = platform.postgres
    assert pg is not None
    program = next(p for p in platform.programs() if p.name == "postgres")
    owner = server_user()
    assert program.directory is not None
    if owner is not None:
        # Everything the server user needs is somewhere it can reach.
        for needed in (program.directory, pg.pgdata, pg.socket_dir, Path(program.command[0])):
            assert reachable_by(needed, owner), needed
    # Every program starts in a folder of the platform, none in the checkout of the code.
    assert f"directory={program.directory}" in platform.supervisor_config()
    try:
        version = served_version(pg, program.command, program.directory)
        assert version.split(".")[0].isdigit()
    finally:
        platform.wipe()
        copied = Path(program.command[0]).parents[3]
        if owner is not None and copied.parent.name == "lokos":  # the binaries' copy
            shutil.rmtree(copied, ignore_errors=True)
    assert _modes(private_checkout) == before, "permissions above the checkout were changed"
    assert os.access(private_checkout, os.W_OK)
