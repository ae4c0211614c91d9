"""Backup → wipe → restore of a whole instance (lokosctl/backup.py).

A platform of its own (the shared one is never wiped): SHGs are created, the instance is
backed up, then wiped (every database dropped, the stream deleted, the services' keys and the
identity provider's store removed), the backup is restored, and the instance answers the same
reports and SHG reads as before, counts nothing twice, and accepts new writes.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import asyncpg
import httpx
import nats
import pytest

from launcher.platform import Platform, running_platform
from lokos.events import STREAM
from lokosctl import backup as backups
from tests.conftest import Api, platform_settings

# Ports of this test's own platform: LOKOS_TEST_PORT_BASE + 200 onwards.
OFFSET = 200


def _eventually(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not after {timeout:.0f}s: {what}")
        time.sleep(0.3)


def _snapshot(api: Api, block: str, shg_ids: list[str]) -> tuple[int, list[tuple[str, str]]]:
    """What the instance answers: the block's dashboard count and each SHG's name."""
    reads = []
    for shg_id in shg_ids:
        r = api.get(f"/v1/cbos/{shg_id}")
        assert r.status_code == 200, r.text
        reads.append((shg_id, r.json()["name"]))
    return api.dashboard_count(block), reads


async def _databases(platform: Platform) -> set[str]:
    url = platform.database_url("identity").replace("+asyncpg", "").rsplit("/", 1)[0]
    conn = await asyncpg.connect(f"{url}/postgres")
    try:
        rows = await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'lokos_%'")
    finally:
        await conn.close()
    return {row["datname"] for row in rows}


async def _wipe(platform: Platform) -> None:
    """Everything the instance knows goes: every database, the stream, the services' keys
    and the identity provider's store (PostgreSQL and NATS themselves keep running)."""
    for name in (*backups.LOKOS_PROCESSES, "idp"):
        platform.stop_program(name)
    url = platform.database_url("identity").replace("+asyncpg", "").rsplit("/", 1)[0]
    conn = await asyncpg.connect(f"{url}/postgres")
    try:
        for database in await _databases(platform):
            await conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
    finally:
        await conn.close()
    user, password = platform.nats_credentials()
    nc = await nats.connect(platform.nats_url, user=user, password=password)
    try:
        await nc.jetstream().delete_stream(STREAM)
    finally:
        await nc.close()
    for folder in (*backups.SERVICES, "idp"):
        shutil.rmtree(platform.data / folder, ignore_errors=True)


def test_backup_wipe_restore_gives_the_same_answers_and_takes_new_writes(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = platform_settings(tmp_path_factory.mktemp("lokos-backup"), offset=OFFSET)
    out: Path = tmp_path_factory.mktemp("backups")

    with (
        running_platform(settings, wipe=True) as platform,
        httpx.Client(base_url=platform.gateway_url, timeout=15) as http,
    ):
        api = Api(platform, http)
        block = api.new_block()
        shg_ids = []
        for i in range(3):
            r = api.create_shg(block, f"Backup Mahila SHG {i}")
            assert r.status_code == 201, r.text
            shg_ids.append(r.json()["id"])
        _eventually(lambda: api.dashboard_count(block) == 3, "the dashboard counts 3 SHGs")
        before = _snapshot(api, block, shg_ids)

        taken = backups.backup(platform, out)
        assert taken.messages >= 3
        assert set(taken.databases) == set(backups.SERVICES)
        assert all(taken.databases.values()), "every database is at an Alembic revision"

        asyncio.run(_wipe(platform))
        assert asyncio.run(_databases(platform)) == set(), "the wipe left databases"

        backups.restore(platform, taken.folder)

        # A new token: the restored identity provider signs with its own, restored key.
        api = Api(platform, http)
        _eventually(lambda: api.dashboard_count(block) == 3, "the restored dashboard")
        assert _snapshot(api, block, shg_ids) == before
        r = api.create_shg(block, "After Restore SHG")
        assert r.status_code == 201, r.text
        _eventually(lambda: api.dashboard_count(block) == 4, "the new SHG is counted once")
