"""A state's SHGs and members per block, counted from the records (not from events): what
``lokos reports verify`` compares the reports' read models with."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lokos.catalogue import TOTALS_READERS
from lokos.errors import PermissionDenied
from lokos.principal import Principal
from services.profiles.totals import repository
from services.profiles.totals.repository import ShgBlockCount


def may_read_totals(caller: Principal) -> bool:
    """A service, or a state-wide grant of a totals reader."""
    return caller.is_system or caller.reach(TOTALS_READERS) is None


async def count_shgs_by_block(session: AsyncSession, caller: Principal) -> list[ShgBlockCount]:
    if not may_read_totals(caller):
        raise PermissionDenied("only a state administrator may read the state's totals")
    return await repository.count_shgs_by_block(session, caller.state)
