"""Who may keep, approve and read a CBO's books (J1, F6, issue 11 §8).

Makers: the bookkeepers mapped to the CBO. Approvers of SHG books: the SHG Meeting & Transaction
Approver of its VO and the SHG Transaction Approver of its CLF — their grants name the VO or CLF,
so a CBO's path carries its parent federations' ids. Readers: those, and staff whose units reach
the CBO (block and higher). The approver is never the maker. Out-of-scope books answer like
missing ones. Role groups come from the catalogue, never from role names typed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lokos import catalogue
from lokos.catalogue import BOOKKEEPERS, STAFF_READERS
from lokos.errors import NotFound, PermissionDenied
from lokos.principal import GeoPath, Principal

# F6: the community approvers bound to a federation whose title is about SHG transactions.
SHG_BOOK_APPROVERS = frozenset(
    r.code
    for r in catalogue.ROLES
    if r.is_community
    and r.code not in BOOKKEEPERS
    and r.cbo_category in ("VO", "CLF")
    and r.name_en.startswith("SHG ")
)
# F6: VO books are approved by the VO Meeting & Transaction Approver of the VO's CLF.
VO_BOOK_APPROVERS = frozenset(
    r.code
    for r in catalogue.ROLES
    if r.is_community
    and r.code not in BOOKKEEPERS
    and r.cbo_category == "CLF"
    and r.name_en.startswith("VO ")
)
CLF_BOOK_APPROVERS_DEFAULT = catalogue.CLF_BOOK_APPROVERS
BOOK_MAKERS = BOOKKEEPERS
BOOK_READERS = STAFF_READERS | BOOKKEEPERS | SHG_BOOK_APPROVERS | VO_BOOK_APPROVERS


def where(cbo: Mapping[str, Any]) -> GeoPath:
    """Where a CBO's books sit, from its row with ``parents`` (``repository.cbo_with_parents``):
    its units and its own and its federations' ids, which the approvers' grants name."""
    return GeoPath(
        cbo["state"],
        district=cbo["district_lgd_code"],
        block=cbo["block_lgd_code"],
        panchayat=cbo["panchayat_lgd_code"],
        village=cbo["village_lgd_code"],
        cbo_ids=(str(cbo["cbo_id"]), *(str(u) for u in cbo["parents"])),
    )


def book_approvers(
    cbo_type: str, clf_approvers: frozenset[str] = CLF_BOOK_APPROVERS_DEFAULT
) -> frozenset[str]:
    """Who approves the books of a CBO of this tier (F6, J1): an SHG's by its VO's or CLF's SHG
    approvers, a VO's by its CLF's VO approver, a CLF's by the role(s) the state configures
    (default: the Block Program Manager of the CLF's block)."""
    if cbo_type == "SHG":
        return SHG_BOOK_APPROVERS
    if cbo_type == "VO":
        return VO_BOOK_APPROVERS
    return clf_approvers


# A registered API client reads a member's passbook under her consent: the gateway grants it at
# the scope of her SHG only (gateway/external/auth.py), never state-wide.
API_MEMBER_READER = catalogue.API_SCOPES["member-history"]


def _consented(principal: Principal, where: GeoPath) -> bool:
    return any(
        g.role == API_MEMBER_READER
        and g.scope.level == "cbo"
        and g.scope.covers(where, principal.state)
        for g in principal.roles
    )


def require_reader(principal: Principal, where: GeoPath) -> None:
    if not (principal.can_reach(where, BOOK_READERS) or _consented(principal, where)):
        raise NotFound("books of this CBO not found", code="cbo_not_found")


def require_maker(principal: Principal, where: GeoPath) -> None:
    require_reader(principal, where)
    if not principal.can_reach(where, BOOK_MAKERS):
        raise PermissionDenied(
            "only a bookkeeper mapped to this CBO records its books", code="not_the_bookkeeper"
        )


def require_approver(
    principal: Principal,
    where: GeoPath,
    maker: str,
    approvers: frozenset[str] = SHG_BOOK_APPROVERS,
) -> None:
    """``approvers``: the tier's approver roles (:func:`book_approvers`); an SHG's by default."""
    if not (principal.can_reach(where, BOOK_READERS | approvers) or _consented(principal, where)):
        raise NotFound("books of this CBO not found", code="cbo_not_found")
    if not principal.can_reach(where, approvers):
        raise PermissionDenied(
            "only the transaction approver of this CBO's tier and federation decides its books",
            code="not_the_approver",
        )
    if principal.user_id == maker:
        raise PermissionDenied("the maker cannot approve her own books", code="maker_is_checker")
