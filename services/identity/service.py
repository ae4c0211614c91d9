"""Identity's use cases: principals, user management, role grants, CBO mapping, audit.

Every change is checked against the actor's roles and scope (``rules``), written with its audit
row and a ``identity.user.changed`` event in one transaction, and mirrored to the identity
provider (credentials, enabled flag, realm roles) before the commit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lokos import catalogue
from lokos.audit import record_audit
from lokos.errors import (
    Conflict,
    FieldError,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    ValidationFailed,
)
from lokos.principal import GeoPath, Principal, RoleGrant, Scope
from services.identity import events, repository, rules
from services.identity.config import IdentitySettings
from services.identity.deps import Deps
from services.identity.geography import resolve_scope
from services.identity.models import Cbo, CboMapping, User, audit_log
from services.identity.models import RoleGrant as GrantRow

MAX_PAGE = 250


@dataclass
class UserRecord:
    user: User
    grants: list[GrantRow]
    locked: bool = False
    mappings: list[CboMapping] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC)


def _is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > _now()


def _snapshot(user: User, grants: list[GrantRow]) -> dict[str, Any]:
    """What the audit log keeps of a user: never passwords; mobile masked."""
    return {
        "name": user.name,
        "mobile": rules.mask_mobile(user.mobile),
        "email": user.email,
        "designation": user.designation,
        "status": user.status,
        "roles": [
            {"role": g.role, "level": g.scope_level, "codes": list(g.scope_codes)} for g in grants
        ],
    }


# --- principal ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PrincipalAnswer:
    """The principal and what the gateway checks on each request besides the token."""

    principal: Principal
    status: str
    locked_until: datetime | None
    # Sessions (token ``sid``) ended lately by a logout.
    ended_sessions: tuple[str, ...]


async def get_principal(
    session: AsyncSession, settings: IdentitySettings, realm: str, user_id: str
) -> PrincipalAnswer:
    """The user's open role grants, CBO reach, bound device and its live sessions, with the
    user's status, lock and ended sessions: the gateway refuses an inactive, deleted or locked
    user and an ended session whatever issued the token.

    A token naming no user of ``realm`` is not a credential at all: ``Unauthenticated``.
    """
    user = await repository.get_user(session, user_id.upper())
    if user is None or user.realm != realm:
        raise Unauthenticated(f"user {user_id} is not known in realm {realm}", code="user_unknown")
    since = _now() - timedelta(seconds=settings.ended_session_memory_seconds)
    ended = tuple(await repository.ended_sessions(session, user.user_id, since))
    locked_until = user.locked_until if _is_locked(user) else None
    if user.status != "active":
        bare = Principal(user_id=user.user_id, state=user.state, realm=user.realm)
        return PrincipalAnswer(bare, user.status, locked_until, ended)
    grants = await repository.open_grants(session, user.user_id)
    cbos: dict[str, set[str]] = {}
    if any(g.role in catalogue.COMMUNITY_ROLES for g in grants):
        for m in await repository.open_mappings(session, user.user_id):
            cbos.setdefault(m.cbo_type, set()).add(m.cbo_id)
    roles = []
    for g in grants:
        role = catalogue.BY_CODE.get(g.role)
        if role is not None and role.is_community:
            scope = Scope("cbo", frozenset(cbos.get(role.cbo_category, ())))
        else:
            scope = Scope(g.scope_level, frozenset(g.scope_codes))
        roles.append(RoleGrant(g.role, scope))
    device = await repository.get_device(session, user.user_id)
    sessions: tuple[str, ...] = ()
    if device is not None:
        sessions = tuple(
            await repository.open_device_sessions(session, user.user_id, device.device_id)
        )
    principal = Principal(
        user_id=user.user_id,
        state=user.state,
        realm=user.realm,
        roles=tuple(roles),
        device_id=device.device_id if device else "",
        device_sessions=sessions,
        password_change_required=user.password_change_required,
    )
    return PrincipalAnswer(principal, user.status, locked_until, ended)


# --- creating users -----------------------------------------------------------------------


@dataclass(frozen=True)
class NewUser:
    user_id: str
    name: str
    mobile: str
    email: str
    designation: str
    password: str
    temporary_password: bool
    roles: list[rules.GrantSpec]


async def _check_grants(
    deps: Deps, actor: Principal, specs: list[rules.GrantSpec], field_prefix: str
) -> list[list[GeoPath]]:
    """Each grant is well-formed, its units exist in this state, and the actor may give it."""
    errors: list[FieldError] = []
    for i, spec in enumerate(specs):
        errors += rules.grant_spec_errors(spec, f"{field_prefix}[{i}]")
    if errors:
        raise ValidationFailed(errors)
    paths = []
    state = deps.settings.state
    for i, spec in enumerate(specs):
        unit_paths = await resolve_scope(
            deps.geography, state, spec.level, spec.codes, f"{field_prefix}[{i}]"
        )
        role = catalogue.role(spec.role)
        if not rules.may_create(actor, role, unit_paths):
            raise PermissionDenied(
                f"{actor.user_id} may not give the role {role.code} over "
                f"{spec.level} {', '.join(spec.codes) or state}",
                code="role_not_grantable",
            )
        paths.append(unit_paths)
    return paths


async def create_user(
    session: AsyncSession, deps: Deps, actor: Principal, new: NewUser
) -> UserRecord:
    if not new.roles:
        raise ValidationFailed.one("roles", "give the user at least one role", "required")
    if len(new.roles) > 20:
        raise ValidationFailed.one("roles", "at most 20 roles", "too_many")
    entry_errors = rules.entry_errors(new.roles)
    national = bool(new.roles) and all(
        catalogue.BY_CODE.get(s.role) is not None and catalogue.role(s.role).entry == "national"
        for s in new.roles
    )
    user_state = "national" if national else deps.settings.state
    errors = (
        rules.user_id_errors(new.user_id, user_state)
        + rules.contact_errors(
            name=new.name, mobile=new.mobile, email=new.email, designation=new.designation
        )
        + rules.password_errors(new.password)
        + entry_errors
    )
    for i, spec in enumerate(new.roles):
        errors += rules.grant_spec_errors(spec, f"roles[{i}]")
    if deps.settings.state == "national" and not national and not entry_errors:
        # The national instance keeps no state's users: a State Admin is created through her
        # state's own instance (docs/runbook.md, "National admins and state admins").
        errors.append(
            FieldError(
                "roles",
                "the national instance holds national users only; create state users "
                "through their state's instance",
                "state_role_on_national",
            )
        )
    if (
        any(
            catalogue.BY_CODE.get(s.role, None) is not None and catalogue.role(s.role).is_community
            for s in new.roles
        )
        and not new.mobile
    ):
        errors.append(
            FieldError("mobile", "community users need a mobile number for OTP", "required")
        )
    if errors:
        raise ValidationFailed(errors)
    paths = await _check_grants(deps, actor, new.roles, "roles")
    district, block = rules.home_unit([p for ps in paths for p in ps])
    user = User(
        user_id=new.user_id,
        realm=rules.realm_of(user_state),
        state=user_state,
        name=" ".join(new.name.split()),
        mobile=new.mobile,
        email=new.email,
        designation=new.designation.strip(),
        category=rules.category_of([s.role for s in new.roles]),
        district_lgd_code=district,
        block_lgd_code=block,
        status="active",
        created_by=actor.user_id,
        password_change_required=new.temporary_password,
    )
    if not await repository.add_user_once(session, user):
        raise Conflict(f"user {new.user_id} exists already", code="user_exists")
    for spec in new.roles:
        session.add(
            GrantRow(
                user_id=new.user_id,
                role=spec.role,
                scope_level=spec.level,
                scope_codes=list(spec.codes),
                granted_by=actor.user_id,
            )
        )
    await session.flush()
    record = await load_user(session, new.user_id)
    await record_audit(
        session,
        audit_log,
        action="user.created",
        entity="user",
        entity_id=new.user_id,
        after=_snapshot(record.user, record.grants),
    )
    await events.user_changed(session, record.user, "created")
    await deps.idp.ensure_user(
        user.realm,
        user.user_id,
        enabled=True,
        roles=sorted({s.role for s in new.roles}),
        email=new.email,
        name=user.name,
    )
    # The provider's own "temporary" flag would block password logins (Keycloak answers
    # "account is not fully set up"); identity enforces the change instead.
    await deps.idp.set_password(user.realm, user.user_id, new.password, temporary=False)
    await session.commit()
    return record


# --- reading ------------------------------------------------------------------------------


async def load_user(session: AsyncSession, user_id: str, *, for_update: bool = False) -> UserRecord:
    user = await repository.get_user(session, user_id, for_update=for_update)
    if user is None:
        raise NotFound(f"user {user_id} not found", code="user_not_found")
    grants = await repository.open_grants(session, user_id)
    return UserRecord(user, grants, _is_locked(user))


def _home(user: User) -> GeoPath:
    return GeoPath(user.state, district=user.district_lgd_code, block=user.block_lgd_code)


async def _manageable(
    session: AsyncSession, actor: Principal, user_id: str, *, for_update: bool = False
) -> UserRecord:
    """The user, when ``actor`` may manage them; otherwise not found (nothing leaks)."""
    record = await load_user(session, user_id.upper(), for_update=for_update)
    roles = [g.role for g in record.grants] or ["__none__"]
    if record.user.user_id == actor.user_id:
        raise PermissionDenied("use your own profile to change yourself", code="self_management")
    if record.user.state == actor.state or record.user.state == "national":
        allowed = rules.may_manage(
            actor, roles if roles != ["__none__"] else [], _home(record.user)
        )
    else:
        allowed = rules.may_manage_across_realms(actor, [g.role for g in record.grants])
    if not allowed:
        raise NotFound(f"user {user_id} not found", code="user_not_found")
    return record


async def get_user(session: AsyncSession, actor: Principal, user_id: str) -> UserRecord:
    if user_id.upper() == actor.user_id:
        return await load_user(session, actor.user_id)
    return await _manageable(session, actor, user_id)


def _reach(actor: Principal) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    """Districts and blocks the actor's admin roles reach; (None, None) for state-wide."""
    if not actor.has_any_role(catalogue.ADMIN_ROLES):
        raise PermissionDenied("only admins manage users", code="not_an_admin")
    reach = actor.reach(catalogue.ADMIN_ROLES)
    if reach is None:
        return None, None
    return reach.get("district", frozenset()), reach.get("block", frozenset())


