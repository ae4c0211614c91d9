"""The platform runs from a folder only its owner may enter (``/root/lokos``, ``mktemp -d``).

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

from lokos.db import asyncpg_dsn
from lokos.runtime.platform import Platform
from lokos.runtime.postgres import find_bindir, reachable_by, server_user
from lokos.runtime.settings import PlatformSettings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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

    proc = subprocess.Popen(
        program.command,
        cwd=program.directory,
        user=owner.pw_uid if owner else None,
        group=owner.pw_gid if owner else None,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:

        async def version() -> str:
            for _ in range(150):
                try:
                    conn = await asyncpg.connect(asyncpg_dsn(pg.url("postgres")))
                    break
                except (OSError, asyncpg.PostgresError):
                    await asyncio.sleep(0.1)
            else:
                raise TimeoutError("postgres did not start from the private folder")
            try:
                return str(await conn.fetchval("SHOW server_version"))
            finally:
                await conn.close()

        assert asyncio.run(version()).split(".")[0].isdigit()
    finally:
        proc.terminate()
        proc.wait(30)
        platform.wipe()
        copied = Path(program.command[0]).parents[3]
        if owner is not None and copied.parent.name == "lokos":  # the binaries' copy
            shutil.rmtree(copied, ignore_errors=True)
    assert _modes(private_checkout) == before, "permissions above the checkout were changed"
    assert os.access(private_checkout, os.W_OK)
