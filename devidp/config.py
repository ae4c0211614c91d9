"""Settings of the embedded development identity provider (``LOKOS_IDP_*``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from devidp.store import validate_realm_name
from lokos.config import LokosSettings


class IdpSettings(LokosSettings):
    """Settings of the ``devidp`` process.

    ``LOKOS_IDP_REALMS`` accepts a JSON list (``["lokos-national","lokos-up"]``) or a
    comma-separated list (``lokos-national,lokos-up``).
    """

    idp_host: str = "127.0.0.1"
    idp_port: int = 8180
    # Base of the issuer (``{idp_public_url}/realms/{realm}``). Empty: http://{idp_host}:{idp_port}.
    # Set it when the IdP listens on 0.0.0.0 or sits behind a proxy.
    idp_public_url: str = ""
    idp_realms: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["lokos-national", "lokos-up"]
    )
    # Lifespans in seconds: access token, and refresh token / session idle timeout.
    access_token_lifespan: int = Field(default=300, gt=0)
    refresh_token_lifespan: int = Field(default=1800, gt=0)
    # PBKDF2-HMAC-SHA256 iterations for new password hashes (Keycloak's old default).
    password_iterations: int = Field(default=27500, ge=1000)
    demo_password: str = Field(default="Demo@12345", repr=False)
    # Password of the admin user of the ``master`` realm (Keycloak's admin REST API, client
    # ``admin-cli``). Empty: generated at first start and kept in data_dir/idp/admin-password.
    admin_password: str = Field(default="", repr=False)
    # Create the demo administrators (UP_STATEADMIN, NATIONAL_ADMIN) at start.
    seed_demo: bool = False
    # Where the browser flow may send a code back (comma-separated; * matches anything, as
    # the development IdP's stand-in for a client's "Valid redirect URIs"): the web console
    # served by a gateway on this machine, and a web app in development.
    idp_redirect_uris: str = (
        "http://127.0.0.1:*/console/*,http://localhost:*/console/*,http://localhost:3000/*"
    )

    @field_validator("idp_realms", mode="before")
    @classmethod
    def _parse_realms(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("idp_realms")
    @classmethod
    def _check_realms(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one realm is required")
        for realm in value:
            validate_realm_name(realm)
        return list(dict.fromkeys(value))

    @property
    def public_url(self) -> str:
        """Issuer base URL without a trailing slash."""
        if self.idp_public_url:
            return self.idp_public_url.rstrip("/")
        return f"http://{self.idp_host}:{self.idp_port}"

    @property
    def redirect_patterns(self) -> list[str]:
        return [p.strip() for p in self.idp_redirect_uris.split(",") if p.strip()]

    @property
    def idp_dir(self) -> Path:
        """Folder of the signing key, users, clients and sessions."""
        return self.data_dir / "idp"

    def issuer(self, realm: str) -> str:
        return f"{self.public_url}/realms/{realm}"