@dataclass(frozen=True)
class UserQuery:
    district: str = ""
    block: str = ""
    category: str = ""
    role: str = ""
    q: str = ""
    status: str = ""
    limit: int = 50
    offset: int = 0


def _query_errors(query: UserQuery) -> list[FieldError]:
    errors = []
    if query.category not in ("", "staff", "community"):
        errors.append(FieldError("category", "must be staff or community", "enum"))
    if query.role and query.role not in catalogue.BY_CODE:
        errors.append(FieldError("role", "unknown role", "unknown_role"))
    if query.status not in ("", "active", "inactive", "deleted"):
        errors.append(FieldError("status", "must be active, inactive or deleted", "enum"))
    if not 1 <= query.limit <= MAX_PAGE:
        errors.append(FieldError("limit", f"must be 1 to {MAX_PAGE}", "range"))
    if query.offset < 0:
        errors.append(FieldError("offset", "must not be negative", "range"))
    if len(query.q) > 100:
        errors.append(FieldError("q", "must be at most 100 characters", "too_long"))
    return errors


async def search_users(
    session: AsyncSession, actor: Principal, query: UserQuery
) -> tuple[list[UserRecord], int]:
    errors = _query_errors(query)
    if errors:
        raise ValidationFailed(errors)
    districts, blocks = _reach(actor)
    stmt = repository.search_query(
        actor.state,
        district=query.district,
        block=query.block,
        category=query.category,
        role=query.role,
        q=query.q,
        status=query.status,
        reach_districts=districts,
        reach_blocks=blocks,
        other_realm_roles=rules.roles_reached_across_realms(actor),
    )
    users, total = await repository.search_users(session, stmt, query.limit, query.offset)
    grants = await repository.open_grants_of(session, [u.user_id for u in users])
    return [UserRecord(u, grants[u.user_id], _is_locked(u)) for u in users], total


