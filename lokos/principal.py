"""The principal: who is calling, with which roles over which units.

The gateway builds it from a verified token plus the identity service's answer and sends it
to services in gRPC metadata; services read it from :mod:`lokos.context` and check scope on
their own data. Scope containment is geometry on the LGD hierarchy, not a domain rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from lokos.common.v1 import principal_pb2

METADATA_KEY = "x-lokos-principal-bin"

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

    def codes_at(self, level: str) -> frozenset[str] | None:
        """Units at ``level`` the principal reaches; None means "all of its state"."""
        codes: set[str] = set()
        for g in self.roles:
            if g.scope.level in ("national", "state"):
                return None
            if g.scope.level == level:
                codes |= g.scope.codes
        return frozenset(codes)

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

    def to_metadata(self) -> bytes:
        return self.to_proto().SerializeToString()

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
        realm="system",
        roles=(RoleGrant("SYSTEM", Scope("state")),),
    )
