"""Property-based fuzzing of the whole gateway contract (schemathesis, from its OpenAPI
document), as the demo state admin so requests reach the real handlers and services.

It must find no 5xx and no answer outside the document: every status code, content type and
body as declared. The budget is bounded (``--max-time``, examples per operation), and the test
runs last (``tests/conftest.py``): it creates units, users and SHGs at random, tries logins
(which the login throttle counts) and changes the state's de-duplication rules (restored
after).

Every schemathesis check runs but those ``schemathesis.toml`` (beside this file) turns off,
each with its reason: that every schema-valid request is accepted (the services validate
meaning too, and answer 422 for what a schema cannot express), and one false positive of the
tool. Object-level authorisation needs a second user and is covered by
tests/e2e/test_scope_at_the_service.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Api

# Seconds of fuzzing; CI keeps the default, a developer may raise it to search longer.
BUDGET = int(os.environ.get("LOKOS_FUZZ_SECONDS", "120"))
# The login entries are fuzzed on their own, without a token, in a shorter run.
LOGIN_BUDGET = max(10, BUDGET // 4)
EXAMPLES = int(os.environ.get("LOKOS_FUZZ_EXAMPLES", "25"))
LOGIN_ENTRIES = "^/v1/auth/"

# Operations left out of the run as the admin, and why.
EXCLUDED = [
    # A wrong current password counts towards locking the caller: the fuzzer would lock the
    # demo admin the rest of the suite logs in as (tests/e2e/test_identity.py covers it).
    "/v1/me/password",
]


def _schemathesis(
    api: Api,
    report_dir: Path,
    budget: int,
    filters: list[str],
    token: str | None,
    *,
    schema: str = "",
) -> subprocess.CompletedProcess[str]:
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(Path(__file__).with_name("schemathesis.toml")),
        "run",
        schema or f"{api.platform.gateway_url}/v1/openapi.json",
        *(["--header", f"Authorization: Bearer {token}"] if token else []),
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(EXAMPLES),
        "--max-time",
        str(budget),
        # One worker: the machine has two cores, shared with the platform under test.
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--seed",
        os.environ.get("LOKOS_FUZZ_SEED", "20261130"),
        "--report",
        "junit",
        "--report-dir",
        str(report_dir),
        *filters,
    ]
    report_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=budget + 240,
        cwd=report_dir,  # the fuzzer's own files (examples database, reports) stay there
        env={**os.environ, "SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1"},
    )


@pytest.mark.fuzz
@pytest.mark.timeout(BUDGET + LOGIN_BUDGET + 600)
def test_gateway_contract_holds_under_fuzzing(api: Api, tmp_path: Path) -> None:
    rules = api.get("/v1/duplicate-rules")
    assert rules.status_code == 200, rules.text
    # As the admin, everything but the login entries: schemathesis reuses values it saw in
    # answers (the admin's own user ID among them), and wrong passwords for that ID would lock
    # the very account it runs as (locked means locked: every later request answers 423).
    filters = ["--exclude-path-regex", LOGIN_ENTRIES]
    for path in EXCLUDED:
        filters += ["--exclude-path", path]
    try:
        run = _schemathesis(api, tmp_path / "api", BUDGET, filters, api.token)
    finally:
        restored = api.http.put(
            "/v1/duplicate-rules",
            json={"rules": rules.json()["rules"]},
            headers=api.auth,
        )
        assert restored.status_code == 200, restored.text
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    # The login entries, anonymously: no answer of this run names a user to lock.
    run = _schemathesis(
        api, tmp_path / "login", LOGIN_BUDGET, ["--include-path-regex", LOGIN_ENTRIES], None
    )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
