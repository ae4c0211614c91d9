"""Property-based fuzzing of the external API's own contract (``/external/v1/openapi.json``)
as a registered client with every scope: no 5xx, every answer as the document declares it.
Short on purpose (the whole gateway contract has its own, longer run)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import Api
from tests.e2e.external.test_external_api import register, token
from tests.e2e.test_fuzz_openapi import _schemathesis

BUDGET = int(os.environ.get("LOKOS_EXTERNAL_FUZZ_SECONDS", "30"))


@pytest.mark.fuzz
@pytest.mark.timeout(BUDGET + 300)
def test_external_contract_holds_under_fuzzing(api: Api, tmp_path: Path) -> None:
    client = register(
        api, ["aggregates", "shg-credit-history", "member-history"], rate_per_minute=6000
    )
    access = token(api.platform, client)
    run = _schemathesis(
        api,
        tmp_path / "external",
        BUDGET,
        [],
        access,
        schema=f"{api.platform.gateway_url}/external/v1/openapi.json",
    )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
