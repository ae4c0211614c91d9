"""Alembic environment of the reports database (see lokos.db.run_alembic_env)."""

from lokos.db import run_alembic_env
from services.reports.models import metadata

run_alembic_env(metadata)
