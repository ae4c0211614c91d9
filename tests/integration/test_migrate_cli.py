"""`lokos migrate up|down`: the migrations Job's command, and the documented rollback
(docs/runbook.md, "Upgrades and rollback"), on a database of the shared PostgreSQL."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from typer.testing import CliRunner

from launcher.platform import Platform
from lokosctl.cli import app as cli


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        revision = await conn.fetchval("SELECT version_num FROM alembic_version")
    finally:
        await conn.close()
    return {r["tablename"] for r in rows} | {f"@{revision}"}


def test_migrate_up_down_and_up_again(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    url = platform.database_url("reports").rsplit("/", 1)[0] + "/lokos_migrate_cli"
    monkeypatch.setenv("LOKOS_DATABASE_URL", url)
    monkeypatch.setenv("LOKOS_CREATE_DATABASE", "true")
    runner = CliRunner()

    up = runner.invoke(cli, ["migrate", "up", "reports"])
    assert up.exit_code == 0, up.output
    head = asyncio.run(_tables(url))
    assert {"block_rollup", "area_month", "national_block_aggregate", "@0005"} <= head

    down = runner.invoke(cli, ["migrate", "down", "reports", "0003"])
    assert down.exit_code == 0, down.output
    rolled_back = asyncio.run(_tables(url))
    assert "national_block_aggregate" not in rolled_back and "@0003" in rolled_back
    assert {"block_rollup", "area_month"} <= rolled_back, "only the newer revision is undone"

    again = runner.invoke(cli, ["migrate", "up", "reports"])
    assert again.exit_code == 0, again.output
    assert asyncio.run(_tables(url)) == head

    unknown = runner.invoke(cli, ["migrate", "up", "no-such-service"])
    assert unknown.exit_code == 2 and "no-such-service" in unknown.output
