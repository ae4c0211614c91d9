"""docker-compose.yml agrees with the code and with the files it mounts.

No Docker engine runs where the tests run, so this keeps the single-host deployment honest: the
services exist, every bind mount and the Dockerfile exist, every ``python -m`` module exists, every
``LOKOS_*`` variable is a field of the settings class its process reads, ports agree, the realms the
gateway trusts have import files, and PostgreSQL creates exactly the databases the services use.
Each failure names the service, variable or file that disagrees.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
INIT_SCRIPT = ROOT / "deploy" / "postgres" / "init-databases.sh"
KEYCLOAK_DIR = ROOT / "deploy" / "keycloak"
KEYCLOAK_IMPORT_DIR = "/opt/keycloak/data/import"
ENV_EXAMPLE = ROOT / ".env.example"
NATS_CONF = ROOT / "deploy" / "nats" / "nats-server.conf"

GRPC_PORTS = {
    "identity": 50051,
    "profiles": 50052,
    "dedup": 50053,
    "transactions": 50054,
    "reports": 50055,
    "helpdesk": 50056,
}
GATEWAY = "gateway"
GATEWAY_PORT = 8080
INFRASTRUCTURE = ("postgres", "nats", "keycloak", "otel-collector", "jaeger")

# The settings classes each LokOS process reads, named rather than imported so that this module
# loads before they exist. A process's LOKOS_* variables must be fields of one of its classes.
_SERVICE_CLASSES = ("lokos.config:ServiceSettings", "lokos.config:GrpcEndpoints")
SETTINGS_CLASSES: dict[str, tuple[str, ...]] = {
    **{name: _SERVICE_CLASSES for name in GRPC_PORTS},
    # identity also talks to Keycloak (its own settings class).
    "identity": ("services.identity.config:IdentitySettings",),
    GATEWAY: ("gateway.config:GatewaySettings",),
    # The bus owner (python -m lokos.bus): creates the stream and the durable consumers.
    "bus": ("lokos.config:LokosSettings",),
}
LOKOS_PROCESSES = tuple(SETTINGS_CLASSES)

KEYCLOAK_INTERNAL_URL = "http://keycloak:8080"


# --- reading docker-compose.yml ---------------------------------------------------------


@cache
def _compose() -> dict[str, Any]:
    assert COMPOSE_FILE.is_file(), f"{COMPOSE_FILE.name} is missing at the repository root"
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "docker-compose.yml is not a YAML mapping"
    services = data.get("services")
    assert isinstance(services, dict) and services, "docker-compose.yml has no services"
    return data


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = _compose()["services"]
    return services


def _service(name: str) -> dict[str, Any]:
    services = _services()
    assert name in services, f"docker-compose.yml has no service {name!r}"
    return services[name]


_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_]\w*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}")


def _interpolate(value: str) -> str:
    """Resolve compose ``${VAR…}`` references without reading the environment of the test run.

    ``${VAR:-default}`` becomes its default; a required or plain variable becomes ``placeholder``.
    """

    def resolve(match: re.Match[str]) -> str:
        op, arg = match.group("op") or "", match.group("arg") or ""
        return arg if op in (":-", "-") else "placeholder"

    return _VARIABLE.sub(resolve, value).replace("$$", "$")


def _environment(service: dict[str, Any]) -> dict[str, str]:
    """The service's environment as the process sees it, however compose spells it."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        pairs = (str(item).partition("=") for item in raw)
        raw = {key: value for key, _, value in pairs}
    return {
        str(key): "" if value is None else _interpolate(str(value)) for key, value in raw.items()
    }


def _env(name: str) -> dict[str, str]:
    return _environment(_service(name))


def _argv(command: Any) -> list[str]:
    if command is None:
        return []
    if isinstance(command, str):
        return command.split()
    return [str(part) for part in command]


def _bind_sources(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, target) of every bind mount of the service whose source is a path in the repo."""
    mounts = []
    for volume in service.get("volumes") or []:
        if isinstance(volume, str):
            source, _, rest = volume.partition(":")
            target = rest.partition(":")[0]
        else:
            source, target = (
                str(volume.get("source", "")),
                str(volume.get("target", "")),
            )
        if source.startswith(("./", "../")) or source == ".":
            mounts.append((source, target))
    return mounts


def _port_mappings(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(published, target) of every published port; published is "" when Docker picks it."""
    mappings = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            published, target = (
                str(port.get("published", "")),
                str(port.get("target", "")),
            )
        else:
            parts = str(port).split("/")[0].split(":")
            target = parts[-1]
            published = parts[-2] if len(parts) > 1 else ""
        mappings.append((published, target))
    return mappings


