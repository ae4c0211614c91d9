"""What the reports use cases need besides a session; built once per process in main.py."""

from __future__ import annotations

from dataclasses import dataclass

from lokos.db import Database
from services.reports.config import ReportsSettings


@dataclass(frozen=True)
class Deps:
    db: Database
    # ``state`` is the instance's state ("national" on the national instance) and
    # ``small_cell_threshold`` what the external aggregates withhold (X3).
    settings: ReportsSettings
