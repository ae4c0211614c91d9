"""The principal: who is calling, with which roles over which units, and how it is signed.

The gateway builds it from a verified token plus the identity service's answer and sends it
to services in gRPC metadata, signed with the deployment's key ring (:class:`KeyRing`);
services verify it and read it from :mod:`lokos.context` and check scope on their own data.
Scope containment is geometry on the LGD hierarchy, not a domain rule.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf.message import DecodeError

from lokos import secretfiles
from lokos.common.v1 import principal_pb2
from lokos.errors import Unauthenticated

# A serialized SignedPrincipal. The unsigned Principal that travelled under the old key is
# refused by name, so a caller still sending it learns why.
METADATA_KEY = "x-lokos-signed-principal-bin"
UNSIGNED_METADATA_KEY = "x-lokos-principal-bin"
SYSTEM_REALM = "system"

# Top-down geography; a scope at one level covers everything below it.
LEVELS = ("national", "state", "district", "block", "panchayat", "village")


@dataclass(frozen=True)
class GeoPath:
    """Where a record sits: lower-case state code and LGD codes below it."""

    state: str
    district: str = ""
    block: str = ""
    panchayat: str = ""
    village: str = ""
    cbo_ids: tuple[str, ...] = ()

    def code_at(self, level: str) -> str:
        return str(getattr(self, level)) if level in LEVELS[2:] else ""


@dataclass(frozen=True)
class Scope:
    level: str
    codes: frozenset[str] = frozenset()

    def covers(self, path: GeoPath, state: str) -> bool:
        if self.level == "national":
            return True
        if path.state != state:
            return False
        if self.level == "state":
            return True
        if self.level == "cbo":
            return any(c in self.codes for c in path.cbo_ids)
        code = path.code_at(self.level)
        return bool(code) and code in self.codes


@dataclass(frozen=True)
class RoleGrant:
    role: str
    scope: Scope


@dataclass(frozen=True)
class Principal:
    user_id: str
    state: str
    realm: str
    roles: tuple[RoleGrant, ...] = ()
    device_id: str = ""
    # Provider sessions (token "sid") issued to the bound device through a mobile login.
    device_sessions: tuple[str, ...] = ()
    password_change_required: bool = False
    role_names: frozenset[str] = field(default=frozenset(), init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "role_names", frozenset(g.role for g in self.roles))

    def has_any_role(self, roles: Iterable[str]) -> bool:
        return not self.role_names.isdisjoint(roles)

    def can_reach(self, path: GeoPath, roles: Iterable[str] | None = None) -> bool:
        """True when one of the principal's grants (of ``roles``, if given) covers ``path``."""
        wanted = None if roles is None else set(roles)
        return any(
            (wanted is None or g.role in wanted) and g.scope.covers(path, self.state)
            for g in self.roles
        )

    def reach(self, roles: Iterable[str]) -> dict[str, frozenset[str]] | None:
        """The units the grants of ``roles`` reach, by scope level (``{"block": {...}}``);
        None when one of them covers the whole state (or more). A level none of them is
        scoped at is absent: ``reach(...).get("district", frozenset())``."""
        wanted = frozenset(roles)
        units: dict[str, frozenset[str]] = {}
        for g in self.roles:
            if g.role not in wanted:
                continue
            if g.scope.level in ("national", "state"):
                return None
            units[g.scope.level] = units.get(g.scope.level, frozenset()) | g.scope.codes
        return units

    def to_proto(self) -> principal_pb2.Principal:
        return principal_pb2.Principal(
            user_id=self.user_id,
            state=self.state,
            realm=self.realm,
            device_id=self.device_id,
            device_sessions=list(self.device_sessions),
            password_change_required=self.password_change_required,
            roles=[
                principal_pb2.RoleGrant(
                    role=g.role,
                    scope=principal_pb2.Scope(level=g.scope.level, codes=sorted(g.scope.codes)),
                )
                for g in self.roles
            ],
        )

    @classmethod
    def from_proto(cls, msg: principal_pb2.Principal) -> Principal:
        return cls(
            user_id=msg.user_id,
            state=msg.state,
            realm=msg.realm,
            device_id=msg.device_id,
            device_sessions=tuple(msg.device_sessions),
            password_change_required=msg.password_change_required,
            roles=tuple(
                RoleGrant(g.role, Scope(g.scope.level, frozenset(g.scope.codes))) for g in msg.roles
            ),
        )

    @property
    def is_system(self) -> bool:
        """A service acting on its own (or the gateway before a user is known)."""
        return self.realm == SYSTEM_REALM

    def to_metadata(self) -> bytes:
        """The serialized Principal (computed once: the gateway signs a cached principal)."""
        wire = self.__dict__.get("_wire")
        if wire is None:
            wire = self.to_proto().SerializeToString()
            object.__setattr__(self, "_wire", wire)
        return wire

    @classmethod
    def from_metadata(cls, value: bytes) -> Principal:
        msg = principal_pb2.Principal()
        msg.ParseFromString(value)
        return cls.from_proto(msg)


def system_principal(service: str, state: str) -> Principal:
    """The actor for work a service does on its own (consumers, seeding)."""
    return Principal(
        user_id=f"system:{service}",
        state=state,
        realm=SYSTEM_REALM,
        roles=(RoleGrant("SYSTEM", Scope("state")),),
    )


# --- signing ----------------------------------------------------------------------------------

KEYS_FILE = Path("secrets") / "principal.keys"
_MAC_CONTEXT = b"lokos.principal.v1\x00"
_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
MIN_KEY_BYTES = 32
_DECODED_MAX = 10_000