def _database_urls() -> dict[str, str]:
    return {
        name: env["LOKOS_DATABASE_URL"]
        for name, service in _services().items()
        if "LOKOS_DATABASE_URL" in (env := _environment(service))
    }


def _init_script_databases() -> list[str]:
    assert INIT_SCRIPT.is_file(), f"{INIT_SCRIPT.relative_to(ROOT)} is missing"
    text = INIT_SCRIPT.read_text(encoding="utf-8")
    match = re.search(r"^databases=\((.*?)\)", text, re.MULTILINE | re.DOTALL)
    assert match, f"{INIT_SCRIPT.relative_to(ROOT)} has no `databases=( … )` list"
    return match.group(1).split()


def _trusted_realms() -> list[str]:
    value = _env(GATEWAY).get("LOKOS_TRUSTED_REALMS", "")
    realms = [realm.strip() for realm in value.split(",") if realm.strip()]
    assert realms, "gateway sets no LOKOS_TRUSTED_REALMS"
    return realms


def _realm(name: str) -> dict[str, Any]:
    path = KEYCLOAK_DIR / f"{name}.json"
    assert path.is_file(), (
        f"realm {name!r} is trusted by the gateway but {path.relative_to(ROOT)} is missing"
    )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        pytest.fail(f"{path.relative_to(ROOT)} is not valid JSON: {exc}")
    assert isinstance(data, dict), f"{path.relative_to(ROOT)} is not a JSON object"
    return data


def _import_settings_class(path: str) -> type[BaseSettings]:
    module_name, _, class_name = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        pytest.fail(f"cannot import {module_name} for {path}: {exc}")
    settings_class = getattr(module, class_name, None)
    if not (isinstance(settings_class, type) and issubclass(settings_class, BaseSettings)):
        pytest.fail(f"{module_name} has no settings class {class_name} ({path})")
    return settings_class


# --- the tests --------------------------------------------------------------------------


def test_every_service_is_defined() -> None:
    expected = set(INFRASTRUCTURE) | set(LOKOS_PROCESSES)
    missing = sorted(expected - set(_services()))
    assert not missing, f"docker-compose.yml lacks the services {missing}"


def test_every_lokos_process_is_known_to_this_test() -> None:
    """A new process must be added to SETTINGS_CLASSES, or its variables go unchecked."""
    unknown = sorted(
        name
        for name, service in _services().items()
        if name not in SETTINGS_CLASSES
        and name not in INFRASTRUCTURE  # keycloak: LOKOS_*_CLIENT_SECRET fill its realm files
        and ("build" in service or any(key.startswith("LOKOS_") for key in _environment(service)))
    )
    assert not unknown, (
        f"services {unknown} run LokOS code; add them to SETTINGS_CLASSES in this test"
    )


@pytest.mark.parametrize("name", LOKOS_PROCESSES)
def test_lokos_process_builds_from_the_repository_dockerfile(name: str) -> None:
    build = _service(name).get("build")
    assert build, f"{name}: no `build:`; every LokOS process runs from the repository's Dockerfile"
    context = build if isinstance(build, str) else str(build.get("context", "."))
    dockerfile = (
        "Dockerfile" if isinstance(build, str) else str(build.get("dockerfile", "Dockerfile"))
    )
    assert (ROOT / context).is_dir(), f"{name}: build context {context!r} is not a folder"
    assert (ROOT / context / dockerfile).is_file(), f"{name}: {context}/{dockerfile} does not exist"
    assert (ROOT / context / ".dockerignore").is_file(), (
        f"{name}: {context}/.dockerignore is missing"
    )


def test_bind_mounts_exist() -> None:
    missing = [
        f"{name}: {source} (mounted at {target})"
        for name, service in _services().items()
        for source, target in _bind_sources(service)
        if not (ROOT / source).exists()
    ]
    assert not missing, "bind-mounted paths missing from the repository:\n" + "\n".join(missing)


