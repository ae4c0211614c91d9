"""The web console: static pages the gateway serves at ``/console/`` (no build step, no CDN).

Vanilla JavaScript modules and SVG charts under ``static/``; the browser logs in through the
realm's own login page (authorisation code + PKCE, ``static/auth.js``) and calls the same
``/v1`` API as every other client with the token it gets. ``/console/config.json`` tells the
page where the identity provider is.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from gateway.config import GatewaySettings

STATIC = Path(__file__).parent / "static"
PREFIX = "/console"
NATIONAL_REALM = "lokos-national"


def idp_public_url(settings: GatewaySettings) -> str:
    """The identity provider as browsers reach it: the front channel, the issuer tokens name
    (the gateway itself may reach it elsewhere, ``idp_internal_url``)."""
    return settings.idp_url.rstrip("/")


def content_security_policy(settings: GatewaySettings) -> str:
    """Scripts, styles and images of the console itself only; calls to this gateway and to
    the identity provider's token endpoint; no framing, no inline script."""
    idp = urlsplit(idp_public_url(settings))
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' {idp.scheme}://{idp.netloc}; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    )


def install(app: FastAPI, settings: GatewaySettings) -> None:
    realms = settings.realms
    state_realm = next((r for r in realms if r != NATIONAL_REALM), realms[0])
    config = {
        "idp_url": idp_public_url(settings),
        "client_id": "lokos-web",
        "realms": {"national": NATIONAL_REALM, "state": state_realm},
    }

    @app.get(f"{PREFIX}/config.json", include_in_schema=False)
    async def console_config() -> JSONResponse:
        return JSONResponse(config)

    app.mount(PREFIX, StaticFiles(directory=STATIC, html=True), name="console")
