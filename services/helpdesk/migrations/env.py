"""Alembic environment of the help desk database (see lokos.db.run_alembic_env)."""

from lokos.db import run_alembic_env
from services.helpdesk.models import metadata

run_alembic_env(metadata)
