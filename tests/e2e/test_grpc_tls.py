"""Mutual TLS between processes (LOKOS_GRPC_TLS=true): the launcher makes a CA and a
certificate per process at first start; every gRPC port then wants a certificate of that CA,
and the platform works end to end over it. A platform of its own, on other ports."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from launcher import certificates
from launcher.platform import TOOLS, Platform, running_platform
from launcher.settings import SERVICES
from lokos.principal import METADATA_KEY, Principal, RoleGrant, Scope
from lokos.profiles.v1 import profiles_pb2, profiles_pb2_grpc
from lokos.rpc import TlsFiles
from tests.conftest import DEMO_PASSWORD, DEMO_USER, platform_settings
from tests.e2e.identity_helpers import new_code


@pytest.fixture(scope="module")
def tls_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    settings = platform_settings(tmp_path_factory.mktemp("lokos-tls"), offset=500, grpc_tls=True)
    with running_platform(settings, timeout=180, wipe=True) as p:
        yield p


def _tools(p: Platform) -> TlsFiles:
    return certificates.ensure(p.data, [TOOLS])[TOOLS]


async def _health(target: str, credentials: grpc.ChannelCredentials | None) -> grpc.StatusCode:
    channel = (
        grpc.aio.secure_channel(target, credentials)
        if credentials is not None
        else grpc.aio.insecure_channel(target)
    )
    async with channel:
        try:
            reply = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=5
            )
        except grpc.aio.AioRpcError as err:
            return err.code()
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    return grpc.StatusCode.OK


@pytest.mark.parametrize("service", SERVICES)
async def test_only_clients_with_a_certificate_of_the_platform_get_in(
    tls_platform: Platform, service: str, tmp_path: Path
) -> None:
    target = tls_platform.grpc_target(service)
    tools = _tools(tls_platform)
    ca = tools.ca.read_bytes()
    intruder = certificates.ensure(tmp_path, ["intruder"])["intruder"]  # a CA of its own
    refused = {
        "plain gRPC": None,
        "no client certificate": grpc.ssl_channel_credentials(root_certificates=ca),
        "a certificate of another CA": grpc.ssl_channel_credentials(
            root_certificates=ca,
            private_key=intruder.key.read_bytes(),
            certificate_chain=intruder.cert.read_bytes(),
        ),
    }
    for name, credentials in refused.items():
        assert await _health(target, credentials) == grpc.StatusCode.UNAVAILABLE, name
    assert await _health(target, tools.channel_credentials()) == grpc.StatusCode.OK


async def test_a_signed_call_over_mtls_is_served(tls_platform: Platform) -> None:
    admin = Principal(
        "UP_STATEADMIN", "up", "lokos-up", (RoleGrant("STATE_ADMIN", Scope("state")),)
    )
    rid = f"tls-{uuid.uuid4()}"
    md = (("x-request-id", rid), (METADATA_KEY, tls_platform.principal_keys().sign(admin, rid)))
    creds = _tools(tls_platform).channel_credentials()
    async with grpc.aio.secure_channel(tls_platform.grpc_target("profiles"), creds) as ch:
        masters = await profiles_pb2_grpc.ProfilesServiceStub(ch).ListMasters(
            profiles_pb2.ListMastersRequest(), metadata=md, timeout=5
        )
    assert masters.ByteSize() > 0


def test_the_platform_works_end_to_end_over_mtls(tls_platform: Platform) -> None:
    """Gateway → identity (login, principal), → profiles, → dedup, → reports, and identity →
    profiles (where a new user's block lies), all over mutual TLS."""
    with httpx.Client(base_url=tls_platform.gateway_url, timeout=15) as http:
        assert http.get("/readyz").status_code == 200
        r = http.post(
            "/v1/auth/state/login", json={"user_id": DEMO_USER, "password": DEMO_PASSWORD}
        )
        assert r.status_code == 200, r.text
        auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        district, block = new_code(8), new_code(9)
        r = http.post(
            "/v1/geography/districts", json={"lgd_code": district, "name": "D"}, headers=auth
        )
        assert r.status_code == 201, r.text
        r = http.post(
            "/v1/geography/blocks",
            json={"lgd_code": block, "name": "B", "district_lgd_code": district},
            headers=auth,
        )
        assert r.status_code == 201, r.text
        r = http.post(
            "/v1/users",
            json={
                "user_id": f"UP_DA{new_code(6)}",
                "name": "District Admin",
                "mobile": "9876500000",
                "password": "Lokos@2024",
                "temporary_password": False,
                "roles": [
                    {"role": "DISTRICT_ADMIN", "scope": {"level": "district", "codes": [district]}}
                ],
            },
            headers=auth,
        )
        assert r.status_code == 201, r.text
        r = http.post(
            "/v1/cbos",
            json={
                "client_id": str(uuid.uuid4()),
                "cbo_type": "SHG",
                "name": "Kamla SHG",
                "block_lgd_code": block,
            },
            headers=auth,
        )
        assert r.status_code == 201, r.text
        got = http.get(f"/v1/cbos/{r.json()['id']}", headers=auth)
        assert got.status_code == 200 and got.json()["name"] == "Kamla SHG"
        assert http.get("/v1/duplicate-rules", headers=auth).status_code == 200
        dashboard = http.get(
            "/v1/reports/dashboard", params={"block_lgd_code": block}, headers=auth
        )
        assert dashboard.status_code == 200, dashboard.text


@pytest.mark.parametrize("service", SERVICES)
def test_the_container_probe_checks_health_over_the_process_own_mtls(
    tls_platform: Platform, service: str
) -> None:
    """``python -m lokos.health`` (the Kubernetes exec probe) with a process's own settings:
    its certificate gets it in over mutual TLS; without TLS the same port refuses it."""
    from lokos import health
    from lokos.config import ServiceSettings

    files = certificates.ensure(tls_platform.data, [service])[service]
    own = ServiceSettings(
        grpc_port=tls_platform.s.grpc_port(service),
        grpc_tls=True,
        grpc_tls_cert=files.cert,
        grpc_tls_key=files.key,
        grpc_tls_ca=files.ca,
    )
    assert health.check(own) is True
    assert health.check(ServiceSettings(grpc_port=own.grpc_port), timeout=2) is False
