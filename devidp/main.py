"""Run the embedded development IdP: ``python -m devidp.main``."""

from __future__ import annotations

import uvicorn

from devidp.app import create_app
from devidp.config import IdpSettings


def main() -> None:
    settings = IdpSettings()
    app = create_app(settings)
    uvicorn.run(app, host=settings.idp_host, port=settings.idp_port, log_level="warning")


if __name__ == "__main__":
    main()
