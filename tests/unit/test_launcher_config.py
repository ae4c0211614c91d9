"""What ``lokos up`` starts, and that pointing at external parts is configuration only."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest

from launcher.platform import Platform
from launcher.settings import SERVICES, PlatformSettings


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


def test_grpc_binds_to_loopback_unless_configured() -> None:
    from lokos.config import ServiceSettings

    assert ServiceSettings.model_fields["grpc_host"].default == "127.0.0.1"


def _env_of(prog: dict[str, str]) -> dict[str, str]:
    """The environment as supervisord reads it (values are quoted: keys hold commas)."""
    from supervisor.datatypes import dict_of_key_value_pairs

    env: dict[str, str] = dict_of_key_value_pairs(prog["environment"])
    return env


def test_every_process_gets_the_same_principal_keys(tmp_path: Path) -> None:
    keys = f"k2:{'ab' * 32},k1:{'cd' * 32}"
    progs = _programs(data_dir=tmp_path, principal_keys=keys, external_database_url="x://y")
    for name in (*SERVICES, "gateway"):
        env = _env_of(progs[name])
        assert env["LOKOS_PRINCIPAL_KEYS"] == keys, name
        assert "LOKOS_GRPC_HOST" not in env and "LOKOS_GRPC_TLS" not in env, name
    # Without configured keys every process reads the one file of the shared data folder.
    progs = _programs(data_dir=tmp_path, external_database_url="x://y")
    assert {_env_of(progs[n])["LOKOS_DATA_DIR"] for n in (*SERVICES, "gateway")} == {
        str(tmp_path.resolve())
    }
    assert all("LOKOS_PRINCIPAL_KEYS" not in _env_of(progs[n]) for n in SERVICES)


def test_with_mtls_each_process_has_its_own_certificate_of_one_ca(tmp_path: Path) -> None:
    from cryptography import x509

    progs = _programs(data_dir=tmp_path, grpc_tls=True, external_database_url="x://y")
    cas, certs = set(), set()
    for name in (*SERVICES, "gateway"):
        env = _env_of(progs[name])
        assert env["LOKOS_GRPC_TLS"] == "true"
        cas.add(env["LOKOS_GRPC_TLS_CA"])
        cert = x509.load_pem_x509_certificate(Path(env["LOKOS_GRPC_TLS_CERT"]).read_bytes())
        ca = x509.load_pem_x509_certificate(Path(env["LOKOS_GRPC_TLS_CA"]).read_bytes())
        cert.verify_directly_issued_by(ca)
        assert cert.subject.rfc4514_string() == f"CN={name}"
        assert (Path(env["LOKOS_GRPC_TLS_KEY"]).stat().st_mode & 0o777) == 0o600
        certs.add(env["LOKOS_GRPC_TLS_CERT"])
    assert len(cas) == 1 and len(certs) == len(SERVICES) + 1


def test_postgres_memory_is_a_setting_checked_at_start(tmp_path: Path) -> None:
    import pydantic

    from launcher.postgres import PostgresInstance

    s = PlatformSettings(data_dir=tmp_path, pg_shared_buffers="2GB", pg_max_wal_size="4GB")
    pg = PostgresInstance(
        tmp_path / "postgres",
        5432,
        tmp_path / "bin",
        shared_buffers=s.pg_shared_buffers,
        max_wal_size=s.pg_max_wal_size,
    )
    command = pg.command()
    assert "shared_buffers=2GB" in command and "max_wal_size=4GB" in command
    default = PostgresInstance(tmp_path / "postgres", 5432, tmp_path / "bin").command()
    assert "shared_buffers=256MB" in default and "max_wal_size=1GB" in default
    for bad in ("lots", "2 GB", "256MB; fsync=off"):
        with pytest.raises(pydantic.ValidationError, match="pg_shared_buffers"):
            PlatformSettings(data_dir=tmp_path, pg_shared_buffers=bad)
