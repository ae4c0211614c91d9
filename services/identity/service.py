"""Rules of identity: resolving a principal, and the demo seed of embedded mode."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lokos.errors import NotFound, PermissionDenied
from lokos.principal import Principal, RoleGrant, Scope
from services.identity import repository
from services.identity.models import RoleGrant as RoleGrantRow
from services.identity.models import User

NATIONAL_REALM = "lokos-national"


def realm_state(realm: str) -> str:
    """``lokos-up`` → ``up``; ``lokos-national`` → ``national``."""
    return realm.removeprefix("lokos-")


async def get_principal(session: AsyncSession, realm: str, user_id: str) -> Principal:
    """The active user's open role grants. A user of another realm does not exist here."""
    user = await repository.get_user(session, user_id.upper())
    if user is None or user.realm != realm:
        raise NotFound(f"user {user_id} is not known in realm {realm}", code="user_unknown")
    if user.status != "active":
        raise PermissionDenied(f"user {user.user_id} is {user.status}", code="user_inactive")
    grants = await repository.open_grants(session, user.user_id)
    return Principal(
        user_id=user.user_id,
        state=user.state,
        realm=user.realm,
        roles=tuple(
            RoleGrant(g.role, Scope(g.scope_level, frozenset(g.scope_codes))) for g in grants
        ),
    )


async def seed_demo(session: AsyncSession, state: str) -> None:
    """The demo state admin (and a national admin) of embedded mode; idempotent.

    Their passwords live in the identity provider, seeded by it from the same settings.
    """
    seeds = [
        (
            f"{state.upper()}_STATEADMIN",
            f"lokos-{state}",
            state,
            "Demo State Admin",
            "STATE_ADMIN",
            "state",
        ),
        (
            "NATIONAL_ADMIN",
            NATIONAL_REALM,
            "national",
            "Demo National Admin",
            "NATIONAL_ADMIN",
            "national",
        ),
    ]
    for user_id, realm, user_state, name, role, level in seeds:
        if await repository.add_user_once(
            session,
            User(user_id=user_id, realm=realm, state=user_state, name=name, status="active"),
        ):
            repository.add_grant(
                session,
                RoleGrantRow(
                    user_id=user_id, role=role, scope_level=level, scope_codes=[], granted_by="seed"
                ),
            )
    await session.commit()
