"""Alembic environment of the profiles database (see lokos.db.run_alembic_env)."""

from lokos.db import run_alembic_env
from services.profiles.models import metadata

run_alembic_env(metadata)