# --- changing users -----------------------------------------------------------------------


async def _commit_change(
    session: AsyncSession,
    record: UserRecord,
    *,
    action: str,
    what: str,
    before: dict[str, Any],
) -> UserRecord:
    record.user.version += 1
    await session.flush()
    fresh = await load_user(session, record.user.user_id)
    await record_audit(
        session,
        audit_log,
        action=action,
        entity="user",
        entity_id=record.user.user_id,
        before=before,
        after=_snapshot(fresh.user, fresh.grants),
    )
    await events.user_changed(session, fresh.user, what)
    return fresh


@dataclass(frozen=True)
class UserEdit:
    version: int
    name: str | None = None
    mobile: str | None = None
    email: str | None = None
    designation: str | None = None


async def update_user(
    session: AsyncSession, deps: Deps, actor: Principal, user_id: str, edit: UserEdit
) -> UserRecord:
    errors = rules.contact_errors(
        name=edit.name, mobile=edit.mobile, email=edit.email, designation=edit.designation
    )
    if errors:
        raise ValidationFailed(errors)
    record = await _manageable(session, actor, user_id, for_update=True)
    user = record.user
    if edit.version != user.version:
        raise Conflict(
            f"user {user.user_id} changed since version {edit.version}",
            code="version_conflict",
            extra={"current_version": str(user.version)},
        )
    before = _snapshot(user, record.grants)
    if edit.name is not None:
        user.name = " ".join(edit.name.split())
    if edit.mobile is not None:
        if not edit.mobile and user.category == "community":
            raise ValidationFailed.one("mobile", "community users need a mobile number", "required")
        user.mobile = edit.mobile
    if edit.email is not None:
        user.email = edit.email
    if edit.designation is not None:
        user.designation = edit.designation.strip()
    fresh = await _commit_change(
        session, record, action="user.updated", what="updated", before=before
    )
    await deps.idp.ensure_user(
        user.realm,
        user.user_id,
        roles=[g.role for g in fresh.grants],
        email=user.email,
        name=user.name,
        # A locked user stays disabled at the provider until the lock ends.
        enabled=user.status == "active" and not _is_locked(user),
    )
    await session.commit()
    return fresh