@pytest.mark.parametrize("name", LOKOS_PROCESSES)
def test_python_module_of_each_process_exists(name: str) -> None:
    argv = _argv(_service(name).get("command"))
    assert "-m" in argv[:-1], f"{name}: command {argv} is not `python -m <module>`"
    module = argv[argv.index("-m") + 1]
    as_file = Path(*module.split(".")).with_suffix(".py")
    as_package = Path(*module.split("."), "__main__.py")
    assert (ROOT / as_file).is_file() or (ROOT / as_package).is_file(), (
        f"{name}: runs `python -m {module}` but neither {as_file} nor {as_package} exists"
    )


@pytest.mark.parametrize("name", LOKOS_PROCESSES)
def test_lokos_variables_are_settings_fields(name: str) -> None:
    classes = [_import_settings_class(path) for path in SETTINGS_CLASSES[name]]
    known: set[str] = set()
    for settings_class in classes:
        prefix = settings_class.model_config.get("env_prefix", "")
        assert prefix == "LOKOS_", (
            f"{settings_class.__qualname__} has env_prefix {prefix!r}, not 'LOKOS_'"
        )
        known |= {f"LOKOS_{field.upper()}" for field in settings_class.model_fields}
    unknown = sorted(key for key in _env(name) if key.startswith("LOKOS_") and key not in known)
    assert not unknown, (
        f"{name}: {unknown} are set in docker-compose.yml but are not fields of "
        f"{', '.join(SETTINGS_CLASSES[name])} (fields: {sorted(known)})"
    )


@pytest.mark.parametrize("name", LOKOS_PROCESSES)
def test_every_process_reports_its_own_name(name: str) -> None:
    assert _env(name).get("LOKOS_SERVICE_NAME") == name, (
        f"{name}: LOKOS_SERVICE_NAME is {_env(name).get('LOKOS_SERVICE_NAME')!r}, not {name!r}"
    )


def test_grpc_ports_agree() -> None:
    problems = []
    for name, port in GRPC_PORTS.items():
        env = _env(name)
        if env.get("LOKOS_GRPC_PORT") != str(port):
            problems.append(
                f"{name}: LOKOS_GRPC_PORT is {env.get('LOKOS_GRPC_PORT')!r}, expected '{port}'"
            )
        if env.get("LOKOS_GRPC_HOST") != "0.0.0.0":
            problems.append(
                f"{name}: LOKOS_GRPC_HOST is {env.get('LOKOS_GRPC_HOST')!r}, "
                "so other containers cannot reach it"
            )
        exposed = [str(item) for item in _service(name).get("expose") or []]
        if exposed and str(port) not in exposed:
            problems.append(f"{name}: exposes {exposed} but answers on {port}")
    for caller, service in _services().items():
        env = _environment(service)
        for target, port in GRPC_PORTS.items():
            variable = f"LOKOS_{target.upper()}_GRPC"
            expected = f"{target}:{_env(target).get('LOKOS_GRPC_PORT', port)}"
            if variable in env and env[variable] != expected:
                problems.append(
                    f"{caller}: {variable} is {env[variable]!r}, "
                    f"but {target} answers at {expected!r}"
                )
    gateway_env = _env(GATEWAY)
    absent = [
        f"LOKOS_{target.upper()}_GRPC"
        for target in GRPC_PORTS
        if f"LOKOS_{target.upper()}_GRPC" not in gateway_env
    ]
    if absent:
        problems.append(f"gateway: does not set {absent}")
    assert not problems, "gRPC addresses disagree:\n" + "\n".join(problems)


def test_every_process_gets_the_same_principal_keys() -> None:
    """Each container has its own data volume, so a generated key file would differ per
    process and every call would be refused: the key ring comes from .env, the same for all."""
    keys = {name: _env(name).get("LOKOS_PRINCIPAL_KEYS") for name in LOKOS_PROCESSES}
    missing = sorted(name for name, value in keys.items() if not value)
    assert not missing, f"{missing} get no LOKOS_PRINCIPAL_KEYS"
    raw = {name: _service(name)["environment"].get("LOKOS_PRINCIPAL_KEYS") for name in keys}
    assert len(set(raw.values())) == 1, f"processes get different principal keys: {raw}"
    assert str(next(iter(raw.values()))).startswith("${LOKOS_PRINCIPAL_KEYS:?"), (
        "LOKOS_PRINCIPAL_KEYS must be required from .env, never written in docker-compose.yml"
    )


