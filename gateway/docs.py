"""The API documentation page (Swagger UI) at ``/v1/docs``, served with its assets from this
gateway: no CDN, so it works on a state's closed network and loads no third-party script.

The assets come from the ``fastapi-offline`` wheel (Swagger UI's bundle and stylesheet).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(str(files("fastapi_offline") / "static"))


def install(app: FastAPI, docs_url: str) -> None:
    """Serve Swagger UI at ``docs_url`` and its assets under ``docs_url/assets``."""
    assets = f"{docs_url}/assets"
    app.mount(assets, StaticFiles(directory=ASSETS), name="docs-assets")
    openapi_url = app.openapi_url or ""

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon.png",
            # No badge fetched from the public validator.
            swagger_ui_parameters={"validatorUrl": None},
        )