async def add_role(
    session: AsyncSession, deps: Deps, actor: Principal, user_id: str, spec: rules.GrantSpec
) -> UserRecord:
    record = await _manageable(session, actor, user_id, for_update=True)
    user = record.user
    if user.status == "deleted":
        raise Conflict("the user is deleted", code="user_deleted")
    specs = [rules.GrantSpec(g.role, g.scope_level, tuple(g.scope_codes)) for g in record.grants]
    errors = rules.entry_errors([*specs, spec])
    if (
        spec.role in catalogue.BY_CODE
        and catalogue.role(spec.role).entry == "national"
        and user.state != "national"
    ):
        errors = errors or [
            FieldError("role.role", "a state user cannot hold a national role", "mixed")
        ]
    if errors:
        raise ValidationFailed(errors)
    if any(
        g.role == spec.role and tuple(g.scope_codes) == spec.codes and g.scope_level == spec.level
        for g in record.grants
    ):
        raise Conflict(
            f"{user.user_id} holds {spec.role} over that scope already", code="role_held"
        )
    (paths,) = await _check_grants(deps, actor, [spec], "role")
    if catalogue.role(spec.role).is_community and not user.mobile:
        raise ValidationFailed.one(
            "role", "community roles need the user's mobile number (OTP)", "mobile_required"
        )
    before = _snapshot(user, record.grants)
    session.add(
        GrantRow(
            user_id=user.user_id,
            role=spec.role,
            scope_level=spec.level,
            scope_codes=list(spec.codes),
            granted_by=actor.user_id,
        )
    )
    if not user.block_lgd_code:
        district, block = rules.home_unit(paths)
        user.district_lgd_code = user.district_lgd_code or district
        user.block_lgd_code = block
    user.category = rules.category_of([*(g.role for g in record.grants), spec.role])
    fresh = await _commit_change(
        session, record, action="user.role_added", what="roles", before=before
    )
    await deps.idp.set_roles(user.realm, user.user_id, sorted({g.role for g in fresh.grants}))
    await session.commit()
    return fresh