def test_grpc_is_never_published() -> None:
    """Services verify who calls, but their ports stay on the compose network all the same."""
    published = {name: _port_mappings(_service(name)) for name in GRPC_PORTS}
    assert not any(published.values()), f"gRPC ports published on the host: {published}"


def test_gateway_port_is_published() -> None:
    env = _env(GATEWAY)
    assert env.get("LOKOS_GATEWAY_PORT") == str(GATEWAY_PORT), (
        f"gateway: LOKOS_GATEWAY_PORT is {env.get('LOKOS_GATEWAY_PORT')!r}, "
        f"expected '{GATEWAY_PORT}'"
    )
    assert env.get("LOKOS_GATEWAY_HOST") == "0.0.0.0", (
        f"gateway: LOKOS_GATEWAY_HOST is {env.get('LOKOS_GATEWAY_HOST')!r}, "
        "so the published port would not reach it"
    )
    mappings = _port_mappings(_service(GATEWAY))
    assert (str(GATEWAY_PORT), env["LOKOS_GATEWAY_PORT"]) in mappings, (
        f"gateway: listens on {env['LOKOS_GATEWAY_PORT']} but publishes {mappings} "
        f"(expected {GATEWAY_PORT}:{env['LOKOS_GATEWAY_PORT']})"
    )


def test_trusted_realms_have_import_files() -> None:
    for realm in _trusted_realms():
        data = _realm(realm)
        assert data.get("realm") == realm, (
            f"deploy/keycloak/{realm}.json declares realm {data.get('realm')!r}"
        )
        assert data.get("enabled") is True, f"realm {realm!r} is not enabled"
    for path in sorted(KEYCLOAK_DIR.glob("*.json")):
        data = _realm(path.stem)
        assert data.get("realm") == path.stem, (
            f"{path.relative_to(ROOT)} declares realm {data.get('realm')!r}"
        )
    mounts = dict(_bind_sources(_service("keycloak")))
    assert mounts.get("./deploy/keycloak") == KEYCLOAK_IMPORT_DIR, (
        f"keycloak: deploy/keycloak must be mounted at {KEYCLOAK_IMPORT_DIR}; mounts are {mounts}"
    )
    assert "--import-realm" in _argv(_service("keycloak").get("command")), (
        "keycloak: command lacks --import-realm"
    )


def test_token_issuer_is_the_gateways_idp_url() -> None:
    idp_url = _env(GATEWAY).get("LOKOS_IDP_URL")
    hostname = _env("keycloak").get("KC_HOSTNAME")
    assert idp_url and idp_url == hostname, (
        f"gateway LOKOS_IDP_URL {idp_url!r} differs from keycloak KC_HOSTNAME {hostname!r}: "
        "token issuers would not match"
    )
    raw = (_raw_environment(GATEWAY)["LOKOS_IDP_URL"], _raw_environment("keycloak")["KC_HOSTNAME"])
    assert raw[0] == raw[1], f"both must come from the one setting: {raw}"


def test_browsers_use_the_front_channel_and_processes_the_back_channel() -> None:
    """Browsers reach Keycloak at KC_HOSTNAME, which must be a name they can resolve and a
    port published on the host; the gateway and identity call it on the compose network."""
    front = urlsplit(_env("keycloak")["KC_HOSTNAME"])
    assert front.hostname not in _services(), (
        f"KC_HOSTNAME names the compose service {front.hostname!r}, which browsers cannot resolve"
    )
    published = dict(_port_mappings(_service("keycloak")))
    assert str(front.port) in published, (
        f"KC_HOSTNAME's port {front.port} is not published by keycloak ({published})"
    )
    assert published[str(front.port)] == "8080"
    assert str(front.port) != str(GATEWAY_PORT), "the gateway owns the host's port 8080"
    assert _env("keycloak").get("KC_HOSTNAME_BACKCHANNEL_DYNAMIC") == "true"
    assert _env(GATEWAY).get("LOKOS_IDP_INTERNAL_URL") == KEYCLOAK_INTERNAL_URL
    assert _env("identity").get("LOKOS_KEYCLOAK_URL") == KEYCLOAK_INTERNAL_URL
    assert _raw_environment("identity")["LOKOS_KEYCLOAK_ADMIN_PASSWORD"].startswith(
        "${KEYCLOAK_ADMIN_PASSWORD:?"
    )


