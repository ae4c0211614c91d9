"""Each service's migrations build exactly the schema its models declare."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import create_async_engine

from launcher.platform import Platform
from launcher.settings import SERVICES
from lokos.db import prepare_database

ROOT = Path(__file__).parents[2]


def _metadata(service: str) -> MetaData:
    module = __import__(f"services.{service}.models", fromlist=["metadata"])
    md: MetaData = module.metadata
    return md


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_match_models(platform: Platform, service: str) -> None:
    url = (
        platform.database_url(service).rsplit("/", 1)[0] + f"/mig_{service}_{uuid.uuid4().hex[:8]}"
    )
    await prepare_database(ROOT / "services" / service / "migrations", url, create=True)
    # Applying them again on start is a no-op.
    await prepare_database(ROOT / "services" / service / "migrations", url, create=True)
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), _metadata(service))
            )
    finally:
        await engine.dispose()
    assert diff == [], f"{service}: models and migrations differ; add a migration: {diff}"


def test_services_never_import_each_other() -> None:
    for service in SERVICES:
        for path in (ROOT / "services" / service).rglob("*.py"):
            text = path.read_text()
            for other in SERVICES:
                if other != service:
                    assert f"services.{other}" not in text, f"{path} imports services.{other}"
