"""Alembic environment of the dedup database (see lokos.db.run_alembic_env)."""

from lokos.db import run_alembic_env
from services.dedup.models import metadata

run_alembic_env(metadata)