def test_keycloak_is_a_pinned_release() -> None:
    image = str(_service("keycloak")["image"])
    assert re.fullmatch(r"quay\.io/keycloak/keycloak:\d+\.\d+\.\d+", image), (
        f"{image}: pin a release (26.0's early patches abort an import with service accounts)"
    )


def test_realm_clients_issue_tokens_for_the_gateway() -> None:
    audience = _env(GATEWAY).get("LOKOS_TOKEN_AUDIENCE")
    assert audience, "gateway sets no LOKOS_TOKEN_AUDIENCE"
    problems = []
    for realm in _trusted_realms():
        clients = {client.get("clientId"): client for client in _realm(realm).get("clients", [])}
        if audience not in clients:
            problems.append(f"{realm}: no client {audience!r} (the gateway's token audience)")
        for client_id, client in clients.items():
            if client_id == audience or not (
                client.get("publicClient") or client.get("serviceAccountsEnabled")
            ):
                continue
            audiences = {
                mapper.get("config", {}).get("included.client.audience")
                for mapper in client.get("protocolMappers", [])
                if mapper.get("protocolMapper") == "oidc-audience-mapper"
                and mapper.get("config", {}).get("access.token.claim") == "true"
            }
            if audience not in audiences:
                problems.append(
                    f"{realm}: client {client_id!r} issues access tokens without aud {audience!r}"
                )
    assert not problems, "\n".join(problems)


def test_client_secrets_are_generated_per_deployment_and_injected() -> None:
    """The realm files carry ${VARIABLE} placeholders, never a value (Keycloak would keep
    "**********" as the secret); keycloak gets each variable, required from .env."""
    from services.identity import realms

    keycloak = _raw_environment("keycloak")
    problems = []
    for path in sorted(KEYCLOAK_DIR.glob("*.json")):
        for client in _realm(path.stem).get("clients", []):
            if client.get("publicClient"):
                continue
            variable = realms.placeholder_variable(str(client.get("secret", "")))
            if variable is None:
                problems.append(f"{path.name}: {client['clientId']} secret is not a placeholder")
            elif not keycloak.get(variable, "").startswith(f"${{{variable}:?"):
                problems.append(f"keycloak: {variable} is not required from .env")
    assert not problems, "\n".join(problems)


def test_national_realm_holds_only_national_roles() -> None:
    roles = [role["name"] for role in _realm("lokos-national").get("roles", {}).get("realm", [])]
    others = [role for role in roles if not role.startswith("NATIONAL_")]
    assert roles and not others, (
        f"lokos-national realm roles must all be NATIONAL_*; found {others or 'none'}"
    )


def test_init_script_creates_the_databases_the_services_use() -> None:
    created = _init_script_databases()
    urls = _database_urls()
    used: dict[str, str] = {}
    problems = []
    for name, url in urls.items():
        parts = urlsplit(url)
        database = parts.path.lstrip("/")
        used[name] = database
        if parts.hostname != "postgres" or parts.port != 5432:
            problems.append(
                f"{name}: LOKOS_DATABASE_URL points at {parts.hostname}:{parts.port}, "
                "not postgres:5432"
            )
    for name in GRPC_PORTS:
        if used.get(name) != f"lokos_{name}":
            problems.append(f"{name}: database is {used.get(name)!r}, expected 'lokos_{name}'")
    if sorted(created) != sorted(set(used.values())):
        problems.append(
            f"{INIT_SCRIPT.relative_to(ROOT)} creates {sorted(created)}, "
            f"but the services connect to {sorted(set(used.values()))}"
        )
    assert not problems, "databases disagree:\n" + "\n".join(problems)


