"""What the profiles use cases need besides a session; built once per process."""

from __future__ import annotations

from dataclasses import dataclass

from lokos import secretfiles
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
    return secretfiles.token(settings.data_dir / "profiles" / "identifier.key").encode()