async def remove_role(
    session: AsyncSession, deps: Deps, actor: Principal, user_id: str, grant_id: int
) -> UserRecord:
    record = await _manageable(session, actor, user_id, for_update=True)
    grant = next((g for g in record.grants if g.id == grant_id), None)
    if grant is None:
        raise NotFound(
            f"no open role grant {grant_id} for {record.user.user_id}", code="grant_not_found"
        )
    if len(record.grants) == 1:
        raise Conflict(
            "a user keeps at least one role; inactivate or delete instead", code="last_role"
        )
    paths = await resolve_scope(
        deps.geography, deps.settings.state, grant.scope_level, tuple(grant.scope_codes), "grant"
    )
    if not rules.may_create(actor, catalogue.role(grant.role), paths):
        raise PermissionDenied(
            f"{actor.user_id} may not take away {grant.role}", code="role_not_grantable"
        )
    before = _snapshot(record.user, record.grants)
    await repository.close_grant(session, grant_id, record.user.user_id, actor.user_id)
    remaining = [g.role for g in record.grants if g.id != grant_id]
    record.user.category = rules.category_of(remaining)
    fresh = await _commit_change(
        session, record, action="user.role_removed", what="roles", before=before
    )
    await deps.idp.set_roles(record.user.realm, record.user.user_id, sorted(set(remaining)))
    await session.commit()
    return fresh


async def reset_password(
    session: AsyncSession,
    deps: Deps,
    actor: Principal,
    user_id: str,
    password: str,
    temporary: bool,
) -> UserRecord:
    errors = rules.password_errors(password, "new_password")
    if errors:
        raise ValidationFailed(errors)
    record = await _manageable(session, actor, user_id, for_update=True)
    before = _snapshot(record.user, record.grants)
    record.user.password_change_required = temporary
    fresh = await _commit_change(
        session, record, action="user.password_reset", what="password", before=before
    )
    await deps.idp.set_password(record.user.realm, record.user.user_id, password, temporary=False)
    await session.commit()
    return fresh


async def set_status(
    session: AsyncSession, deps: Deps, actor: Principal, user_id: str, status: str, reason: str
) -> UserRecord:
    if status not in ("active", "inactive", "deleted"):
        raise ValidationFailed.one("status", "must be active, inactive or deleted", "enum")
    if len(reason) > 500:
        raise ValidationFailed.one("reason", "must be at most 500 characters", "too_long")
    record = await _manageable(session, actor, user_id, for_update=True)
    user = record.user
    if user.status == status:
        return record
    if user.status == "deleted":
        raise Conflict("a deleted user stays deleted", code="user_deleted")
    before = {**_snapshot(user, record.grants), "reason": reason}
    user.status = status
    if status == "deleted":
        await repository.close_all_grants(session, user.user_id, actor.user_id)
        await repository.unlink_cbos(
            session,
            user.user_id,
            [m.cbo_id for m in await repository.open_mappings(session, user.user_id)],
            actor.user_id,
        )
    if status != "active":
        await repository.end_device_sessions(session, user.user_id)
    action = {
        "active": "user.reactivated",
        "inactive": "user.inactivated",
        "deleted": "user.deleted",
    }[status]
    fresh = await _commit_change(session, record, action=action, what="status", before=before)
    await deps.idp.set_enabled(
        user.realm, user.user_id, status == "active" and not _is_locked(user)
    )
    if status != "active":
        await deps.idp.end_sessions(user.realm, user.user_id)
    await session.commit()
    return fresh


