"""deploy/k8s/ renders, is valid Kubernetes, and agrees with the code.

Every overlay is rendered with ``kubectl kustomize`` (the machine's kubectl, as CI has it) and
each built-in object is validated with ``kubernetes-validate`` against the Kubernetes schemas in
strict mode (unknown fields refused). The operators' custom resources (CloudNativePG,
Keycloak Operator, cert-manager) are not in those schemas; their fields that the code depends
on are checked here instead (docs/runbook.md, "Kubernetes").

The agreement checks start from the code, not from a list in this file: the services are
launcher.settings.SERVICES (so a new service fails here until it has its manifests), ports are
the launcher's, every LOKOS_* variable must be a field of the settings class of its process,
the NATS users and passwords are lokos/bus.py's, the databases are lokos_<service>.
"""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic_settings import BaseSettings

from launcher.settings import SERVICES, PlatformSettings
from lokos import bus, federation
from lokos.config import GrpcEndpoints, LokosSettings, ServiceSettings
from lokosctl import k8s
from services.identity import realms

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = sorted(
    p.name for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").exists()
)
KUBERNETES_VERSION = "1.30.0"
# Custom resources of the operators the manifests build on: not in the Kubernetes schemas.
OPERATOR_GROUPS = ("postgresql.cnpg.io/", "k8s.keycloak.org/", "cert-manager.io/")
GATEWAY = "gateway"
GATEWAY_PORT = 8080
DATABASE_HOST = "lokos-pg-rw"


