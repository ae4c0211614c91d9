"""Events identity emits (through its outbox)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lokos.identity.v1 import identity_pb2
from lokos.outbox import add_event
from services.identity.models import User, outbox

USER_CHANGED = "identity.user.changed"


async def user_changed(session: AsyncSession, user: User, what: str) -> None:
    """Roles, status, device, CBOs or credentials of ``user`` changed: principal caches drop it.

    Published under the user's own state (``national`` for national users).
    """
    await add_event(
        session,
        outbox,
        USER_CHANGED,
        user.state,
        identity_pb2.UserChanged(user_id=user.user_id, realm=user.realm, what=what),
    )
