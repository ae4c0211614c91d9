"""What ``lokos up`` starts, and that pointing at external parts is configuration only."""

from __future__ import annotations

import configparser
from pathlib import Path

from lokos.runtime.platform import Platform
from lokos.runtime.settings import SERVICES, PlatformSettings


def _programs(**settings: object) -> dict[str, dict[str, str]]:
    platform = Platform(PlatformSettings(**settings))  # type: ignore[arg-type]
    parser = configparser.RawConfigParser()
    parser.read_string(platform.supervisor_config())
    return {
        s.removeprefix("program:"): dict(parser[s])
        for s in parser.sections()
        if s.startswith("program:")
    }


def test_external_parts_replace_embedded_ones(tmp_path: Path) -> None:
    progs = _programs(
        data_dir=tmp_path,
        external_database_url="postgresql+asyncpg://lokos:pw@db.internal:5432",
        external_nats_url="nats://nats.internal:4222",
        keycloak_url="https://sso.example.gov.in",
    )
    assert set(progs) == {*SERVICES, "gateway", "bus"}
    for svc in SERVICES:
        env = progs[svc]["environment"]
        assert (
            f'LOKOS_DATABASE_URL="postgresql+asyncpg://lokos:pw@db.internal:5432/lokos_{svc}"'
            in env
        )
        assert 'LOKOS_NATS_URL="nats://nats.internal:4222"' in env
    assert 'LOKOS_IDP_URL="https://sso.example.gov.in"' in progs["gateway"]["environment"]


def test_embedded_default_runs_every_part_supervised(tmp_path: Path) -> None:
    progs = _programs(data_dir=tmp_path, external_database_url="postgresql+asyncpg://x:y@h:1")
    assert {"nats", "bus", "idp", *SERVICES, "gateway"} <= set(progs)
    for name, prog in progs.items():
        assert prog["autorestart"] == "true", name
        assert prog["stdout_logfile"].endswith(f"logs/{name}.log")
    ports = {
        prog["environment"].split('LOKOS_GRPC_PORT="')[1].split('"')[0]
        for svc, prog in progs.items()
        if svc in SERVICES
    }
    assert len(ports) == len(SERVICES)


def test_nats_runs_from_a_config_with_users_and_no_open_monitor(tmp_path: Path) -> None:
    platform = Platform(
        PlatformSettings(data_dir=tmp_path, external_database_url="postgresql+asyncpg://x:y@h:1")
    )
    progs = _programs(data_dir=tmp_path, external_database_url="postgresql+asyncpg://x:y@h:1")
    assert progs["nats"]["command"].split()[1:] == ["-c", str(platform.nats_conf.resolve())]
    conf = platform.nats_config()
    assert "listen: 127.0.0.1:" in conf
    assert "no_auth_user" not in conf
    assert "http" not in conf  # monitoring has no authentication: off unless asked for
    for user in ("admin", *SERVICES, "gateway"):
        assert f"user: {user}, password: " in conf
    assert (tmp_path / "nats-auth").stat().st_mode & 0o077 == 0
    # The bus owner runs as admin; services find their own generated password.
    assert 'LOKOS_NATS_USER="admin"' in progs["bus"]["environment"]
    assert "LOKOS_NATS_USER" not in progs["profiles"]["environment"]
    opened = Platform(
        PlatformSettings(
            data_dir=tmp_path,
            external_database_url="postgresql+asyncpg://x:y@h:1",
            nats_monitor_port=18222,
        )
    ).nats_config()
    assert "http: 127.0.0.1:18222" in opened
