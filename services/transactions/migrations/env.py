"""Alembic environment of the transactions database (see lokos.db.run_alembic_env)."""

from lokos.db import run_alembic_env
from services.transactions.models import metadata

run_alembic_env(metadata)
