"""The Keycloak realm files in deploy/keycloak/ are the generator's output, and say what LokOS
needs: the catalogue's roles, the four clients with their flows, brute-force protection, 24-hour
mobile sessions, and no real secret."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lokos import catalogue
from lokosctl.cli import app as cli
from services.identity import realms

ROOT = Path(__file__).resolve().parents[2]
KEYCLOAK_DIR = ROOT / "deploy" / "keycloak"
FILES = sorted(KEYCLOAK_DIR.glob("*.json"))
CLIENTS = {"lokos-web", "lokos-mobile", "lokos-gateway", "lokos-external"}


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _clients(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {client["clientId"]: client for client in data["clients"]}


def _audiences(client: dict[str, Any]) -> set[str]:
    return {
        mapper["config"]["included.client.audience"]
        for mapper in client.get("protocolMappers", [])
        if mapper["protocolMapper"] == "oidc-audience-mapper"
        and mapper["config"].get("access.token.claim") == "true"
    }


def test_the_national_and_a_state_realm_are_committed() -> None:
    names = {path.stem for path in FILES}
    assert "lokos-national" in names
    assert any(name != "lokos-national" for name in names), "no state realm file"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_committed_file_is_the_generators_output(path: Path) -> None:
    expected = realms.render(realms.realm_representation(path.stem))
    assert path.read_text(encoding="utf-8") == expected, (
        f"{path.relative_to(ROOT)} is stale or edited by hand: run `lokos realm template` "
        "(the realm files are generated from lokos/catalogue.py and services/identity/realms.py)"
    )


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_roles_are_the_catalogues(path: Path) -> None:
    data = _load(path)
    kind = "national" if path.stem == "lokos-national" else "state"
    expected = {role.code: role for role in catalogue.realm_roles(kind)}
    roles = {role["name"]: role for role in data["roles"]["realm"]}
    assert set(roles) == set(expected)
    for code, role in roles.items():
        assert role["description"] == expected[code].name_en
        assert role["attributes"] == {"name_hi": [expected[code].name_hi]}
    if kind == "national":
        assert set(roles) == catalogue.NATIONAL_ROLES
    else:
        assert set(roles) == catalogue.STATE_REALM_ROLES
        assert not set(roles) & catalogue.NATIONAL_ROLES


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_clients_and_their_flows(path: Path) -> None:
    clients = _clients(_load(path))
    assert set(clients) == CLIENTS
    web, mobile = clients["lokos-web"], clients["lokos-mobile"]
    gateway, external = clients["lokos-gateway"], clients["lokos-external"]
    for client in (web, mobile):
        assert client["publicClient"] is True
        assert client["directAccessGrantsEnabled"] is True
        assert client["serviceAccountsEnabled"] is False
        assert client["implicitFlowEnabled"] is False
    # The gateway is an audience only: confidential, no flow at all.
    assert gateway["publicClient"] is False
    for flow in (
        "standardFlowEnabled",
        "implicitFlowEnabled",
        "directAccessGrantsEnabled",
        "serviceAccountsEnabled",
    ):
        assert gateway[flow] is False, f"lokos-gateway has {flow}"
    # External systems: confidential, client credentials (service account) only.
    assert external["publicClient"] is False
    assert external["serviceAccountsEnabled"] is True
    assert external["standardFlowEnabled"] is False
    assert external["directAccessGrantsEnabled"] is False
    for client in (web, mobile, external):
        assert _audiences(client) == {"lokos-gateway"}, client["clientId"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_security_settings(path: Path) -> None:
    data = _load(path)
    assert data["realm"] == path.stem
    assert data["enabled"] is True
    assert data["bruteForceProtected"] is True
    assert data["failureFactor"] == 5
    assert data["waitIncrementSeconds"] == 60
    assert data["maxFailureWaitSeconds"] == 900
    assert data["sslRequired"] == "external"
    assert data["accessTokenLifespan"] == 300
    assert data["ssoSessionIdleTimeout"] == data["ssoSessionMaxLifespan"] == 86400
    mobile = _clients(data)["lokos-mobile"]["attributes"]
    assert mobile["client.session.max.lifespan"] == "86400"
    assert mobile["client.session.idle.timeout"] == "86400"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_real_secrets(path: Path) -> None:
    for client in _load(path)["clients"]:
        if client["publicClient"]:
            assert "secret" not in client, client["clientId"]
        else:
            assert client["secret"] == realms.secret_placeholder(client["clientId"])
            assert realms.placeholder_variable(client["secret"]) == (
                f"LOKOS_{client['clientId'].removeprefix('lokos-').upper()}_CLIENT_SECRET"
            )
    text = path.read_text(encoding="utf-8")
    users = _load(path).get("users", [])
    fields = {"username", "enabled", "serviceAccountClientId", "realmRoles"}
    assert all(set(u) == fields for u in users), users
    assert "password" not in json.dumps(users), "no user with a password in templates"
    assert '"credentials"' not in text


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_user_profile_requires_only_the_username(path: Path) -> None:
    """Keycloak 24+ refuses the password grant of users missing a required profile attribute
    ("Account is not fully set up"); community users often have no e-mail."""
    [component] = _load(path)["components"]["org.keycloak.userprofile.UserProfileProvider"]
    [config] = component["config"]["kc.user.profile.config"]
    profile = json.loads(config)
    names = [attribute["name"] for attribute in profile["attributes"]]
    assert names[:4] == ["username", "email", "firstName", "lastName"]
    assert not [a["name"] for a in profile["attributes"] if a.get("required")]


def test_realm_names() -> None:
    assert realms.realm_name("UP") == "lokos-up"
    assert realms.realm_name("lokos-br") == "lokos-br"
    assert realms.realm_name("national") == "lokos-national"
    assert realms.display_name("lokos-up") == "LokOS Uttar Pradesh"
    with pytest.raises(ValueError):
        realms.realm_name("../etc")


def test_provisioned_copies_get_random_secrets() -> None:
    representation = realms.realm_representation("lokos-up")
    provisioned = realms.with_generated_secrets(representation)
    secrets = [c["secret"] for c in provisioned["clients"] if "secret" in c]
    assert len(secrets) == 2 and len(set(secrets)) == 2
    assert not [s for s in secrets if realms.placeholder_variable(s)]
    assert representation == realms.realm_representation("lokos-up"), "the original is untouched"


def test_cli_writes_the_templates(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["realm", "template", "--out", str(tmp_path), "--state", "up", "--state", "br"]
    )
    assert result.exit_code == 0, result.output
    written = sorted(path.name for path in tmp_path.glob("*.json"))
    assert written == ["lokos-br.json", "lokos-national.json", "lokos-up.json"]
    text = (tmp_path / "lokos-up.json").read_text(encoding="utf-8")
    assert text == (KEYCLOAK_DIR / "lokos-up.json").read_text(encoding="utf-8")
    assert text.endswith("}\n") and text.startswith('{\n  "')
    # Without --state the states already in the folder are regenerated.
    (tmp_path / "lokos-up.json").write_text("{}", encoding="utf-8")
    again = CliRunner().invoke(cli, ["realm", "template", "--out", str(tmp_path)])
    assert again.exit_code == 0, again.output
    assert (tmp_path / "lokos-up.json").read_text(encoding="utf-8") == text
    assert (tmp_path / "lokos-br.json").exists()
    bad = CliRunner().invoke(cli, ["realm", "template", "--out", str(tmp_path), "--state", "u/p"])
    assert bad.exit_code != 0


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_service_accounts_are_listed_so_the_start_up_import_never_creates_them(path: Path) -> None:
    """Keycloak 26.x aborts a start-up import that has to create a service-account user
    (keycloak #33637, #34673, #38647): every client with service accounts has its user in the
    file, named as Keycloak names it, without roles or credentials."""
    data = _load(path)
    with_accounts = {c["clientId"] for c in data["clients"] if c.get("serviceAccountsEnabled")}
    assert with_accounts == {"lokos-external"}
    users = {u["serviceAccountClientId"]: u for u in data["users"]}
    assert set(users) == with_accounts
    for client_id, user in users.items():
        assert user["username"] == f"service-account-{client_id}"
        assert user["realmRoles"] == [] and "credentials" not in user
