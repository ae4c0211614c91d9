"""Who may make, check and read profiles, over which records.

Makers: bookkeepers for the CBOs mapped to them (their principal's ``cbo`` scope), and block
staff for CBOs in their block. Checkers: the Block Program Manager of the record's block (and
state/district program managers above them). Readers: staff whose scope reaches the record,
and community users for their mapped CBOs. The checker is never the maker of a submission.
"""

from __future__ import annotations

from lokos.errors import NotFound, PermissionDenied
from lokos.principal import GeoPath, Principal

BOOKKEEPERS = frozenset({"SHG_BOOKKEEPER", "VO_BOOKKEEPER", "CLF_BOOKKEEPER"})
STAFF_MAKERS = frozenset({"STATE_ADMIN", "DISTRICT_ADMIN", "BLOCK_ADMIN", "BLOCK_MIS"})
MAKERS = BOOKKEEPERS | STAFF_MAKERS
CHECKERS = frozenset({"BLOCK_PROGRAM_MANAGER"})
STAFF_READERS = frozenset(
    {
        "NATIONAL_ADMIN",
        "NATIONAL_PROGRAM_MANAGER",
        "NATIONAL_THEMATIC",
        "STATE_ADMIN",
        "STATE_PROGRAM_MANAGER",
        "STATE_THEMATIC",
        "DISTRICT_ADMIN",
        "DISTRICT_PROGRAM_MANAGER",
        "DISTRICT_THEMATIC",
        "BLOCK_ADMIN",
        "BLOCK_PROGRAM_MANAGER",
        "BLOCK_THEMATIC",
        "BLOCK_MIS",
    }
)
COMMUNITY_READERS = BOOKKEEPERS | {
    "SHG_MEETING_TRANSACTION_APPROVER",
    "VO_MEETING_TRANSACTION_APPROVER",
    "SHG_TRANSACTION_APPROVER",
}
READERS = STAFF_READERS | COMMUNITY_READERS
# Who may register a brand-new CBO in a block (bookkeepers are mapped to CBOs that exist).
CBO_CREATORS = STAFF_MAKERS


def path(
    state: str, district: str, block: str, cbo_ids: tuple[str, ...] = (), village: str = ""
) -> GeoPath:
    return GeoPath(state, district=district, block=block, village=village, cbo_ids=cbo_ids)


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
