"""Users, clients and sessions of the embedded IdP, one JSON file per realm.

Layout of ``data_dir/idp/realm-<realm>.json`` (written to a temporary file, then
``os.replace``; a sibling ``.lock`` file serialises writers across processes, so the identity
service may create users while the IdP serves logins — each side reloads the file when it
changed)::

    {
      "format": 1,
      "realm": "lokos-up",
      "display_name": "", "enabled": true,
      "roles": [{"name": "STATE_ADMIN", "description": "State Admin",
                 "attributes": {"name_hi": ["राज्य प्रशासक"]}}],
      "users": {
        "<uuid>": {
          "id": "<uuid>", "username": "UP_STATEADMIN", "enabled": true,
          "realm_roles": ["STATE_ADMIN"], "created_at": 1700000000,
          "email": "", "first_name": "", "last_name": "", "required_actions": [],
          "credential": {"algorithm": "pbkdf2-sha256", "iterations": 27500,
                         "salt": "<base64>", "hash": "<base64>"}          (or null)
        }
      },
      "clients": {
        "lokos-web": {"client_id": "lokos-web", "public": true, "secret": null,
                      "direct_access_grants": true, "service_account": false,
                      "service_account_user_id": null, "service_account_roles": []},
        "lokos-external": {"client_id": "lokos-external", "public": false, "secret": "<token>",
                           "direct_access_grants": false, "service_account": true,
                           "service_account_user_id": "<uuid>", "service_account_roles": []}
      },
      "sessions": {
        "<sid>": {"id": "<sid>", "user_id": "<uuid>", "client_id": "lokos-web",
                  "scope": "profile email", "started_at": 1700000000,
                  "last_refresh": 1700000000, "expires_at": 1700001800}
      }
    }

Usernames are stored as given and looked up case-insensitively; tokens carry the upper-case
form (the LokOS user ID) as ``preferred_username``.

Realms: the configured ones (``LOKOS_IDP_REALMS``) are created at start with the four LokOS
clients and the catalogue's realm roles; more realms can be added at run time from a Keycloak
realm representation (:meth:`IdpStore.import_realm`, used by ``POST /admin/realms``). A realm
exists while its file exists, so every process sharing the folder sees realms another one added.
The ``master`` realm (admin user and ``admin-cli`` client of the admin REST API) is one of them.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lokos import catalogue
from lokos.errors import Conflict, NotFound, ValidationFailed

if sys.platform != "win32":
    import fcntl

FORMAT_VERSION = 1
HASH_ALGORITHM = "pbkdf2-sha256"
SALT_BYTES = 16

_REALM_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_ROLE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_:.-]{0,99}$")

# Keycloak's administration realm, its admin client and the realm roles of its administrator.
MASTER_REALM = "master"
ADMIN_CLIENT_ID = "admin-cli"
MASTER_ROLES: tuple[tuple[str, str], ...] = (
    ("admin", "${role_admin}"),
    ("create-realm", "${role_create-realm}"),
)
# What Keycloak realm exports put where a client secret was.
PLACEHOLDER_SECRET = "**********"
# The required action of a temporary password (Keycloak's alias).
UPDATE_PASSWORD = "UPDATE_PASSWORD"
_ROLE_ID_NAMESPACE = uuid.UUID("0b6c0a5e-4c1d-4f43-9a57-2f1f3f1a9d11")


def default_role_names(realm: str) -> tuple[str, ...]:
    """The roles Keycloak gives every realm (and, through the first, every user)."""
    return (f"default-roles-{realm}", "offline_access", "uma_authorization")


def role_id(realm: str, name: str) -> str:
    """A stable id of a realm role (the same in every process, no need to store it)."""
    return str(uuid.uuid5(_ROLE_ID_NAMESPACE, f"{realm}/{name}"))


# Realm -> (username, realm role) of the demo administrator seeded when seed_demo is true.
DEMO_USERS: dict[str, tuple[str, str]] = {
    "lokos-up": ("UP_STATEADMIN", catalogue.STATE_ADMIN),
    "lokos-national": (catalogue.DEMO_NATIONAL_USER, catalogue.NATIONAL_ADMIN),
}


def demo_user(realm: str) -> tuple[str, str] | None:
    """The demo administrator of ``realm``: the national admin, or a state's state admin
    (``BR_STATEADMIN`` in lokos-br, as identity seeds it for LOKOS_STATE=br)."""
    if realm in DEMO_USERS:
        return DEMO_USERS[realm]
    if realm.startswith("lokos-"):
        return f"{realm.removeprefix('lokos-').upper()}_STATEADMIN", catalogue.STATE_ADMIN
    return None


@dataclass(frozen=True)
class _ClientSpec:
    public: bool
    direct_access_grants: bool
    service_account: bool


# The clients every realm has (Keycloak realm export of LokOS has the same four).
DEFAULT_CLIENTS: dict[str, _ClientSpec] = {
    "lokos-web": _ClientSpec(public=True, direct_access_grants=True, service_account=False),
    "lokos-mobile": _ClientSpec(public=True, direct_access_grants=True, service_account=False),
    "lokos-gateway": _ClientSpec(public=False, direct_access_grants=True, service_account=False),
    "lokos-external": _ClientSpec(public=False, direct_access_grants=False, service_account=True),
}


def validate_realm_name(realm: str) -> str:
    """Realm names double as file names: lower-case letters, digits, ``-`` and ``_``."""
    if not _REALM_RE.fullmatch(realm):
        raise ValueError(f"invalid realm name {realm!r}: use lower-case letters, digits, - and _")
    return realm


@dataclass(frozen=True)
class RealmRole:
    name: str
    description: str = ""
    attributes: dict[str, list[str]] = field(default_factory=dict, hash=False, compare=False)

    def id(self, realm: str) -> str:
        return role_id(realm, self.name)


@dataclass(frozen=True)
class User:
    id: str
    username: str
    enabled: bool
    realm_roles: tuple[str, ...]
    created_at: int
    has_password: bool
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    # Keycloak required actions (``UPDATE_PASSWORD`` after a temporary password).
    required_actions: tuple[str, ...] = ()

    @property
    def preferred_username(self) -> str:
        """The LokOS user ID: the username in upper case."""
        return self.username.upper()


@dataclass(frozen=True)
class Client:
    client_id: str
    public: bool
    secret: str | None = field(repr=False)
    direct_access_grants: bool
    service_account: bool
    service_account_user_id: str | None
    service_account_roles: tuple[str, ...]
    # A disabled client gets no tokens (Keycloak: ``enabled`` of the ClientRepresentation).
    enabled: bool = True

    @property
    def confidential(self) -> bool:
        return not self.public

    def check_secret(self, secret: str | None) -> bool:
        if self.public or self.secret is None or secret is None:
            return False
        return hmac.compare_digest(self.secret.encode("utf-8"), secret.encode("utf-8"))


@dataclass(frozen=True)
class Session:
    id: str
    user_id: str
    client_id: str
    scope: str
    started_at: int
    last_refresh: int
    expires_at: int


@dataclass(frozen=True)
class BruteForce:
    """A realm's brute-force detection, as Keycloak's realm settings name it.

    Keycloak's rule, modelled here: every wrong password of a known user counts (failures
    older than ``max_delta_time_seconds`` are forgotten first); from ``failure_factor``
    failures on the user is locked for ``wait_increment_seconds`` times the number of whole
    ``failure_factor`` runs, at most ``max_failure_wait_seconds`` — or disabled for good with
    ``permanent_lockout``. While locked even the right password is refused, with the same
    answer as a wrong one, and the attempt does not count. A successful login forgets the
    failures; so does the admin API's ``DELETE …/attack-detection/brute-force/users/{id}``.
    """

    protected: bool = False  # bruteForceProtected
    permanent_lockout: bool = False  # permanentLockout
    failure_factor: int = 30  # failureFactor
    wait_increment_seconds: int = 60  # waitIncrementSeconds
    max_failure_wait_seconds: int = 900  # maxFailureWaitSeconds
    max_delta_time_seconds: int = 43200  # maxDeltaTimeSeconds

    _FIELDS = (
        ("protected", "bruteForceProtected"),
        ("permanent_lockout", "permanentLockout"),
        ("failure_factor", "failureFactor"),
        ("wait_increment_seconds", "waitIncrementSeconds"),
        ("max_failure_wait_seconds", "maxFailureWaitSeconds"),
        ("max_delta_time_seconds", "maxDeltaTimeSeconds"),
    )

    @classmethod
    def from_representation(cls, rep: dict[str, Any]) -> BruteForce:
        """From a RealmRepresentation; absent fields take Keycloak's defaults."""
        values: dict[str, Any] = {}
        for attr, name in cls._FIELDS:
            value = rep.get(name)
            default = getattr(cls, attr)
            if isinstance(default, bool):
                if isinstance(value, bool):
                    values[attr] = value
            elif isinstance(value, int) and not isinstance(value, bool) and value > 0:
                values[attr] = value
        return cls(**values)

    def representation(self) -> dict[str, Any]:
        return {name: getattr(self, attr) for attr, name in self._FIELDS}

    def wait_seconds(self, failures: int) -> int:
        """How long ``failures`` failures in a row lock the user (0: not locked)."""
        if failures < self.failure_factor:
            return 0
        wait = self.wait_increment_seconds * (failures // self.failure_factor)
        return min(wait, self.max_failure_wait_seconds)


# What the LokOS realm templates set (deploy/keycloak/*.json): the configured realms get it.
LOKOS_BRUTE_FORCE = BruteForce(
    protected=True,
    permanent_lockout=False,
    failure_factor=5,
    wait_increment_seconds=60,
    max_failure_wait_seconds=900,
)


def hash_password(password: str, iterations: int, salt: bytes | None = None) -> dict[str, Any]:
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return {
        "algorithm": HASH_ALGORITHM,
        "iterations": iterations,
        "salt": base64.b64encode(salt).decode("ascii"),
        "hash": base64.b64encode(digest).decode("ascii"),
    }


def verify_password(password: str, credential: dict[str, Any]) -> bool:
    if credential.get("algorithm") != HASH_ALGORITHM:
        return False
    salt = base64.b64decode(credential["salt"])
    expected = base64.b64decode(credential["hash"])
    digest = hashlib.pbkdf2_hmac(
        "sha256", password.encode("utf-8"), salt, int(credential["iterations"])
    )
    return hmac.compare_digest(digest, expected)


def _check_username(username: str) -> str:
    if not username or len(username) > 255 or username != username.strip():
        raise ValidationFailed.one(
            "username", "username must be 1-255 characters without surrounding spaces"
        )
    if any(ch.isspace() or ord(ch) < 32 for ch in username):
        raise ValidationFailed.one(
            "username", "username must not contain spaces or control characters"
        )
    return username


def _check_password(password: str) -> str:
    if not password:
        raise ValidationFailed.one("password", "password must not be empty")
    return password


def _check_roles(roles: Iterable[str]) -> list[str]:
    result: list[str] = []
    for role in roles:
        if not isinstance(role, str) or not _ROLE_RE.fullmatch(role):
            raise ValidationFailed.one("realm_roles", f"invalid role name {role!r}")
        if role not in result:
            result.append(role)
    return result


def _check_actions(actions: Iterable[str]) -> list[str]:
    result: list[str] = []
    for action in actions:
        if not isinstance(action, str) or not action:
            raise ValidationFailed.one("required_actions", f"invalid required action {action!r}")
        if action not in result:
            result.append(action)
    return result


def _user(record: dict[str, Any]) -> User:
    return User(
        id=record["id"],
        username=record["username"],
        enabled=bool(record["enabled"]),
        realm_roles=tuple(record.get("realm_roles", [])),
        created_at=int(record.get("created_at", 0)),
        has_password=record.get("credential") is not None,
        email=record.get("email") or "",
        first_name=record.get("first_name") or "",
        last_name=record.get("last_name") or "",
        required_actions=tuple(record.get("required_actions") or ()),
    )


def _role(record: dict[str, Any]) -> RealmRole:
    return RealmRole(
        name=record["name"],
        description=record.get("description") or "",
        attributes={k: list(v) for k, v in (record.get("attributes") or {}).items()},
    )


def _catalogue_roles(realm: str) -> list[dict[str, Any]]:
    """The realm roles a configured realm gets from the role catalogue."""
    kind = "national" if realm == "lokos-national" else "state"
    return [
        {"name": r.code, "description": r.name_en, "attributes": {"name_hi": [r.name_hi]}}
        for r in catalogue.realm_roles(kind)
    ]


def _new_client(
    client_id: str,
    *,
    public: bool,
    direct_access_grants: bool,
    service_account: bool,
    secret: str | None = None,
) -> dict[str, Any]:
    if public:
        secret = None
    elif not secret or secret == PLACEHOLDER_SECRET or secret.startswith("${"):
        # A template's placeholder (an export's asterisks, or a ${VARIABLE} the deployment
        # fills in) is no secret: make one, as Keycloak's admin API does for a new client.
        secret = secrets.token_urlsafe(32)
    return {
        "client_id": client_id,
        "public": public,
        "secret": secret,
        "direct_access_grants": direct_access_grants,
        "service_account": service_account,
        "service_account_user_id": str(uuid.uuid4()) if service_account else None,
        "service_account_roles": [],
    }


def _flag(value: Any, default: bool) -> bool:
    return value if isinstance(value, bool) else default


def _client(record: dict[str, Any]) -> Client:
    return Client(
        client_id=record["client_id"],
        public=bool(record["public"]),
        secret=record.get("secret"),
        direct_access_grants=bool(record.get("direct_access_grants", False)),
        service_account=bool(record.get("service_account", False)),
        service_account_user_id=record.get("service_account_user_id"),
        service_account_roles=tuple(record.get("service_account_roles", [])),
        enabled=record.get("enabled", True) is not False,
    )


def _session(record: dict[str, Any]) -> Session:
    return Session(
        id=record["id"],
        user_id=record["user_id"],
        client_id=record["client_id"],
        scope=record.get("scope", ""),
        started_at=int(record["started_at"]),
        last_refresh=int(record["last_refresh"]),
        expires_at=int(record["expires_at"]),
    )


@dataclass
class _Cached:
    stamp: tuple[int, int, int]
    data: dict[str, Any]
    by_name: dict[str, str]  # lower-case username -> user id


class IdpStore:
    """Persistent users, clients and sessions of the configured realms.

    Thread-safe, and safe to share between processes (file lock + reload on change).
    Methods taking a ``username`` match it case-insensitively.
    """

    def __init__(
        self, directory: Path, realms: Iterable[str], *, password_iterations: int = 27500
    ) -> None:
        self.directory = directory
        self.realms: tuple[str, ...] = tuple(validate_realm_name(r) for r in realms)
        self.password_iterations = password_iterations
        self._lock = threading.RLock()
        self._cache: dict[str, _Cached] = {}
        # Hash of a random password, checked when a user is unknown so that the response
        # time does not reveal whether a username exists.
        self._dummy_credential = hash_password(secrets.token_urlsafe(16), password_iterations)
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        for realm in self.realms:
            self._ensure_realm(realm)

    # ---------------------------------------------------------------- files

    def path(self, realm: str) -> Path:
        return self.directory / f"realm-{realm}.json"

    def has_realm(self, realm: str) -> bool:
        """Configured here, or created by any process sharing the folder (its file exists)."""
        if realm in self.realms:
            return True
        return bool(_REALM_RE.fullmatch(realm)) and self.path(realm).exists()

    def _check_realm(self, realm: str) -> None:
        if not self.has_realm(realm):
            raise NotFound(f"realm {realm!r} does not exist", code="realm_not_found")

    @contextmanager
    def _file_lock(self, realm: str) -> Iterator[None]:
        if sys.platform == "win32":
            yield
            return
        lock_path = self.directory / f"realm-{realm}.json.lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _load(self, realm: str) -> _Cached:
        """The realm's data, re-read from disk when the file changed since the last read."""
        path = self.path(realm)
        try:
            st = path.stat()
        except FileNotFoundError:
            empty = {
                "format": FORMAT_VERSION,
                "realm": realm,
                "roles": [],
                "users": {},
                "clients": {},
                "sessions": {},
            }
            cached = _Cached(stamp=(0, 0, 0), data=empty, by_name={})
            self._cache[realm] = cached
            return cached
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        cached_entry = self._cache.get(realm)
        if cached_entry is not None and cached_entry.stamp == stamp:
            return cached_entry
        data = json.loads(path.read_text(encoding="utf-8"))
        for key in ("users", "clients", "sessions"):
            data.setdefault(key, {})
        data.setdefault("roles", [])
        fresh = _Cached(stamp=stamp, data=data, by_name=self._index(data))
        self._cache[realm] = fresh
        return fresh

    @staticmethod
    def _index(data: dict[str, Any]) -> dict[str, str]:
        return {rec["username"].lower(): uid for uid, rec in data["users"].items()}

    def _save(self, realm: str, data: dict[str, Any]) -> None:
        path = self.path(realm)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2, sort_keys=True)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        st = path.stat()
        self._cache[realm] = _Cached(
            stamp=(st.st_ino, st.st_mtime_ns, st.st_size), data=data, by_name=self._index(data)
        )

    @contextmanager
    def _mutate(self, realm: str) -> Iterator[dict[str, Any]]:
        """Read-modify-write of one realm file; nothing is written if the body raises."""
        self._check_realm(realm)
        with self._lock, self._file_lock(realm):
            data = copy.deepcopy(self._load(realm).data)
            yield data
            now = int(time.time())
            data["sessions"] = {
                sid: rec for sid, rec in data["sessions"].items() if int(rec["expires_at"]) > now
            }
            self._save(realm, data)

    def _read(self, realm: str) -> _Cached:
        self._check_realm(realm)
        with self._lock:
            return self._load(realm)

    def _ensure_realm(self, realm: str) -> None:
        """A configured realm: the LokOS clients and every catalogue role (none is removed)."""
        with self._mutate(realm) as data:
            data["format"] = FORMAT_VERSION
            data["realm"] = realm
            data.setdefault("enabled", True)
            data.setdefault("display_name", "")
            data.setdefault("brute_force", LOKOS_BRUTE_FORCE.representation())
            clients = data["clients"]
            for client_id, spec in DEFAULT_CLIENTS.items():
                rec = clients.get(client_id)
                if rec is None:
                    rec = _new_client(
                        client_id,
                        public=spec.public,
                        direct_access_grants=spec.direct_access_grants,
                        service_account=spec.service_account,
                    )
                    clients[client_id] = rec
                if rec.get("service_account") and not rec.get("service_account_user_id"):
                    rec["service_account_user_id"] = str(uuid.uuid4())
            known = {role["name"] for role in data["roles"]}
            data["roles"].extend(r for r in _catalogue_roles(realm) if r["name"] not in known)

    # ---------------------------------------------------------------- realms

    def create_realm(
        self,
        realm: str,
        *,
        roles: Iterable[dict[str, Any]] = (),
        clients: Iterable[dict[str, Any]] = (),
        display_name: str = "",
        enabled: bool = True,
        brute_force: BruteForce | None = None,
    ) -> bool:
        """Create a realm file; ``False`` (and nothing changes) when the realm exists.

        ``roles`` are ``{"name", "description", "attributes"}``; ``clients`` are records as
        made by :func:`_new_client` (``client_id``, ``public``, ``direct_access_grants``,
        ``service_account``, ``secret``).
        """
        validate_realm_name(realm)
        role_records: list[dict[str, Any]] = []
        for role in roles:
            _check_roles([role["name"]])
            if all(r["name"] != role["name"] for r in role_records):
                role_records.append(role)
        data: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "realm": realm,
            "display_name": display_name,
            "enabled": enabled,
            "brute_force": (brute_force or BruteForce()).representation(),
            "roles": role_records,
            "users": {},
            "clients": {c["client_id"]: c for c in clients},
            "sessions": {},
        }
        with self._lock, self._file_lock(realm):
            if self.path(realm).exists():
                return False
            self._save(realm, data)
        return True

    def import_realm(self, representation: dict[str, Any]) -> bool:
        """Create a realm from a Keycloak RealmRepresentation; ``False`` if it exists.

        Taken from the representation: ``realm``, ``displayName``, ``enabled``, the realm roles
        (``roles.realm[]``: name, description, attributes) and the OpenID Connect clients
        (``clientId``, ``publicClient``, ``directAccessGrantsEnabled``,
        ``serviceAccountsEnabled``, ``secret`` — a missing or ``**********`` secret of a
        confidential client is generated) and the brute-force detection settings (see
        :class:`BruteForce`). Everything else (token lifespans, password policy, protocol
        mappers, users) is not emulated.
        """
        realm = representation.get("realm")
        if not isinstance(realm, str) or not realm:
            raise ValidationFailed.one("realm", "the realm name is missing")
        try:
            validate_realm_name(realm)
        except ValueError as exc:
            raise ValidationFailed.one("realm", str(exc)) from None
        roles_section = representation.get("roles")
        role_reps = roles_section.get("realm") if isinstance(roles_section, dict) else None
        roles = []
        for rep in role_reps or []:
            if not isinstance(rep, dict) or not isinstance(rep.get("name"), str):
                raise ValidationFailed.one("roles.realm", "every realm role needs a name")
            if rep["name"] in default_role_names(realm):
                continue
            attributes = rep.get("attributes") or {}
            roles.append(
                {
                    "name": rep["name"],
                    "description": str(rep.get("description") or ""),
                    "attributes": {str(k): [str(x) for x in v] for k, v in attributes.items()},
                }
            )
        clients = []
        for rep in representation.get("clients") or []:
            if not isinstance(rep, dict) or not isinstance(rep.get("clientId"), str):
                raise ValidationFailed.one("clients", "every client needs a clientId")
            if rep.get("protocol", "openid-connect") != "openid-connect":
                continue
            public = _flag(rep.get("publicClient"), False)
            clients.append(
                _new_client(
                    rep["clientId"],
                    public=public,
                    direct_access_grants=_flag(rep.get("directAccessGrantsEnabled"), False),
                    service_account=not public and _flag(rep.get("serviceAccountsEnabled"), False),
                    secret=rep.get("secret") if isinstance(rep.get("secret"), str) else None,
                )
            )
        return self.create_realm(
            realm,
            roles=roles,
            clients=clients,
            display_name=str(representation.get("displayName") or ""),
            enabled=_flag(representation.get("enabled"), False),
            brute_force=BruteForce.from_representation(representation),
        )

    def ensure_master_realm(self, admin_username: str, admin_password: str) -> User:
        """The administration realm: client ``admin-cli`` and an administrator with this
        password (reset when it differs, so the configured password always works)."""
        self.create_realm(
            MASTER_REALM,
            roles=[{"name": n, "description": d, "attributes": {}} for n, d in MASTER_ROLES],
            clients=[
                _new_client(
                    ADMIN_CLIENT_ID, public=True, direct_access_grants=True, service_account=False
                )
            ],
            display_name="Keycloak",
        )
        roles = [name for name, _ in MASTER_ROLES]
        user = self.get_user(MASTER_REALM, admin_username)
        if user is None:
            try:
                return self.create_user(
                    MASTER_REALM, admin_username, admin_password, realm_roles=roles
                )
            except Conflict:  # created concurrently
                user = self.get_user(MASTER_REALM, admin_username)
                assert user is not None
        if self.authenticate(MASTER_REALM, admin_username, admin_password) is None:
            user = self.set_password(MASTER_REALM, admin_username, admin_password)
        if not user.enabled:
            user = self.set_enabled(MASTER_REALM, admin_username, True)
        if set(roles) - set(user.realm_roles):
            user = self.set_roles(MASTER_REALM, admin_username, [*user.realm_roles, *roles])
        return user

    def realm_info(self, realm: str) -> dict[str, Any]:
        """``{"realm", "display_name", "enabled"}`` of an existing realm."""
        data = self._read(realm).data
        return {
            "realm": realm,
            "display_name": data.get("display_name") or "",
            "enabled": bool(data.get("enabled", True)),
        }

    def realm_roles(self, realm: str) -> list[RealmRole]:
        """The realm's own roles (Keycloak's built-in default roles are not stored)."""
        return [_role(rec) for rec in self._read(realm).data["roles"]]

    # ---------------------------------------------------------------- users

    def create_user(
        self,
        realm: str,
        username: str,
        password: str | None = None,
        *,
        realm_roles: Iterable[str] = (),
        enabled: bool = True,
        email: str = "",
        first_name: str = "",
        last_name: str = "",
        required_actions: Iterable[str] = (),
    ) -> User:
        """Create a user; ``Conflict`` if the username (case-insensitive) exists."""
        _check_username(username)
        roles = _check_roles(realm_roles)
        actions = _check_actions(required_actions)
        credential = (
            hash_password(_check_password(password), self.password_iterations)
            if password is not None
            else None
        )
        with self._mutate(realm) as data:
            if any(rec["username"].lower() == username.lower() for rec in data["users"].values()):
                raise Conflict(
                    f"user {username.upper()} already exists in realm {realm}", code="user_exists"
                )
            user_id = str(uuid.uuid4())
            record = {
                "id": user_id,
                "username": username,
                "enabled": enabled,
                "realm_roles": roles,
                "created_at": int(time.time()),
                "email": email,
                "first_name": first_name,
                "last_name": last_name,
                "required_actions": actions,
                "credential": credential,
            }
            data["users"][user_id] = record
        return _user(record)

    def get_user(self, realm: str, username: str) -> User | None:
        cached = self._read(realm)
        user_id = cached.by_name.get(username.lower())
        return _user(cached.data["users"][user_id]) if user_id is not None else None

    def get_user_by_id(self, realm: str, user_id: str) -> User | None:
        record = self._read(realm).data["users"].get(user_id)
        return _user(record) if record is not None else None

    def list_users(self, realm: str) -> list[User]:
        users = [_user(rec) for rec in self._read(realm).data["users"].values()]
        return sorted(users, key=lambda u: u.username.lower())

    def _find_id(self, data: dict[str, Any], realm: str, user_id: str) -> dict[str, Any]:
        record = data["users"].get(user_id)
        if record is None:
            raise NotFound(f"user {user_id} does not exist in realm {realm}", code="user_not_found")
        return record  # type: ignore[no-any-return]

    @staticmethod
    def _drop_sessions(data: dict[str, Any], user_id: str) -> int:
        before = len(data["sessions"])
        data["sessions"] = {
            sid: rec for sid, rec in data["sessions"].items() if rec["user_id"] != user_id
        }
        return before - len(data["sessions"])

    def update_user(
        self,
        realm: str,
        user_id: str,
        *,
        enabled: bool | None = None,
        email: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        required_actions: Iterable[str] | None = None,
    ) -> User:
        """Change the given fields of the user with this id (``None``: unchanged).

        Disabling also ends the user's sessions.
        """
        actions = _check_actions(required_actions) if required_actions is not None else None
        with self._mutate(realm) as data:
            record = self._find_id(data, realm, user_id)
            for key, value in (
                ("enabled", enabled),
                ("email", email),
                ("first_name", first_name),
                ("last_name", last_name),
                ("required_actions", actions),
            ):
                if value is not None:
                    record[key] = value
            if enabled is False:
                self._drop_sessions(data, user_id)
        return _user(record)

    def delete_user(self, realm: str, user_id: str) -> None:
        """Delete the user with this id and its sessions; ``NotFound`` if there is none."""
        with self._mutate(realm) as data:
            self._find_id(data, realm, user_id)
            del data["users"][user_id]
            self._drop_sessions(data, user_id)

    def _find(self, data: dict[str, Any], realm: str, username: str) -> dict[str, Any]:
        for record in data["users"].values():
            if record["username"].lower() == username.lower():
                return record  # type: ignore[no-any-return]
        raise NotFound(
            f"user {username.upper()} does not exist in realm {realm}", code="user_not_found"
        )

    def set_password(
        self, realm: str, username: str, password: str, *, temporary: bool = False
    ) -> User:
        """Set the password; a temporary one adds the ``UPDATE_PASSWORD`` required action
        (the password grant then refuses the user, as Keycloak does), a permanent one removes it.
        """
        credential = hash_password(_check_password(password), self.password_iterations)
        with self._mutate(realm) as data:
            record = self._find(data, realm, username)
            record["credential"] = credential
            actions = [a for a in record.get("required_actions") or [] if a != UPDATE_PASSWORD]
            record["required_actions"] = [*actions, UPDATE_PASSWORD] if temporary else actions
        return _user(record)

    def set_enabled(self, realm: str, username: str, enabled: bool) -> User:
        """Enable or disable a user; disabling also ends the user's sessions."""
        with self._mutate(realm) as data:
            record = self._find(data, realm, username)
            record["enabled"] = enabled
            if not enabled:
                self._drop_sessions(data, record["id"])
        return _user(record)

    def set_roles(self, realm: str, username: str, realm_roles: Iterable[str]) -> User:
        roles = _check_roles(realm_roles)
        with self._mutate(realm) as data:
            record = self._find(data, realm, username)
            record["realm_roles"] = roles
        return _user(record)

    def authenticate(self, realm: str, username: str, password: str) -> User | None:
        """The user if the password matches, else ``None`` (unknown user, no password, mismatch).

        Enabled is not checked here: the token endpoint reports a disabled account separately.
        """
        cached = self._read(realm)
        user_id = cached.by_name.get(username.lower())
        record = cached.data["users"].get(user_id) if user_id is not None else None
        credential = record.get("credential") if record is not None else None
        if record is None or credential is None:
            verify_password(password, self._dummy_credential)
            return None
        if not verify_password(password, credential):
            return None
        return _user(record)

    def brute_force(self, realm: str) -> BruteForce:
        rep = self._read(realm).data.get("brute_force")
        return BruteForce.from_representation(rep) if isinstance(rep, dict) else BruteForce()

    def password_login(self, realm: str, username: str, password: str) -> User | None:
        """:meth:`authenticate` under the realm's brute-force detection (:class:`BruteForce`):
        ``None`` also while the user is locked, and wrong passwords are counted."""
        rules = self.brute_force(realm)
        if not rules.protected:
            return self.authenticate(realm, username, password)
        cached = self._read(realm)
        user_id = cached.by_name.get(username.lower())
        record = cached.data["users"].get(user_id) if user_id is not None else None
        now = int(time.time())
        failures = (record or {}).get("login_failures") or {}
        if record is not None and int(failures.get("not_before", 0)) > now:
            verify_password(password, self._dummy_credential)  # the same work as a refusal
            return None
        user = self.authenticate(realm, username, password)
        if user is not None:
            if failures:
                with self._mutate(realm) as data:
                    data["users"][user.id].pop("login_failures", None)
            return user
        if record is not None:
            self._count_failure(realm, record["id"], rules, now)
        return None

    def _count_failure(self, realm: str, user_id: str, rules: BruteForce, now: int) -> None:
        with self._mutate(realm) as data:
            record = data["users"].get(user_id)
            if record is None:
                return
            failures = record.get("login_failures") or {}
            if now - int(failures.get("last", now)) > rules.max_delta_time_seconds:
                failures = {}
            num = int(failures.get("num", 0)) + 1
            failures = {"num": num, "last": now, "not_before": 0}
            wait = rules.wait_seconds(num)
            if wait and rules.permanent_lockout:
                record["enabled"] = False
                self._drop_sessions(data, user_id)
            elif wait:
                failures["not_before"] = now + wait
            record["login_failures"] = failures

    def login_failures(self, realm: str, user_id: str) -> dict[str, Any]:
        """Keycloak's brute-force status of the user with this id (``numFailures``,
        ``disabled``, ``lastFailure`` in ms, ``lastIPFailure``); ``NotFound`` if none."""
        record = self._read(realm).data["users"].get(user_id)
        if record is None:
            raise NotFound(f"user {user_id} does not exist in realm {realm}", code="user_not_found")
        failures = record.get("login_failures") or {}
        return {
            "numFailures": int(failures.get("num", 0)),
            "disabled": int(failures.get("not_before", 0)) > int(time.time()),
            "lastIPFailure": "n/a",
            "lastFailure": int(failures.get("last", 0)) * 1000,
        }

    def clear_login_failures(self, realm: str, username: str) -> None:
        """Forget the user's failures and lift a temporary lock (``NotFound`` if no user)."""
        with self._mutate(realm) as data:
            self._find(data, realm, username).pop("login_failures", None)

    def clear_login_failures_by_id(self, realm: str, user_id: str) -> None:
        with self._mutate(realm) as data:
            self._find_id(data, realm, user_id).pop("login_failures", None)

    def seed_demo(self, password: str) -> list[User]:
        """Ensure the demo administrators exist (only in configured realms); returns them."""
        seeded: list[User] = []
        for realm in self.realms:
            demo = demo_user(realm)
            if demo is None:
                continue
            username, role = demo
            user = self.get_user(realm, username)
            if user is None:
                try:
                    user = self.create_user(realm, username, password, realm_roles=[role])
                except Conflict:  # created concurrently by another process
                    user = self.get_user(realm, username)
                    assert user is not None
            if role not in user.realm_roles:
                user = self.set_roles(realm, username, [*user.realm_roles, role])
            seeded.append(user)
        return seeded

    # ---------------------------------------------------------------- clients

    def get_client(self, realm: str, client_id: str) -> Client | None:
        record = self._read(realm).data["clients"].get(client_id)
        return _client(record) if record is not None else None

    def client_secret(self, realm: str, client_id: str) -> str | None:
        client = self.get_client(realm, client_id)
        return client.secret if client is not None else None

    # ---------------------------------------------------------------- sessions

    def create_session(
        self, realm: str, user_id: str, client_id: str, scope: str, lifespan: int
    ) -> Session:
        now = int(time.time())
        record = {
            "id": str(uuid.uuid4()),
            "user_id": user_id,
            "client_id": client_id,
            "scope": scope,
            "started_at": now,
            "last_refresh": now,
            "expires_at": now + lifespan,
        }
        with self._mutate(realm) as data:
            data["sessions"][record["id"]] = record
        return _session(record)

    def get_session(self, realm: str, session_id: str) -> Session | None:
        record = self._read(realm).data["sessions"].get(session_id)
        if record is None or int(record["expires_at"]) <= int(time.time()):
            return None
        return _session(record)

    def refresh_session(self, realm: str, session_id: str, lifespan: int) -> Session | None:
        """Extend an active session's idle timeout; ``None`` if it ended or expired."""
        now = int(time.time())
        with self._mutate(realm) as data:
            record = data["sessions"].get(session_id)
            if record is None or int(record["expires_at"]) <= now:
                return None
            record["last_refresh"] = now
            record["expires_at"] = now + lifespan
        return _session(record)

    def end_session(self, realm: str, session_id: str) -> bool:
        with self._mutate(realm) as data:
            return data["sessions"].pop(session_id, None) is not None

    def end_user_sessions(self, realm: str, username: str) -> int:
        """End every session of the user (its refresh tokens stop working); how many ended.

        ``NotFound`` if the user does not exist.
        """
        with self._mutate(realm) as data:
            record = self._find(data, realm, username)
            return self._drop_sessions(data, record["id"])