class KeyRing:
    """The deployment's HMAC-SHA256 keys for principals: the first signs, every one verifies.

    Rotation: list the new key after the old one everywhere (all verify it), then first (it
    signs), then drop the old one once the longest lifetime (``ttl`` seconds) has passed.
    HMAC rather than signatures: a verification costs about a microsecond, Ed25519 about
    sixty, and every process that verifies is one the deployment runs anyway.
    """

    def __init__(self, keys: Sequence[tuple[str, bytes]], ttl: float = 60.0) -> None:
        if not keys:
            raise ValueError("a key ring needs at least one key")
        for kid, secret in keys:
            if not _KEY_ID.match(kid):
                raise ValueError(f"principal key id {kid!r}: 1-32 of A-Z a-z 0-9 _ . -")
            if len(secret) < MIN_KEY_BYTES:
                raise ValueError(f"principal key {kid!r}: at least {MIN_KEY_BYTES} bytes")
        # Each key's HMAC with its context already absorbed: a MAC copies it (no key set-up
        # per call, which costs more than the MAC itself).
        self._keys = {
            kid: hmac.new(secret, _MAC_CONTEXT + kid.encode() + b"\x00", "sha256")
            for kid, secret in keys
        }
        self.signing_kid = keys[0][0]
        self._signing = self._keys[self.signing_kid]
        self.ttl_ms = int(ttl * 1000)
        # Principals already decoded, by their serialized form: a user's calls carry the same
        # principal under fresh signatures, and decoding it costs more than checking the MAC.
        self._decoded: dict[bytes, Principal] = {}

    @classmethod
    def parse(cls, text: str, ttl: float = 60.0) -> KeyRing:
        """Keys written ``kid:hex`` separated by commas or new lines (the first signs); in a
        key file, lines starting with ``#`` are comments."""
        keys: list[tuple[str, bytes]] = []
        lines = (line for line in text.splitlines() if not line.lstrip().startswith("#"))
        for item in re.split(r"[,\s]+", " ".join(lines).strip()):
            if not item:
                continue
            kid, sep, hexkey = item.partition(":")
            try:
                secret = bytes.fromhex(hexkey)
            except ValueError:
                secret = b""
            if not sep or not secret:
                raise ValueError("principal keys are written kid:hex (comma-separated)")
            keys.append((kid, secret))
        return cls(keys, ttl)

    @classmethod
    def load(cls, data_dir: Path, configured: str = "", ttl: float = 60.0) -> KeyRing:
        """The configured keys, else ``data_dir/secrets/principal.keys`` (one key, generated
        at first start; every process of the embedded platform shares the data folder)."""
        if configured.strip():
            return cls.parse(configured, ttl)
        text = secretfiles.read_or_create(data_dir / KEYS_FILE, new_key_line).decode()
        return cls.parse(text, ttl)

    def sign(self, principal: Principal, request_id: str, *, now: float | None = None) -> bytes:
        """A SignedPrincipal for one call (``request_id``), valid ``ttl`` from ``now``."""
        issued = int((time.time() if now is None else now) * 1000)
        claims = principal_pb2.PrincipalClaims(
            principal=principal.to_metadata(),
            request_id=request_id,
            issued_at_ms=issued,
            expires_at_ms=issued + self.ttl_ms,
        ).SerializeToString()
        mac = _mac(self._signing, claims)
        return principal_pb2.SignedPrincipal(
            claims=claims, key_id=self.signing_kid, mac=mac
        ).SerializeToString()

    def verify(self, value: bytes, request_id: str, *, now: float | None = None) -> Principal:
        """The principal of a SignedPrincipal, when its key, MAC, expiry and request id hold;
        :class:`Unauthenticated` (with a code saying which did not) otherwise."""
        signed = principal_pb2.SignedPrincipal()
        try:
            signed.ParseFromString(value)
        except DecodeError:
            raise _refused("the signed principal is malformed", "principal_malformed") from None
        key = self._keys.get(signed.key_id)
        if key is None:
            raise _refused("the principal is signed with an unknown key", "principal_key_unknown")
        if not hmac.compare_digest(_mac(key, signed.claims), signed.mac):
            raise _refused("the principal's signature is not valid", "principal_forged")
        claims = principal_pb2.PrincipalClaims()
        try:
            claims.ParseFromString(signed.claims)
            principal = self._decoded.get(claims.principal)
            if principal is None:
                msg = principal_pb2.Principal()
                msg.ParseFromString(claims.principal)
                principal = Principal.from_proto(msg)
                if len(self._decoded) >= _DECODED_MAX:
                    self._decoded.clear()
                self._decoded[claims.principal] = principal
        except DecodeError:
            raise _refused("the signed principal is malformed", "principal_malformed") from None
        now_ms = int((time.time() if now is None else now) * 1000)
        if now_ms > claims.expires_at_ms:
            raise _refused("the signed principal has expired", "principal_expired")
        if claims.request_id != request_id:
            raise _refused(
                "the principal was signed for another request", "principal_request_mismatch"
            )
        return principal


def new_key_line() -> bytes:
    """One fresh key as the key file holds it: ``kid:hex`` (kid: the day it was made)."""
    kid = time.strftime("k%Y%m%d", time.gmtime()) + "-" + secrets.token_hex(2)
    return f"{kid}:{secrets.token_hex(32)}\n".encode()


def _mac(key: hmac.HMAC, claims: bytes) -> bytes:
    h = key.copy()
    h.update(claims)
    return h.digest()


def _refused(message: str, code: str) -> Unauthenticated:
    return Unauthenticated(message, code=code)
