"""`lokos secrets`: every secret a deployment needs is generated, per deployment, and covers
exactly what docker-compose.yml requires and what the Kubernetes overlays reference."""

from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

from lokosctl import deploysecrets

ROOT = Path(__file__).resolve().parents[2]
# Made by others: the Keycloak Operator (initial admin), the state's object store (backups).
# The leaf credentials join two namespaces (a state's URL holds the national side's password)
# and are made once per pair (docs/runbook.md).
NOT_GENERATED = {
    "lokos-keycloak-initial-admin",
    "lokos-backup-s3",
    "lokos-nats-leaf",
    "lokos-nats-leaf-ca",
    "lokos-nats-leaf-tls",
}


def _env(text: str) -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#")
    )


def test_compose_env_gives_every_required_variable(tmp_path: Path) -> None:
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*):\?", compose))
    env = _env(deploysecrets.compose_env(tmp_path))
    assert set(env) == required
    assert all(len(value) >= 32 for value in env.values())
    assert re.fullmatch(r"k1:[0-9a-f]{64}", env["LOKOS_PRINCIPAL_KEYS"])
    assert re.fullmatch(r"[0-9a-f]+", env["POSTGRES_PASSWORD"]), "URL-safe: it sits in URLs"


def test_the_same_deployment_keeps_its_values_and_another_gets_its_own(tmp_path: Path) -> None:
    first = deploysecrets.compose_env(tmp_path / "a")
    assert deploysecrets.compose_env(tmp_path / "a") == first
    other = _env(deploysecrets.compose_env(tmp_path / "b"))
    assert not set(_env(first).values()) & set(other.values())
    assert all(
        (path.stat().st_mode & 0o077) == 0
        for path in (tmp_path / "a").iterdir()
        if path.is_file() and path.name != ".gitignore"
    ), "secret files are private"


def _referenced_secrets(overlay: Path) -> set[tuple[str, str]]:
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(overlay)], capture_output=True, text=True, check=True
    ).stdout
    refs: set[tuple[str, str]] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("secretKeyRef")
            if isinstance(ref, dict):
                refs.add((ref["name"], ref["key"]))
            for key in ("usernameSecret", "passwordSecret"):
                if isinstance(node.get(key), dict):
                    refs.add((node[key]["name"], node[key]["key"]))
            if isinstance(node.get("secret"), dict) and "key" in node["secret"]:
                refs.add((node["secret"]["name"], node["secret"]["key"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for doc in yaml.safe_load_all(rendered):
        walk(doc)
    return refs


def test_k8s_secrets_cover_every_reference_of_every_overlay(tmp_path: Path) -> None:
    for overlay in sorted((ROOT / "deploy" / "k8s" / "overlays").iterdir()):
        namespace = f"lokos-{overlay.name}"
        objects = deploysecrets.k8s_secrets(tmp_path, namespace)
        for obj in objects:
            kubernetes_validate.validate(obj, "1.30.0", strict=True)
            assert obj["metadata"]["namespace"] == namespace
        given = {(o["metadata"]["name"], key) for o in objects for key in o["data"]}
        wanted = {ref for ref in _referenced_secrets(overlay) if ref[0] not in NOT_GENERATED}
        assert wanted <= given, f"{overlay.name}: not generated {sorted(wanted - given)}"
    [postgres] = [o for o in objects if o["metadata"]["name"] == "lokos-postgres"]
    assert postgres["type"] == "kubernetes.io/basic-auth"
    assert base64.b64decode(postgres["data"]["username"]) == b"lokos"
