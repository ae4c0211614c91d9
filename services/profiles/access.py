"""Who may make, check and read profiles, over which records.

Makers: bookkeepers for the CBOs mapped to them (their principal's ``cbo`` scope), and block
staff for CBOs in their block. Checkers: the Block Program Manager of the record's block (and
state/district program managers above them). Readers: staff whose scope reaches the record,
and community users for their mapped CBOs. The checker is never the maker of a submission.
"""

from __future__ import annotations

from lokos.catalogue import CHECKERS, MAKERS, READERS
from lokos.errors import NotFound, PermissionDenied
from lokos.principal import GeoPath, Principal
from services.profiles.models import Cbo, Member


def where(record: Cbo | Member) -> GeoPath:
    """Where a CBO or member sits. Bookkeepers reach a CBO by its id, a member by her SHG's."""
    cbo_id = record.shg_id if isinstance(record, Member) else record.id
    return GeoPath(
        record.state,
        district=record.district_lgd_code,
        block=record.block_lgd_code,
        village=record.village_lgd_code,
        cbo_ids=(str(cbo_id),),
    )


def require_reader(principal: Principal, where: GeoPath, what: str) -> None:
    """Out-of-scope records answer exactly like missing ones: nothing leaks about them."""
    if not principal.can_reach(where, READERS):
        raise NotFound(f"{what} not found")


def require_maker(principal: Principal, where: GeoPath, what: str) -> None:
    require_reader(principal, where, what)
    if not principal.can_reach(where, MAKERS):
        raise PermissionDenied(f"you may not change {what}", code="not_a_maker")


def require_checker(principal: Principal, where: GeoPath, what: str) -> None:
    require_reader(principal, where, what)
    if not principal.can_reach(where, CHECKERS):
        raise PermissionDenied(
            f"only the Block Program Manager of the block approves {what}", code="not_the_checker"
        )