def test_init_script_is_mounted_and_executable() -> None:
    source = f"./{INIT_SCRIPT.relative_to(ROOT).as_posix()}"
    target = dict(_bind_sources(_service("postgres"))).get(source, "")
    assert target.startswith("/docker-entrypoint-initdb.d/"), (
        f"postgres: {source} must be mounted under /docker-entrypoint-initdb.d/, found {target!r}"
    )
    assert os.access(INIT_SCRIPT, os.X_OK), f"{INIT_SCRIPT.relative_to(ROOT)} is not executable"


def test_depends_on_names_services_with_healthchecks() -> None:
    problems = []
    services = _services()
    for name, service in services.items():
        depends_on = service.get("depends_on") or {}
        if isinstance(depends_on, list):
            depends_on = {target: {} for target in depends_on}
        for target, options in depends_on.items():
            if target not in services:
                problems.append(f"{name}: depends on unknown service {target!r}")
            elif (options or {}).get(
                "condition"
            ) == "service_healthy" and "healthcheck" not in services[target]:
                problems.append(
                    f"{name}: waits for {target} to be healthy, but {target} has no healthcheck"
                )
    assert not problems, "\n".join(problems)


def test_required_variables_are_in_env_example() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    required = sorted(set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?\?", text)))
    assert ENV_EXAMPLE.is_file(), ".env.example is missing"
    documented = set(
        re.findall(
            r"^([A-Za-z_][A-Za-z0-9_]*)=",
            ENV_EXAMPLE.read_text(encoding="utf-8"),
            re.MULTILINE,
        )
    )
    missing = [name for name in required if name not in documented]
    assert not missing, f"docker-compose.yml requires {missing}, which .env.example does not list"


# --- the event bus: one NATS user per process -------------------------------------------


def _raw_environment(name: str) -> dict[str, str]:
    raw = _service(name).get("environment") or {}
    assert isinstance(raw, dict), f"{name}: write environment as a mapping"
    return {str(k): str(v) for k, v in raw.items()}


def test_each_process_connects_to_nats_as_its_own_user() -> None:
    from lokos import bus

    problems = []
    for u in bus.USERS:
        env = _raw_environment(u.name)
        user = _env(u.name).get("LOKOS_NATS_USER", u.name)
        variable = bus.env_password(u.name)
        if user != u.name:
            problems.append(f"{u.name}: connects to NATS as {user!r}")
        if not env.get("LOKOS_NATS_PASSWORD", "").startswith(f"${{{variable}:?"):
            problems.append(f"{u.name}: LOKOS_NATS_PASSWORD is not the required ${{{variable}}}")
    owner = _raw_environment("bus")
    if _env("bus").get("LOKOS_NATS_USER") != bus.ADMIN or not owner.get(
        "LOKOS_NATS_PASSWORD", ""
    ).startswith(f"${{{bus.env_password(bus.ADMIN)}:?"):
        problems.append("bus: must connect as the NATS admin with its password")
    nats_env = _raw_environment("nats")
    for name in (bus.ADMIN, *(u.name for u in bus.USERS)):
        variable, inside = bus.env_password(name), bus.server_env_password(name)
        if not nats_env.get(inside, "").startswith(f"${{{variable}:?"):
            problems.append(f"nats: {inside} is not the required ${{{variable}}}")
    assert not problems, "\n".join(problems)


def test_nats_config_has_the_users_and_permissions_of_the_code() -> None:
    from lokos import bus

    state = _env(GATEWAY).get("LOKOS_STATE", "")
    mounts = dict(_bind_sources(_service("nats")))
    assert mounts.get(f"./{NATS_CONF.relative_to(ROOT).as_posix()}"), "nats: config not mounted"
    text = NATS_CONF.read_text(encoding="utf-8")
    expected = bus.authorization_block(state, lambda user: f"${bus.server_env_password(user)}")
    assert expected in text, (
        f"{NATS_CONF.relative_to(ROOT)} disagrees with lokos/bus.py; regenerate its "
        f"authorization block with `LOKOS_STATE={state} python -m lokos.bus conf`"
    )
    assert "no_auth_user" not in text, "anonymous NATS access must stay off"
    monitor = re.search(r"^http:\s*(\S+)", text, re.MULTILINE)
    assert monitor is None or monitor.group(1).startswith("127.0.0.1:"), (
        "NATS monitoring has no authentication: bind it to 127.0.0.1 (the healthcheck's)"
    )
    assert not _service("nats").get("ports"), "nats: no port of NATS is published on the host"
