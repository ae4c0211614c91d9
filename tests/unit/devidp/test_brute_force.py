"""The embedded IdP's brute-force detection, modelled on Keycloak's realm settings: wrong
passwords lock the user (even the right password is then refused), the lock grows with every
run of failures up to a maximum, a permanent lockout disables the user, and the admin API's
attack-detection endpoint lifts it. No timing: the lock is read from the store and the API."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from devidp.admin import ADMIN_USERNAME
from devidp.app import create_app
from devidp.config import IdpSettings
from devidp.store import LOKOS_BRUTE_FORCE, BruteForce, IdpStore

BASE = "http://127.0.0.1:8180"
TOKEN_PATH = "/realms/{realm}/protocol/openid-connect/token"
PASSWORD = "S3cret!pass"
ADMIN_PASSWORD = "Admin#pass1"


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    settings = IdpSettings(
        data_dir=tmp_path,
        idp_public_url=BASE,
        idp_realms=["lokos-national", "lokos-up"],
        password_iterations=1000,
        admin_password=ADMIN_PASSWORD,
    )
    return TestClient(create_app(settings))


def _store(client: TestClient) -> IdpStore:
    store = client.app.state.store  # type: ignore[attr-defined]
    assert isinstance(store, IdpStore)
    return store


def _grant(client: TestClient, username: str, password: str, realm: str = "lokos-up") -> Any:
    return client.post(
        TOKEN_PATH.format(realm=realm),
        data={
            "grant_type": "password",
            "client_id": "lokos-web",
            "username": username,
            "password": password,
        },
    )


def _admin(client: TestClient) -> dict[str, str]:
    r = client.post(
        TOKEN_PATH.format(realm="master"),
        data={
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": ADMIN_USERNAME,
            "password": ADMIN_PASSWORD,
        },
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _new_user(client: TestClient, realm: str = "lokos-up") -> tuple[str, str]:
    username = f"UP_BF{uuid.uuid4().hex[:8].upper()}"
    user = _store(client).create_user(realm, username, PASSWORD)
    return username, user.id


def test_thirty_wrong_passwords_then_the_right_one_gives_no_token(client: TestClient) -> None:
    username, _ = _new_user(client)
    for _ in range(30):
        wrong = _grant(client, username, "Wrong#pass1")
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_grant"
    right = _grant(client, username, PASSWORD)
    # The same answer as a wrong password: the lock is not revealed.
    assert right.status_code == 401, right.text
    assert right.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid user credentials",
    }


def test_admin_clears_the_lock_through_attack_detection(client: TestClient) -> None:
    username, user_id = _new_user(client)
    for _ in range(LOKOS_BRUTE_FORCE.failure_factor):
        _grant(client, username, "Wrong#pass1")
    assert _grant(client, username, PASSWORD).status_code == 401
    path = f"/admin/realms/lokos-up/attack-detection/brute-force/users/{user_id}"
    status = client.get(path, headers=_admin(client))
    assert status.status_code == 200
    assert status.json()["disabled"] is True
    assert status.json()["numFailures"] == LOKOS_BRUTE_FORCE.failure_factor
    assert client.delete(path, headers=_admin(client)).status_code == 204
    assert client.get(path, headers=_admin(client)).json()["numFailures"] == 0
    assert _grant(client, username, PASSWORD).status_code == 200
    assert client.get(path).status_code == 401  # the admin API needs an admin token
    unknown = f"/admin/realms/lokos-up/attack-detection/brute-force/users/{uuid.uuid4()}"
    assert client.delete(unknown, headers=_admin(client)).status_code == 404


def test_a_successful_login_forgets_earlier_failures(client: TestClient) -> None:
    username, user_id = _new_user(client)
    for _ in range(LOKOS_BRUTE_FORCE.failure_factor - 1):
        _grant(client, username, "Wrong#pass1")
    assert _grant(client, username, PASSWORD).status_code == 200
    assert _store(client).login_failures("lokos-up", user_id)["numFailures"] == 0
    for _ in range(LOKOS_BRUTE_FORCE.failure_factor - 1):
        _grant(client, username, "Wrong#pass1")
    assert _grant(client, username, PASSWORD).status_code == 200


def test_attempts_while_locked_do_not_count(client: TestClient) -> None:
    username, user_id = _new_user(client)
    for _ in range(LOKOS_BRUTE_FORCE.failure_factor + 10):
        _grant(client, username, "Wrong#pass1")
    status = _store(client).login_failures("lokos-up", user_id)
    assert status["numFailures"] == LOKOS_BRUTE_FORCE.failure_factor and status["disabled"]


def test_realm_settings_come_from_the_representation_with_permanent_lockout(
    client: TestClient,
) -> None:
    representation = {
        "realm": "lokos-pl",
        "enabled": True,
        "bruteForceProtected": True,
        "permanentLockout": True,
        "failureFactor": 3,
        "clients": [
            {"clientId": "lokos-web", "publicClient": True, "directAccessGrantsEnabled": True}
        ],
    }
    r = client.post("/admin/realms", json=representation, headers=_admin(client))
    assert r.status_code == 201, r.text
    store = _store(client)
    assert store.brute_force("lokos-pl") == BruteForce(
        protected=True, permanent_lockout=True, failure_factor=3
    )
    user = store.create_user("lokos-pl", "PL_USER", PASSWORD)
    for _ in range(3):
        _grant(client, "PL_USER", "Wrong#pass1", realm="lokos-pl")
    disabled = store.get_user_by_id("lokos-pl", user.id)
    assert disabled is not None and disabled.enabled is False  # for good, until an admin acts
    refused = _grant(client, "PL_USER", PASSWORD, realm="lokos-pl")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_an_unprotected_realm_counts_nothing(client: TestClient) -> None:
    r = client.post(
        "/admin/realms",
        json={
            "realm": "lokos-open",
            "enabled": True,
            "clients": [
                {"clientId": "lokos-web", "publicClient": True, "directAccessGrantsEnabled": True}
            ],
        },
        headers=_admin(client),
    )
    assert r.status_code == 201
    user = _store(client).create_user("lokos-open", "OPEN_USER", PASSWORD)
    for _ in range(40):
        _grant(client, "OPEN_USER", "Wrong#pass1", realm="lokos-open")
    assert _grant(client, "OPEN_USER", PASSWORD, realm="lokos-open").status_code == 200
    assert _store(client).login_failures("lokos-open", user.id)["numFailures"] == 0


@pytest.mark.parametrize(
    ("failures", "wait"),
    [(0, 0), (4, 0), (5, 60), (9, 60), (10, 120), (50, 600), (75, 900), (500, 900)],
)
def test_the_wait_grows_with_each_run_of_failures_up_to_the_maximum(
    failures: int, wait: int
) -> None:
    assert LOKOS_BRUTE_FORCE.wait_seconds(failures) == wait


def test_keycloak_defaults_when_the_representation_says_nothing() -> None:
    rules = BruteForce.from_representation({"realm": "x"})
    assert rules == BruteForce()
    assert (rules.protected, rules.failure_factor, rules.max_failure_wait_seconds) == (
        False,
        30,
        900,
    )
    odd = BruteForce.from_representation({"failureFactor": "5", "bruteForceProtected": 1})
    assert odd == BruteForce()  # wrong types are ignored, not trusted


def test_the_configured_realms_follow_the_keycloak_realm_templates() -> None:
    """The embedded IdP's configured realms lock as the Keycloak realms of deploy/keycloak do."""
    templates = sorted((Path(__file__).parents[3] / "deploy" / "keycloak").glob("*.json"))
    assert templates
    for template in templates:
        representation = json.loads(template.read_text(encoding="utf-8"))
        assert BruteForce.from_representation(representation) == LOKOS_BRUTE_FORCE, template.name
