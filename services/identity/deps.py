"""What identity's use cases need besides a session; built once per process in main.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lokos import secretfiles
from lokos.db import Database
from services.identity.config import IdentitySettings
from services.identity.geography import Geography
from services.identity.idp.port import IdentityProvider
from services.identity.sms import SmsSender

if TYPE_CHECKING:  # consents.py imports Deps
    from services.identity.consents import MemberDirectory


@dataclass(frozen=True)
class Deps:
    db: Database
    settings: IdentitySettings
    idp: IdentityProvider
    geography: Geography
    sms: SmsSender
    otp_key: bytes
    # Where a consent's member is read (profiles, as the bookkeeper).
    members: MemberDirectory


def otp_key(settings: IdentitySettings) -> bytes:
    """The OTP hashing key: configured, or generated once into the data folder."""
    if settings.otp_secret:
        return settings.otp_secret.encode()
    return secretfiles.token(settings.data_dir / "identity" / "otp.key").encode()
