"""Alembic environment of the identity database (see lokos.db.run_alembic_env)."""

from lokos.db import run_alembic_env
from services.identity.models import metadata

run_alembic_env(metadata)
