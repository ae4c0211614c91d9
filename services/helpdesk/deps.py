"""What the help desk's use cases need besides a session; built once per process in main.py."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from lokos.db import Database
from services.helpdesk.config import HelpdeskSettings
from services.helpdesk.service import Policy


@dataclass(frozen=True)
class Deps:
    db: Database
    settings: HelpdeskSettings
    policy: Policy
    # With an OTLP backend's query API configured, hops are read there (jaeger.py).
    jaeger: httpx.AsyncClient | None = None
