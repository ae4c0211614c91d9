"""Test harness.

Unit tests need nothing running. Integration and end-to-end tests share one real platform
per test session — PostgreSQL, NATS JetStream, the identity provider, every service and the
gateway as separate processes — started by the same launcher code as ``lokos up``, on ports
of its own so a developer's running platform is left alone.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from launcher.platform import Platform, running_platform
from launcher.settings import PlatformSettings
from lokos import rpc, secretfiles

# Failed logins one client address may make in the gateway's window: every test talks from
# 127.0.0.1, and the wrong passwords the suite types on purpose must not add up to a 429.
LOGIN_FAILURES_PER_ADDRESS = 120
DEMO_USER = "UP_STATEADMIN"
DEMO_PASSWORD = "Demo@12345"


def port_base() -> int:
    return int(os.environ.get("LOKOS_TEST_PORT_BASE", "27000"))


# The national federation test (tests/e2e/test_federation.py): the national NATS's leaf port,
# and per state the port of the cable (a TCP forwarder the test can cut) in front of it.
NATIONAL_LEAF_PORT = 790
LEAF_CABLE_PORTS = {"up": 791, "br": 792}


def platform_settings(data_dir: Path, offset: int = 0, **extra: object) -> PlatformSettings:
    """The test platform's settings; a second platform (``offset`` 50, 200, 250, 500) gets
    other ports; ``extra`` overrides any setting (another state: ``state="br"``)."""
    base = port_base() + offset
    values: dict[str, object] = {
        "data_dir": data_dir,
        "state": "up",
        "gateway_port": base + 80,
        "idp_port": base + 180,
        "pg_port": base + 432,
        "nats_port": base + 222,
        "grpc_port_base": base + 51,
        "trusted_realms": "lokos-national,lokos-up",
        # The IdP also serves a realm the gateway does not trust (tokens of it must be refused).
        "idp_realms": "lokos-national,lokos-up,lokos-br",
        "seed_demo": True,
        "otlp_endpoint": "",
    }
    return PlatformSettings(**(values | extra))  # type: ignore[arg-type]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Fuzzing runs late (it leaves random records and login attempts behind), and outages
    last: after PostgreSQL comes back, each pooled connection that died with it fails one
    request with a 503 before it is replaced."""

    def rank(item: pytest.Item) -> int:
        if item.get_closest_marker("outage") is not None:
            return 2
        return 1 if item.get_closest_marker("fuzz") is not None else 0

    items.sort(key=rank)


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    data_dir = tmp_path_factory.mktemp("lokos")
    # Inherited by every process of the platform: OTPs may be re-sent after 1 s in tests.
    os.environ["LOKOS_OTP_RESEND_INTERVAL_SECONDS"] = "1"
    # A critical help desk ticket breaches its SLA after about two seconds (the others keep
    # their hours), so the breach test need not wait four hours.
    os.environ["LOKOS_SLA_HOURS_CRITICAL"] = "0.0006"
    os.environ["LOKOS_LOGIN_FAILURES_PER_ADDRESS"] = str(LOGIN_FAILURES_PER_ADDRESS)
    # The session's platform is Uttar Pradesh of a national federation: its NATS connects as a
    # leaf node to a national NATS, through a cable that the federation test brings up (and
    # cuts); until then the leaf just retries.
    federation = {
        "national_leaf_url": f"nats-leaf://127.0.0.1:{port_base() + LEAF_CABLE_PORTS['up']}",
        "national_leaf_password": secretfiles.token(data_dir / "leaf-up.password"),
        "federation_publish_seconds": 1.0,
    }
    settings = platform_settings(data_dir, **federation)
    with running_platform(settings, timeout=180, wipe=True) as p:
        # Tests that call services directly sign like the gateway (lokos.rpc.call_metadata).
        rpc.configure(p.client_settings())
        yield p


@dataclass
class Api:
    """A client of the gateway with a logged-in demo state admin."""

    platform: Platform
    http: httpx.Client
    _token: str = ""
    _token_at: float = 0.0

    @property
    def token(self) -> str:
        # Access tokens live 5 minutes; a long session logs in again before that.
        if time.monotonic() - self._token_at > 120:
            self._token = login(self.platform, "lokos-up", DEMO_USER, DEMO_PASSWORD)
            self._token_at = time.monotonic()
        return self._token

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def post(self, path: str, body: object, token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return self.http.post(path, json=body, headers=headers)

    def get(self, path: str, token: str | None = None, **params: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return self.http.get(path, headers=headers, params=params)

    def dashboard_count(self, block: str) -> int:
        r = self.get("/v1/reports/dashboard", block_lgd_code=block)
        assert r.status_code == 200, r.text
        return int(r.json()["shgs_formed"])

    def new_block(self) -> str:
        """A fresh district and block of the demo state; returns the block's LGD code."""
        n = uuid.uuid4().int
        district, block = str(n % 10**8), str(n // 10**8 % 10**9)
        r = self.post("/v1/geography/districts", {"lgd_code": district, "name": f"D{district}"})
        assert r.status_code == 201, r.text
        r = self.post(
            "/v1/geography/blocks",
            {"lgd_code": block, "name": f"B{block}", "district_lgd_code": district},
        )
        assert r.status_code == 201, r.text
        return block

    def create_shg(self, block: str, name: str = "Durga Mahila SHG") -> httpx.Response:
        return self.post(
            "/v1/cbos",
            {
                "client_id": str(uuid.uuid4()),
                "cbo_type": "SHG",
                "name": name,
                "block_lgd_code": block,
            },
        )


def login(platform: Platform, realm: str, username: str, password: str) -> str:
    r = httpx.post(
        f"{platform.idp_url}/realms/{realm}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "lokos-web",
            "username": username,
            "password": password,
        },
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


@pytest.fixture(scope="session")
def api(platform: Platform) -> Iterator[Api]:
    with httpx.Client(base_url=platform.gateway_url, timeout=15) as http:
        yield Api(platform, http)