async def unlock(session: AsyncSession, deps: Deps, actor: Principal, user_id: str) -> UserRecord:
    """Lift a lock (and the provider's: enabled again, its brute-force record cleared)."""
    record = await _manageable(session, actor, user_id, for_update=True)
    before = {
        "failed_logins": record.user.failed_logins,
        "locked_until": str(record.user.locked_until),
    }
    record.user.failed_logins = 0
    record.user.lockouts = 0
    record.user.locked_until = None
    fresh = await _commit_change(
        session, record, action="user.unlocked", what="unlocked", before=before
    )
    await deps.idp.set_enabled(
        record.user.realm, record.user.user_id, record.user.status == "active"
    )
    await deps.idp.clear_login_failures(record.user.realm, record.user.user_id)
    await session.commit()
    return fresh


async def role_history(
    session: AsyncSession, actor: Principal, user_id: str, as_of: datetime | None
) -> tuple[list[GrantRow], list[CboMapping]]:
    """Who held which role over which unit, when: so a past approval can be checked."""
    if user_id.upper() != actor.user_id:
        await _manageable(session, actor, user_id)
    uid = user_id.upper()
    return (
        await repository.grant_history(session, uid, as_of),
        await repository.mapping_history(session, uid, as_of),
    )


async def list_audit(
    session: AsyncSession, actor: Principal, *, user_id: str, action: str, limit: int, offset: int
) -> tuple[list[Any], int]:
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed.one("limit", f"must be 1 to {MAX_PAGE}", "range")
    if offset < 0:
        raise ValidationFailed.one("offset", "must not be negative", "range")
    districts, blocks = _reach(actor)
    return await repository.audit_entries(
        session,
        user_id=user_id.upper(),
        action=action,
        reach_districts=districts,
        reach_blocks=blocks,
        state=actor.state,
        limit=limit,
        offset=offset,
    )


def audit_json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


# --- CBO mapping --------------------------------------------------------------------------

MAX_CBOS_PER_CALL = 500


async def _community_user(session: AsyncSession, actor: Principal, user_id: str) -> UserRecord:
    record = await _manageable(session, actor, user_id, for_update=True)
    if record.user.category != "community" or record.user.status != "active":
        raise ValidationFailed.one(
            "user_id", "CBOs are linked to active community users only", "not_community"
        )
    if not actor.has_any_role(catalogue.COMMUNITY_USER_ADMINS):
        raise PermissionDenied("a Block Admin links and unlinks CBOs", code="not_block_admin")
    return record


async def link_cbos(
    session: AsyncSession, actor: Principal, user_id: str, cbo_ids: list[str]
) -> list[str]:
    ids = _cbo_ids(cbo_ids)
    record = await _community_user(session, actor, user_id)
    cbos = await repository.get_cbos(session, ids)
    missing = [c for c in ids if c not in cbos]
    if missing:
        raise ValidationFailed.one("cbo_ids", f"unknown CBOs: {', '.join(missing[:10])}", "unknown")
    types = {
        catalogue.role(g.role).cbo_category
        for g in record.grants
        if g.role in catalogue.COMMUNITY_ROLES
    }
    wrong = [c for c in ids if cbos[c].cbo_type not in types]
    if wrong:
        raise ValidationFailed.one(
            "cbo_ids",
            f"the user's roles do not cover CBO type of: {', '.join(wrong[:10])}",
            "cbo_type",
        )
    for c in ids:
        cbo = cbos[c]
        if cbo.state != actor.state or not actor.can_reach(
            GeoPath(cbo.state, district=cbo.district_lgd_code, block=cbo.block_lgd_code),
            catalogue.COMMUNITY_USER_ADMINS,
        ):
            raise PermissionDenied(f"CBO {c} is outside your block", code="cbo_out_of_scope")
    linked = await repository.link_cbos(
        session, record.user.user_id, [cbos[c] for c in ids], actor.user_id
    )
    if linked:
        await record_audit(
            session,
            audit_log,
            action="user.cbos_linked",
            entity="user",
            entity_id=record.user.user_id,
            after={"cbo_ids": linked},
        )
        await events.user_changed(session, record.user, "cbos")
    await session.commit()
    return linked


