"""Secrets generated once at first start and kept in a private file of the data folder.

Keys, passwords and certificates of the embedded platform (and of any deployment that does not
inject its own) are created here, race-free: written to a private temporary file and hard-linked
into place, so two processes starting together end up with the same secret. Folders are 0700,
files 0600, and each folder carries a ``.gitignore`` so a data folder inside a checkout is never
committed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

# The development IdP's master-realm admin password, under the data folder: devidp serves
# Keycloak's admin API with it, identity administers the IdP with it (when none is configured).
DEV_IDP_ADMIN_PASSWORD = Path("idp") / "admin-password"


def private_dir(path: Path) -> Path:
    """Create ``path`` (0700) with a ``.gitignore`` that ignores everything in it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    ignore = path / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Local secrets of LokOS: never commit.\n*\n", encoding="utf-8")
    return path


def read_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    """The bytes of ``path``; when it does not exist, ``make()`` them and store them (0600).

    When two processes race, the first link wins and both return its content.
    """
    if path.exists():
        return path.read_bytes()
    private_dir(path.parent)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(make())
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process won the race: use its secret
        except OSError:
            # File systems without hard links: an atomic replace, unless someone was first.
            if not path.exists():
                os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes()


def token(path: Path, nbytes: int = 32) -> str:
    """A random hex token kept in ``path`` (``nbytes`` of entropy), created on first use."""
    return read_or_create(path, lambda: secrets.token_hex(nbytes).encode()).decode().strip()
