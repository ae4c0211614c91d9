"""What the profiles use cases need besides a session; built once per process."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from lokos.db import Database
from services.profiles.config import ProfilesSettings
from services.profiles.duplicates import DedupChecks


@dataclass(frozen=True)
class Deps:
    db: Database
    settings: ProfilesSettings
    identifier_key: bytes
    # The de-duplication service (None where a use case runs without it, e.g. unit tests).
    dedup: DedupChecks | None = None


def identifier_key(settings: ProfilesSettings) -> bytes:
    """The state's identifier key: configured, or generated once into the data folder."""
    if settings.identifier_key:
        return settings.identifier_key.encode()
    path = settings.data_dir / "profiles" / "identifier.key"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
    return path.read_text().strip().encode()
