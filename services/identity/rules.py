"""Identity's rules as plain functions: user IDs, passwords, contact fields, and who may create
or manage whom. No I/O: the service resolves geography and loads users, then asks these.

Who creates whom comes from the role catalogue (``lokos.catalogue``): a creator needs a grant of
a role listed in the target role's ``created_by``, whose scope covers every unit of the new
grant's scope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lokos import catalogue
from lokos.catalogue import Role
from lokos.errors import FieldError
from lokos.principal import GeoPath, Principal

USER_ID_MAX = 48
PASSWORD_MIN = 8
PASSWORD_MAX = 64
NAME_MAX = 128
EMAIL_MAX = 254
DESIGNATION_MAX = 128
NATIONAL_PREFIX = "NATIONAL"

_USER_ID_BODY = re.compile(r"^[A-Z0-9]+(?:_[A-Z0-9]+)*$")
_MOBILE = re.compile(r"^[6-9][0-9]{9}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[A-Za-z]{2,}$")
_LGD = re.compile(r"^[0-9]{1,16}$")


def realm_of(state: str) -> str:
    return "lokos-national" if state == "national" else f"lokos-{state}"


def user_id_prefix(state: str) -> str:
    return f"{NATIONAL_PREFIX if state == 'national' else state.upper()}_"


def user_id_errors(user_id: str, state: str) -> list[FieldError]:
    """A user ID is the state prefix and upper-case letters, digits and underscores."""
    prefix = user_id_prefix(state)
    if not user_id:
        return [FieldError("user_id", "is required", "required")]
    if len(user_id) > USER_ID_MAX:
        return [FieldError("user_id", f"must be at most {USER_ID_MAX} characters", "too_long")]
    if user_id != user_id.upper():
        return [FieldError("user_id", "must be upper case only", "not_upper_case")]
    if not user_id.startswith(prefix) or len(user_id) <= len(prefix):
        return [FieldError("user_id", f"must start with the state prefix {prefix}", "prefix")]
    if not _USER_ID_BODY.match(user_id[len(prefix) :]):
        return [
            FieldError(
                "user_id",
                "may hold only A–Z, 0–9 and single underscores after the prefix",
                "format",
            )
        ]
    return []


def password_errors(password: str, field: str = "password") -> list[FieldError]:
    if len(password) < PASSWORD_MIN:
        return [FieldError(field, f"must be at least {PASSWORD_MIN} characters", "too_short")]
    if len(password) > PASSWORD_MAX:
        return [FieldError(field, f"must be at most {PASSWORD_MAX} characters", "too_long")]
    kinds = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ]
    if sum(kinds) < 3:
        return [
            FieldError(
                field,
                "must mix at least three of: lower case, upper case, digits, symbols",
                "too_weak",
            )
        ]
    return []


def contact_errors(
    *, name: str | None, mobile: str | None, email: str | None, designation: str | None
) -> list[FieldError]:
    errors: list[FieldError] = []
    if name is not None:
        clean = " ".join(name.split())
        if not clean:
            errors.append(FieldError("name", "is required", "required"))
        elif len(clean) > NAME_MAX:
            errors.append(FieldError("name", f"must be at most {NAME_MAX} characters", "too_long"))
    if mobile and not _MOBILE.match(mobile):
        errors.append(FieldError("mobile", "must be 10 digits starting with 6–9", "format"))
    if email and (len(email) > EMAIL_MAX or not _EMAIL.match(email)):
        errors.append(FieldError("email", "is not an e-mail address", "format"))
    if designation is not None and len(designation) > DESIGNATION_MAX:
        errors.append(
            FieldError("designation", f"must be at most {DESIGNATION_MAX} characters", "too_long")
        )
    return errors


@dataclass(frozen=True)
class GrantSpec:
    """A role over a scope, as an admin asks for it."""

    role: str
    level: str
    codes: tuple[str, ...]


def grant_spec_errors(spec: GrantSpec, field: str) -> list[FieldError]:
    """Shape only: the role exists, the level suits it, codes are LGD codes where needed."""
    if spec.role not in catalogue.BY_CODE:
        return [FieldError(f"{field}.role", f"unknown role {spec.role[:64]!r}", "unknown_role")]
    role = catalogue.role(spec.role)
    if spec.level not in role.scope_levels:
        allowed = ", ".join(role.scope_levels)
        return [
            FieldError(
                f"{field}.scope.level", f"{role.code} takes a scope of level {allowed}", "level"
            )
        ]
    if spec.level in ("national", "state"):
        if spec.codes:
            return [FieldError(f"{field}.scope.codes", "must be empty at this level", "codes")]
        return []
    if not spec.codes:
        return [FieldError(f"{field}.scope.codes", "name at least one unit", "required")]
    if len(spec.codes) > 50:
        return [FieldError(f"{field}.scope.codes", "at most 50 units", "too_many")]
    bad = [c for c in spec.codes if not _LGD.match(c)]
    if bad:
        return [FieldError(f"{field}.scope.codes", "must be LGD codes (digits)", "format")]
    return []


def entry_errors(specs: list[GrantSpec]) -> list[FieldError]:
    """A user lives in one realm: national roles and state roles do not mix."""
    entries = {catalogue.role(s.role).entry for s in specs if s.role in catalogue.BY_CODE}
    if len(entries) > 1:
        return [FieldError("roles", "national and state roles cannot be held by one user", "mixed")]
    return []


def may_create(creator: Principal, role: Role, unit_paths: list[GeoPath]) -> bool:
    """May ``creator`` grant ``role`` over every unit in ``unit_paths``?"""
    return all(creator.can_reach(path, role.created_by) for path in unit_paths)


def may_manage(admin: Principal, target_roles: list[str], home: GeoPath) -> bool:
    """May ``admin`` edit, reset, inactivate or delete a user with these roles, living at ``home``?

    The admin's role must have created each of the user's roles, or work at a higher level,
    and the admin's scope must reach where the user works.
    """
    for grant in admin.roles:
        if grant.role not in catalogue.ADMIN_ROLES:
            continue
        admin_role = catalogue.role(grant.role)
        if not grant.scope.covers(home, admin.state):
            continue
        if all(
            _outranks(admin_role, catalogue.role(r)) for r in target_roles if r in catalogue.BY_CODE
        ):
            return True
    return False


def may_manage_across_realms(admin: Principal, target_roles: list[str]) -> bool:
    """May a national ``admin`` see, unlock, reset, inactivate a user of a state realm?

    Only the users national roles create (State Admins): every one of the user's roles must be
    created by a national role the admin holds at national scope. Everyone below a State Admin
    is the state's own business (the State Admin reaches them).
    """
    reached = roles_reached_across_realms(admin)
    return bool(target_roles) and all(r in reached for r in target_roles)


def roles_reached_across_realms(admin: Principal) -> frozenset[str]:
    """The state-realm roles a national ``admin`` manages (see may_manage_across_realms)."""
    held = {g.role for g in admin.roles if g.scope.level == "national"}
    if admin.state != "national" or not held:
        return frozenset()
    return frozenset(r.code for r in catalogue.ROLES if r.entry == "state" and r.created_by & held)


def _outranks(admin_role: Role, role: Role) -> bool:
    if admin_role.code in role.created_by:
        return True
    return catalogue.LEVELS.index(admin_role.level) < catalogue.LEVELS.index(role.level)


def home_unit(paths: list[GeoPath]) -> tuple[str, str]:
    """(district, block) the user works in: the deepest unit among the grants' units."""
    for p in paths:
        if p.block:
            return p.district, p.block
    for p in paths:
        if p.district:
            return p.district, ""
    return "", ""


def category_of(roles: list[str]) -> str:
    return "community" if any(r in catalogue.COMMUNITY_ROLES for r in roles) else "staff"


def mask_mobile(mobile: str) -> str:
    return ("X" * (len(mobile) - 4) + mobile[-4:]) if len(mobile) > 4 else mobile


def lock_seconds(lockouts: int, increment: int, maximum: int) -> int:
    """How long the ``lockouts``-th lock in a row lasts: one increment more each time, capped
    (Keycloak's waitIncrementSeconds / maxFailureWaitSeconds)."""
    return min(increment * max(lockouts, 1), maximum)
