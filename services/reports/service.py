"""Rules of reports: what each event adds to the read models, and who sees which slice."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from lokos.catalogue import STAFF_READERS
from lokos.errors import PermissionDenied
from lokos.events import Event
from lokos.principal import Principal
from lokos.profiles.v1 import profiles_pb2
from services.reports import repository

DASHBOARD_VIEWERS = STAFF_READERS


@dataclass(frozen=True)
class Dashboard:
    state: str
    district_lgd_code: str
    block_lgd_code: str
    shgs_formed: int


async def on_shg_created(session: AsyncSession, event: Event) -> None:
    shg = event.payload(profiles_pb2.CboEvent).cbo
    await repository.add_shgs(session, shg.state, shg.district_lgd_code, shg.block_lgd_code, 1)


async def dashboard(
    session: AsyncSession, principal: Principal, *, district: str = "", block: str = ""
) -> Dashboard:
    """Counts for the filter, limited to the districts and blocks the caller reaches.

    A filter naming a district or block outside the caller's reach is refused (403), not
    answered with zeros that would read as "no SHGs there".
    """
    if not principal.has_any_role(DASHBOARD_VIEWERS):
        raise PermissionDenied("your roles do not include the dashboard")
    reach = _reach(principal)
    if reach is not None and (district or block):
        await _check_filter(session, principal.state, reach, district, block)
    count = await repository.count_shgs(
        session, principal.state, district=district, block=block, reach=reach
    )
    return Dashboard(principal.state, district, block, count)


async def _check_filter(
    session: AsyncSession, state: str, reach: repository.Reach, district: str, block: str
) -> None:
    """The filtered unit lies within ``reach``: a reached block, or a block or district of a
    reached district. A block's district is the one its SHGs were counted under (or the
    district filter, for a block with none yet)."""
    if block:
        if block in reach.blocks:
            return
        block_district = await repository.district_of_block(session, state, block) or district
        if block_district and block_district in reach.districts:
            return
        raise PermissionDenied(
            f"block {block} is outside your scope", code="dashboard_out_of_scope"
        )
    if district not in reach.districts:
        raise PermissionDenied(
            f"district {district} is outside your scope", code="dashboard_out_of_scope"
        )


def _reach(principal: Principal) -> repository.Reach | None:
    """The districts and blocks the caller's staff roles cover; None for state-wide roles."""
    reach = principal.reach(DASHBOARD_VIEWERS)
    if reach is None:
        return None
    return repository.Reach(reach.get("district", frozenset()), reach.get("block", frozenset()))
