"""What dedup's use cases need besides a session; built once per process in main.py."""

from __future__ import annotations

from dataclasses import dataclass

from lokos.db import Database
from services.dedup.config import DedupSettings
from services.dedup.refresh import Refresher
from services.dedup.service import Dedup


@dataclass(frozen=True)
class Deps:
    db: Database
    settings: DedupSettings
    # The duplicate rules and checks (service.py) and the block-wide "Refresh Duplicate" jobs.
    dedup: Dedup
    refresher: Refresher