@cache
def _render(overlay: str) -> tuple[dict[str, Any], ...]:
    result = subprocess.run(
        ["kubectl", "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"kubectl kustomize {overlay} failed:\n{result.stderr}"
    return tuple(d for d in yaml.safe_load_all(result.stdout) if d)


def _objects(overlay: str, kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in _render(overlay) if d["kind"] == kind}


def _one(overlay: str, kind: str, name: str) -> dict[str, Any]:
    objects = _objects(overlay, kind)
    assert name in objects, f"{overlay}: no {kind} {name!r} (there are {sorted(objects)})"
    return objects[name]


def _configmap_data(overlay: str, prefix: str) -> dict[str, str]:
    [cm] = [c for n, c in _objects(overlay, "ConfigMap").items() if n.startswith(prefix + "-")]
    data: dict[str, str] = cm["data"]
    return data


def _container(workload: dict[str, Any], name: str) -> dict[str, Any]:
    spec = workload["spec"]["template"]["spec"]
    for container in spec.get("containers", []) + spec.get("initContainers", []):
        if container["name"] == name:
            return dict(container)
    raise AssertionError(f"{workload['metadata']['name']}: no container {name!r}")


def _env(overlay: str, container: dict[str, Any]) -> dict[str, Any]:
    """The container's variables as the process sees them: its configMaps, then its env
    (values, or the secretKeyRef/fieldRef that gives them)."""
    env: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        name = source["configMapRef"]["name"]
        env |= _one(overlay, "ConfigMap", name)["data"]
    for item in container.get("env", []):
        env[item["name"]] = item["value"] if "value" in item else item["valueFrom"]
    return env


def _secret_ref(value: Any) -> tuple[str, str] | None:
    if isinstance(value, dict) and "secretKeyRef" in value:
        return value["secretKeyRef"]["name"], value["secretKeyRef"]["key"]
    return None


def _settings_classes(process: str) -> list[type[BaseSettings]]:
    """The settings classes a LokOS process reads: the service's own (services/<s>/config.py),
    the gateway's, or the bus owner's."""
    if process == GATEWAY:
        from gateway.config import GatewaySettings

        return [GatewaySettings]
    if process == "bus":
        return [LokosSettings]
    module = importlib.import_module(f"services.{process}.config")
    own = [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, ServiceSettings) and cls.__module__ == module.__name__
    ]
    assert own, f"services/{process}/config.py defines no ServiceSettings subclass"
    return [*own, GrpcEndpoints]


def _fields(classes: list[type[BaseSettings]]) -> set[str]:
    return {f"LOKOS_{field.upper()}" for cls in classes for field in cls.model_fields}


def _grpc_port(service: str) -> int:
    return PlatformSettings().grpc_port(service)


# --- rendering and schemas ----------------------------------------------------------------


def test_there_are_two_states_and_the_national_overlay() -> None:
    states = {overlay: k8s.overlay_state(K8S / "overlays" / overlay) for overlay in OVERLAYS}
    assert "national" in states.values()
    assert len([s for s in states.values() if s != "national"]) >= 2, states
    for overlay, state in states.items():
        assert _render(overlay)
        namespaces = {d["metadata"].get("namespace") for d in _render(overlay)}
        assert namespaces == {f"lokos-{state}"}, f"{overlay}: objects in {namespaces}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_builtin_object_is_valid_kubernetes(overlay: str) -> None:
    problems = []
    for doc in _render(overlay):
        if doc["apiVersion"].startswith(OPERATOR_GROUPS):
            continue
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = "/".join(str(p) for p in exc.path)
            problems.append(f"{doc['kind']}/{doc['metadata']['name']}: {path}: {exc.message}")
    assert not problems, "\n".join(problems)


def test_the_schema_check_has_teeth() -> None:
    deployment = dict(_one(OVERLAYS[0], "Deployment", GATEWAY))
    deployment["spec"] = {**deployment["spec"], "replicass": 3}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_generated_overlay_files_are_current() -> None:
    stale = [
        str(path.relative_to(ROOT))
        for path, text in k8s.generated_files(ROOT).items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    assert not stale, f"stale generated files {stale}: run `lokos k8s generate`"


# --- the processes agree with the code ----------------------------------------------------


def _processes(overlay: str) -> dict[str, dict[str, Any]]:
    """Each LokOS process's container: the Deployments running the lokos image."""
    found = {}
    for name, deployment in _objects(overlay, "Deployment").items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            if container["image"].split("/")[-1].startswith("lokos:"):
                found[name] = container
    return found


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_of_the_launcher_runs_with_its_port(overlay: str) -> None:
    processes = _processes(overlay)
    assert set(processes) == {*SERVICES, GATEWAY, "bus"}, sorted(processes)
    problems = []
    for service in SERVICES:
        port = _grpc_port(service)
        container = processes[service]
        env = _env(overlay, container)
        if container["command"] != ["python", "-m", f"services.{service}.main"]:
            problems.append(f"{service}: runs {container['command']}")
        if env.get("LOKOS_SERVICE_NAME") != service:
            problems.append(f"{service}: LOKOS_SERVICE_NAME is {env.get('LOKOS_SERVICE_NAME')}")
        if env.get("LOKOS_GRPC_PORT") != str(port) or env.get("LOKOS_GRPC_HOST") != "0.0.0.0":
            problems.append(
                f"{service}: listens on {env.get('LOKOS_GRPC_HOST')}:{env.get('LOKOS_GRPC_PORT')}"
                f", expected 0.0.0.0:{port}"
            )
        if [p["containerPort"] for p in container["ports"]] != [port]:
            problems.append(f"{service}: container ports {container['ports']}")
        svc = _one(overlay, "Service", service)["spec"]
        if [(p["port"], p["targetPort"]) for p in svc["ports"]] != [(port, "grpc")]:
            problems.append(f"{service}: Service ports {svc['ports']}")
        if svc.get("type", "ClusterIP") != "ClusterIP":
            problems.append(f"{service}: Service type {svc['type']} exposes it")
        for caller, other in processes.items():
            address = _env(overlay, other).get(f"LOKOS_{service.upper()}_GRPC")
            if address is not None and address != f"{service}:{port}":
                problems.append(f"{caller}: LOKOS_{service.upper()}_GRPC is {address}")
        if f"LOKOS_{service.upper()}_GRPC" not in _env(overlay, processes[GATEWAY]):
            problems.append(f"gateway: does not know where {service} answers")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_lokos_variables_are_settings_fields(overlay: str) -> None:
    problems = []
    for process, container in _processes(overlay).items():
        known = _fields(_settings_classes(process))
        env = _env(overlay, container)
        unknown = sorted(k for k in env if k.startswith("LOKOS_") and k not in known)
        if unknown:
            problems.append(f"{process}: {unknown} are not settings fields")
        if env.get("LOKOS_SERVICE_NAME") != process:
            problems.append(f"{process}: LOKOS_SERVICE_NAME is {env.get('LOKOS_SERVICE_NAME')}")
        if env.get("LOKOS_STATE") != k8s.overlay_state(K8S / "overlays" / overlay):
            problems.append(f"{process}: LOKOS_STATE is {env.get('LOKOS_STATE')}")
    job = _one(overlay, "Job", "lokos-migrations")
    for container in job["spec"]["template"]["spec"]["initContainers"]:
        unknown = sorted(
            k
            for k in _env(overlay, container)
            if k.startswith("LOKOS_") and k not in _fields([ServiceSettings])
        )
        if unknown:
            problems.append(f"migrations/{container['name']}: {unknown} unknown")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_has_its_own_database_migrated_before_rollout(overlay: str) -> None:
    databases = {d["spec"]["name"]: d for d in _objects(overlay, "Database").values()}
    cluster = _one(overlay, "Cluster", "lokos-pg")["spec"]
    assert cluster["instances"] == 3
    assert cluster["backup"]["barmanObjectStore"]["destinationPath"].endswith(
        "/" + k8s.overlay_state(K8S / "overlays" / overlay)
    ), "each state backs up to its own place"
    assert _objects(overlay, "ScheduledBackup"), "no scheduled backup"
    job = _one(overlay, "Job", "lokos-migrations")
    migrated = {c["name"]: c for c in job["spec"]["template"]["spec"]["initContainers"]}
    problems = []
    for service in SERVICES:
        database = f"lokos_{service}"
        if database not in databases:
            problems.append(f"no CloudNativePG Database {database}")
        for where, container in (("service", _processes(overlay)[service]), ("job", None)):
            container = container or migrated.get(service)
            if container is None:
                problems.append(f"the migrations Job does not migrate {service}")
                continue
            url = _env(overlay, container).get("LOKOS_DATABASE_URL", "")
            expected = (
                f"postgresql+asyncpg://lokos:$(POSTGRES_PASSWORD)@{DATABASE_HOST}:5432/{database}"
            )
            if url != expected:
                problems.append(f"{service} ({where}): LOKOS_DATABASE_URL is {url!r}")
            password = _secret_ref(_env(overlay, container).get("POSTGRES_PASSWORD"))
            if password != ("lokos-postgres", "password"):
                problems.append(f"{service} ({where}): database password from {password}")
        if migrated.get(service, {}).get("command") != ["lokos", "migrate", "up", service]:
            problems.append(f"the Job's {service} container does not run `lokos migrate up`")
        if _env(overlay, _processes(overlay)[service]).get("LOKOS_CREATE_DATABASE") != "false":
            problems.append(f"{service}: would try to create its database")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_are_referenced_the_same_way_everywhere(overlay: str) -> None:
    problems = []
    processes = _processes(overlay)
    keys = {
        n: _secret_ref(_env(overlay, c).get("LOKOS_PRINCIPAL_KEYS")) for n, c in processes.items()
    }
    signing = {n: k for n, k in keys.items() if n != "bus"}
    if set(signing.values()) != {("lokos-principal-keys", "keys")}:
        problems.append(f"principal keys come from {signing}")
    for process, container in processes.items():
        env = _env(overlay, container)
        user = env.get("LOKOS_NATS_USER", process)
        expected_user = bus.ADMIN if process == "bus" else process
        if user != expected_user:
            problems.append(f"{process}: connects to NATS as {user}")
        if _secret_ref(env.get("LOKOS_NATS_PASSWORD")) != ("lokos-nats", expected_user):
            problems.append(f"{process}: NATS password from {env.get('LOKOS_NATS_PASSWORD')}")
        literal = [
            k
            for k, v in env.items()
            if re.search(r"PASSWORD|KEYS|SECRET", k) and isinstance(v, str)
        ]
        if literal:
            problems.append(f"{process}: {literal} written in the manifest, not from a secret")
        if process == "bus":
            continue
        tls = {
            v["secret"]["secretName"]
            for v in _deployment_volumes(overlay, process)
            if v["name"] == "tls"
        }
        if tls != {f"lokos-grpc-{process}"}:
            problems.append(f"{process}: TLS files from {tls}")
        certificate = _objects(overlay, "Certificate").get(f"lokos-grpc-{process}")
        if certificate is None or certificate["spec"]["secretName"] != f"lokos-grpc-{process}":
            problems.append(f"{process}: no cert-manager Certificate lokos-grpc-{process}")
        elif not {process, "localhost"} <= set(certificate["spec"]["dnsNames"]):
            problems.append(f"{process}: certificate names {certificate['spec']['dnsNames']}")
        if env.get("LOKOS_GRPC_TLS") != "true":
            problems.append(f"{process}: mutual TLS is off")
        mount = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}.get("tls")
        for variable, file in (("CERT", "tls.crt"), ("KEY", "tls.key"), ("CA", "ca.crt")):
            if env.get(f"LOKOS_GRPC_TLS_{variable}") != f"{mount}/{file}":
                problems.append(f"{process}: LOKOS_GRPC_TLS_{variable} outside the mounted secret")
    # Keys a service would generate into its (per-pod) data folder are the deployment's.
    for process, variable in (
        ("profiles", "LOKOS_IDENTIFIER_KEY"),
        ("identity", "LOKOS_OTP_SECRET"),
    ):
        if _secret_ref(_env(overlay, processes[process]).get(variable)) is None:
            problems.append(f"{process}: {variable} is not from a secret (replicas would differ)")
    nats = _container(_one(overlay, "StatefulSet", "nats"), "nats")
    nats_env = _env(overlay, nats)
    for user in (bus.ADMIN, *(u.name for u in bus.USERS)):
        ref = _secret_ref(nats_env.get(bus.server_env_password(user)))
        if ref != ("lokos-nats", user):
            problems.append(f"nats: {bus.server_env_password(user)} from {ref}")
    assert not problems, "\n".join(problems)


def _deployment_volumes(overlay: str, name: str) -> list[dict[str, Any]]:
    volumes: list[dict[str, Any]] = _one(overlay, "Deployment", name)["spec"]["template"]["spec"][
        "volumes"
    ]
    return volumes


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_nats_is_a_three_node_jetstream_cluster_with_the_users_of_the_code(overlay: str) -> None:
    state = k8s.overlay_state(K8S / "overlays" / overlay)
    nats = _one(overlay, "StatefulSet", "nats")
    assert nats["spec"]["replicas"] == 3
    assert _container(nats, "nats")["image"].startswith("nats:2.")
    config = _configmap_data(overlay, "nats-config")
    main = config["nats-server.conf"]
    assert "include ./authorization.conf" in main and "jetstream" in main
    for i in range(3):
        assert f"nats-route://nats-{i}.nats-headless:6222" in main
    expected = bus.authorization_block(state, lambda u: f"${bus.server_env_password(u)}")
    assert expected in config["authorization.conf"], "authorization.conf is not lokos/bus.py's"
    assert "no_auth_user" not in "".join(config.values())
    bus_env = _env(overlay, _processes(overlay)["bus"])
    assert bus_env.get("LOKOS_NATS_STREAM_REPLICAS") == "3"
    assert _one(overlay, "PodDisruptionBudget", "nats")["spec"]["maxUnavailable"] == 1


# --- what is reachable ---------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_gateway_and_keycloaks_browser_paths_are_exposed(overlay: str) -> None:
    exposed = {
        name: [p["port"] for p in svc["spec"]["ports"]]
        for name, svc in _objects(overlay, "Service").items()
        if svc["spec"].get("type", "ClusterIP") != "ClusterIP"
    }
    # The national instance also takes the states' NATS leaf connections, on that port only.
    national = k8s.overlay_state(K8S / "overlays" / overlay) == bus.NATIONAL
    assert exposed == ({"nats-leaf": [federation.LEAF_PORT]} if national else {}), exposed
    backends = {
        (path["backend"]["service"]["name"], path["path"])
        for ingress in _objects(overlay, "Ingress").values()
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {
        (GATEWAY, "/"),
        ("lokos-keycloak-service", "/realms/"),
        ("lokos-keycloak-service", "/resources/"),
    }
    policies = _objects(overlay, "NetworkPolicy")
    deny = policies["default-deny-ingress"]["spec"]
    assert (
        deny["podSelector"] == {} and deny["policyTypes"] == ["Ingress"] and "ingress" not in deny
    )
    outside = {
        name
        for name, policy in policies.items()
        for rule in policy["spec"].get("ingress", [])
        for peer in rule.get("from", [])
        if peer.get("namespaceSelector", {})
        .get("matchLabels", {})
        .get("kubernetes.io/metadata.name")
        == "ingress-nginx"
    }
    assert outside == {"gateway-from-ingress", "keycloak-from-ingress-and-lokos"}
    from_anywhere = {
        (name, port["port"])
        for name, policy in policies.items()
        for rule in policy["spec"].get("ingress", [])
        if any("ipBlock" in peer for peer in rule.get("from", []))
        for port in rule["ports"]
    }
    assert from_anywhere == (
        {("nats-leaf-from-states", federation.LEAF_PORT)} if national else set()
    )
    services = policies["services-from-gateway-and-services"]["spec"]
    [rule] = services["ingress"]
    [peer] = rule["from"]
    assert peer == {
        "podSelector": {
            "matchExpressions": [
                {
                    "key": "app.kubernetes.io/component",
                    "operator": "In",
                    "values": ["gateway", "service"],
                }
            ]
        }
    }
    for service in SERVICES:
        labels = _one(overlay, "Deployment", service)["spec"]["template"]["metadata"]["labels"]
        assert labels["app.kubernetes.io/component"] == "service", service


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_resources_autoscaling_and_disruption_budgets(overlay: str) -> None:
    problems = []
    for process, container in _processes(overlay).items():
        if "memory" not in container.get("resources", {}).get("requests", {}):
            problems.append(f"{process}: no resource requests")
        if process == "bus":
            continue
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            if probe not in container:
                problems.append(f"{process}: no {probe}")
        if process in SERVICES:
            command = container["readinessProbe"].get("exec", {}).get("command")
            if command != ["python", "-m", "lokos.health"]:
                problems.append(f"{process}: readiness is {container['readinessProbe']}")
        if process not in _objects(overlay, "PodDisruptionBudget"):
            problems.append(f"{process}: no PodDisruptionBudget")
    gateway = _processes(overlay)[GATEWAY]
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert _env(overlay, gateway)["LOKOS_GATEWAY_PORT"] == str(GATEWAY_PORT)
    hpas = {
        h["spec"]["scaleTargetRef"]["name"]
        for h in _objects(overlay, "HorizontalPodAutoscaler").values()
    }
    if not {GATEWAY, "reports", "profiles"} <= hpas:
        problems.append(f"autoscaled: {sorted(hpas)}")
    assert not problems, "\n".join(problems)


# --- Keycloak ------------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_keycloak_front_and_back_channels_and_the_realm(overlay: str) -> None:
    state = k8s.overlay_state(K8S / "overlays" / overlay)
    keycloak = _one(overlay, "Keycloak", "lokos-keycloak")["spec"]
    assert keycloak["instances"] == 2
    assert re.fullmatch(r"quay\.io/keycloak/keycloak:\d+\.\d+\.\d+", keycloak["image"]), (
        "pin a Keycloak release"
    )
    public = keycloak["hostname"]["hostname"]
    assert public.startswith("https://") and keycloak["hostname"]["backchannelDynamic"] is True
    gateway = _env(overlay, _processes(overlay)[GATEWAY])
    assert gateway["LOKOS_IDP_URL"] == public, "tokens' issuer is the public URL"
    assert gateway["LOKOS_IDP_INTERNAL_URL"] == "http://lokos-keycloak-service:8080"
    identity = _env(overlay, _processes(overlay)["identity"])
    assert identity["LOKOS_KEYCLOAK_URL"] == "http://lokos-keycloak-service:8080"
    hosts = {rule["host"] for rule in _one(overlay, "Ingress", "lokos")["spec"]["rules"]}
    assert public.removeprefix("https://") in hosts
    realm = realms.realm_name(state)
    assert gateway["LOKOS_TRUSTED_REALMS"] == realm
    imported = _one(overlay, "KeycloakRealmImport", realm)["spec"]
    assert imported["keycloakCRName"] == "lokos-keycloak"
    assert imported["realm"]["realm"] == realm
    confidential = {
        c["clientId"]: c["secret"] for c in imported["realm"]["clients"] if not c["publicClient"]
    }
    assert confidential and all(
        realms.placeholder_variable(secret) for secret in confidential.values()
    ), f"confidential clients' secrets must be placeholders: {confidential}"
    assert imported["placeholders"] == {
        realms.secret_variable(client): {"secret": {"name": k8s.CLIENT_SECRETS, "key": client}}
        for client in confidential
    }
    db = keycloak["db"]
    assert (db["host"], db["database"]) == (DATABASE_HOST, "keycloak")
    assert "keycloak" in {d["spec"]["name"] for d in _objects(overlay, "Database").values()}


# --- the national federation ----------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_states_join_the_national_nats_as_leaf_nodes(overlay: str) -> None:
    state = k8s.overlay_state(K8S / "overlays" / overlay)
    states = k8s.federated_states(ROOT)
    config = _configmap_data(overlay, "nats-config")
    assert "domain: $NATS_JS_DOMAIN" in config["nats-server.conf"]
    assert "include ./leafnodes.conf" in config["nats-server.conf"]
    assert config["leafnodes.conf"] == k8s.leafnodes_conf(state, states)
    nats = _env(overlay, _container(_one(overlay, "StatefulSet", "nats"), "nats"))
    domain = nats["NATS_JS_DOMAIN"]["configMapKeyRef"]
    assert _configmap_data(overlay, domain["name"].rsplit("-", 1)[0])[domain["key"]] == state
    mounts = {
        m["name"]: m["mountPath"]
        for m in _container(_one(overlay, "StatefulSet", "nats"), "nats")["volumeMounts"]
    }
    assert mounts["leaf-tls"] == k8s.LEAF_TLS
    if state == bus.NATIONAL:
        assert _configmap_data(overlay, "lokos-common")["LOKOS_FEDERATED_STATES"] == ",".join(
            states
        )
        for s in states:
            ref = _secret_ref(nats.get(k8s.leaf_password_variable(s)))
            assert ref == ("lokos-nats-leaf", s), f"{s}: leaf password from {ref}"
    else:
        assert _secret_ref(nats["NATS_LEAF_URL"]) == ("lokos-nats-leaf", "url")
        reports = _env(overlay, _processes(overlay)["reports"])
        assert float(reports["LOKOS_FEDERATION_PUBLISH_SECONDS"]) > 0
