"""Security headers on every answer of the gateway, and no server banner.

- ``X-Content-Type-Options: nosniff``: browsers take JSON as JSON, never as script or HTML.
- ``Content-Security-Policy``: API answers may load nothing and be framed by no page
  (``frame-ancestors 'none'``, with ``X-Frame-Options: DENY`` for older browsers); the API
  documentation page may load its own scripts and styles, from this gateway only.
- ``Referrer-Policy: no-referrer``: URLs (with their query filters) do not leak to other sites.
- ``Cache-Control: no-store`` on API answers: tokens and personal data stay out of browser and
  proxy caches (the documentation's static assets may be cached).
- ``Strict-Transport-Security`` when the request came over TLS (directly, or through a proxy
  whose ``X-Forwarded-Proto`` uvicorn trusts, see ``forwarded_allow_ips``): never over plain
  HTTP, where it means nothing and would pin a development host to HTTPS.
- the ``server`` header is dropped (uvicorn's is also switched off in :mod:`gateway.main`).

A header the route set itself is kept.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Swagger UI starts from an inline script and inline styles.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    def __init__(
        self, app: ASGIApp, docs_prefix: str, console_prefix: str = "", console_csp: str = ""
    ) -> None:
        self.app = app
        self.docs_prefix = docs_prefix
        self.assets_prefix = f"{docs_prefix}/assets/"
        # The web console's pages: their own scripts and styles, and the IdP's token endpoint.
        self.console_prefix = f"{console_prefix}/" if console_prefix else ""
        self.console_csp = console_csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        docs = path == self.docs_prefix or path.startswith(f"{self.docs_prefix}/")
        console = bool(self.console_prefix) and path.startswith(self.console_prefix)
        csp = self.console_csp if console else DOCS_CSP if docs else API_CSP
        added: list[tuple[bytes, bytes]] = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"content-security-policy", csp.encode()),
        ]
        if not path.startswith(self.assets_prefix):
            added.append((b"cache-control", b"no-store"))
        if scope.get("scheme") == "https":
            added.append((b"strict-transport-security", HSTS.encode()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"server"]
                present = {k.lower() for k, _ in headers}
                message["headers"] = headers + [(k, v) for k, v in added if k not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)