async def unlink_cbos(
    session: AsyncSession, actor: Principal, user_id: str, cbo_ids: list[str]
) -> list[str]:
    ids = _cbo_ids(cbo_ids)
    record = await _community_user(session, actor, user_id)
    unlinked = await repository.unlink_cbos(session, record.user.user_id, ids, actor.user_id)
    if unlinked:
        await record_audit(
            session,
            audit_log,
            action="user.cbos_unlinked",
            entity="user",
            entity_id=record.user.user_id,
            before={"cbo_ids": unlinked},
        )
        await events.user_changed(session, record.user, "cbos")
    await session.commit()
    return unlinked


def _cbo_ids(cbo_ids: list[str]) -> list[str]:
    if not cbo_ids:
        raise ValidationFailed.one("cbo_ids", "name at least one CBO", "required")
    if len(cbo_ids) > MAX_CBOS_PER_CALL:
        raise ValidationFailed.one("cbo_ids", f"at most {MAX_CBOS_PER_CALL} per call", "too_many")
    if any(not c or len(c) > 64 for c in cbo_ids):
        raise ValidationFailed.one("cbo_ids", "CBO ids are 1 to 64 characters", "format")
    return list(dict.fromkeys(cbo_ids))


async def user_cbos(session: AsyncSession, actor: Principal, user_id: str) -> list[Cbo]:
    if user_id.upper() != actor.user_id:
        await _manageable(session, actor, user_id)
    return await repository.mapped_cbos(session, user_id.upper())


async def unlinked_cbos(
    session: AsyncSession,
    actor: Principal,
    *,
    cbo_type: str,
    block: str,
    panchayat: str,
    village: str,
    limit: int,
    offset: int,
) -> tuple[list[Cbo], int]:
    if cbo_type not in ("", "SHG", "VO", "CLF"):
        raise ValidationFailed.one("cbo_type", "must be SHG, VO or CLF", "enum")
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed.one("limit", f"must be 1 to {MAX_PAGE}", "range")
    _, blocks = _reach(actor)
    return await repository.unlinked_cbos(
        session,
        actor.state,
        cbo_type=cbo_type,
        block=block,
        panchayat=panchayat,
        village=village,
        reach_blocks=blocks if blocks is not None else None,
        limit=limit,
        offset=max(offset, 0),
    )


async def record_cbo(session: AsyncSession, cbo: Cbo) -> None:
    """A CBO registered in profiles (consumed event)."""
    await repository.upsert_cbo(session, cbo)


# --- the demo seed of embedded mode -------------------------------------------------------


async def seed_demo(session: AsyncSession, state: str) -> None:
    """The demo state admin and national admin; idempotent. Passwords live in the IdP."""
    seeds = [
        (f"{state.upper()}_STATEADMIN", state, "Demo State Admin", catalogue.STATE_ADMIN, "state"),
        (
            catalogue.DEMO_NATIONAL_USER,
            "national",
            "Demo National Admin",
            catalogue.NATIONAL_ADMIN,
            "national",
        ),
    ]
    if state == "national":  # the national instance has no state admin of its own
        seeds = seeds[1:]
    for user_id, user_state, name, role, level in seeds:
        user = User(
            user_id=user_id,
            realm=rules.realm_of(user_state),
            state=user_state,
            name=name,
            status="active",
            category="staff",
            created_by="seed",
        )
        if await repository.add_user_once(session, user):
            session.add(
                GrantRow(
                    user_id=user_id, role=role, scope_level=level, scope_codes=[], granted_by="seed"
                )
            )
    await session.commit()
