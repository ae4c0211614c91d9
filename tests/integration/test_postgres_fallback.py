"""Without system PostgreSQL binaries the launcher falls back to the pgserver wheel's."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
from pathlib import Path

import asyncpg

from lokos.db import asyncpg_dsn
from lokos.runtime.postgres import PostgresInstance, find_bindir, server_user


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_pgserver_binaries_initialise_and_serve(tmp_path: Path) -> None:
    bindir, origin = find_bindir(allow_system=False)
    assert origin == "pgserver"
    pg = PostgresInstance(tmp_path / "postgres", _free_port(), bindir)
    pg.init()
    owner = server_user()
    proc = subprocess.Popen(
        pg.command(),
        user=owner.pw_uid if owner else None,
        group=owner.pw_gid if owner else None,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:

        async def query() -> str:
            for _ in range(100):
                try:
                    conn = await asyncpg.connect(asyncpg_dsn(pg.url("postgres")))
                    break
                except (OSError, asyncpg.PostgresError):
                    await asyncio.sleep(0.1)
            else:
                raise TimeoutError("pgserver's postgres did not start")
            try:
                return str(await conn.fetchval("SHOW server_version"))
            finally:
                await conn.close()

        version = asyncio.run(query())
        assert version.split(".")[0].isdigit()
        # A second init on the same folder keeps the cluster (data survives restarts).
        pg.init()
    finally:
        proc.terminate()
        proc.wait(30)
        if pg.server_root != pg.root:
            shutil.rmtree(pg.server_root, ignore_errors=True)


def test_wrong_configured_bindir_is_a_clear_error(tmp_path: Path) -> None:
    try:
        find_bindir(str(tmp_path))
    except FileNotFoundError as exc:
        assert "LOKOS_PG_BINDIR" in str(exc)
    else:
        raise AssertionError("an empty folder was accepted as PostgreSQL binaries")
