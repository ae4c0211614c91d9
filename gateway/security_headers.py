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

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Swagger UI starts from an inline script and inline styles.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


Header = tuple[bytes, bytes]
_COMMON: tuple[Header, ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
_API = (*_COMMON, (b"content-security-policy", API_CSP.encode()), (b"cache-control", b"no-store"))
_DOCS = (*_COMMON, (b"content-security-policy", DOCS_CSP.encode()))
_HSTS = ((b"strict-transport-security", HSTS.encode()),)


def security_headers(path: str, scheme: str, docs_prefix: str) -> tuple[Header, ...]:
    """The headers an answer to ``path`` carries (the docs' assets may be cached)."""
    if path == docs_prefix or path.startswith(f"{docs_prefix}/"):
        added = _DOCS if path.startswith(f"{docs_prefix}/assets/") else (*_DOCS, _API[-1])
    else:
        added = _API
    return (*added, *_HSTS) if scheme == "https" else added


def console_headers(csp: str) -> tuple[Header, ...]:
    """The web console's pages: the API's headers with the console's own policy."""
    return (*_COMMON, (b"content-security-policy", csp.encode()), _API[-1])


def with_headers(headers: list[Header], added: tuple[Header, ...]) -> list[Header]:
    """``headers`` without a server banner, plus those of ``added`` the route did not set."""
    kept = [(k, v) for k, v in headers if k.lower() != b"server"]
    present = {k.lower() for k, _ in kept}
    return kept + [(k, v) for k, v in added if k not in present]
