"""Events identity emits (through its outbox)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lokos.identity.v1 import identity_pb2
from lokos.outbox import add_event
from services.identity import repository, rules
from services.identity.models import User, outbox

USER_CHANGED = "identity.user.changed"


async def user_changed(session: AsyncSession, user: User, what: str) -> None:
    """Roles, status, device, CBOs or credentials of ``user`` changed, or the user logged in:
    principal caches drop it, and the reports' user read model takes the snapshot it carries
    (open roles with scope, status, mapped CBOs; the mobile masked).

    Published under the user's own state (``national`` for national users).
    """
    grants = await repository.open_grants(session, user.user_id)
    mappings = await repository.open_mappings(session, user.user_id)
    view = identity_pb2.UserView(
        user_id=user.user_id,
        realm=user.realm,
        state=user.state,
        name=user.name,
        mobile=rules.mask_mobile(user.mobile),
        designation=user.designation,
        status=user.status,
        category=user.category,
        district_lgd_code=user.district_lgd_code,
        block_lgd_code=user.block_lgd_code,
        roles=[
            identity_pb2.RoleGrantView(
                grant_id=g.id,
                role=g.role,
                scope=identity_pb2.ScopeSpec(level=g.scope_level, codes=list(g.scope_codes)),
            )
            for g in grants
        ],
        version=user.version,
        created_by=user.created_by,
    )
    if user.created_at is not None:
        view.created_at.FromDatetime(user.created_at)
    await add_event(
        session,
        outbox,
        USER_CHANGED,
        user.state,
        identity_pb2.UserChanged(
            user_id=user.user_id,
            realm=user.realm,
            what=what,
            user=view,
            cbos=[identity_pb2.MappedCbo(cbo_id=m.cbo_id, cbo_type=m.cbo_type) for m in mappings],
        ),
    )
