"""Who keeps, approves and reads an SHG's books (J1, F6), from the role catalogue."""

from __future__ import annotations

import pytest

from lokos import catalogue
from lokos.errors import NotFound, PermissionDenied
from lokos.principal import GeoPath, Principal, RoleGrant, Scope
from services.transactions import access

SHG, VO, OTHER_VO, CLF = "shg-1", "vo-1", "vo-2", "clf-1"
WHERE = GeoPath("up", district="10", block="100", cbo_ids=(SHG, VO, CLF))


def who(user: str, *grants: tuple[str, str, str]) -> Principal:
    return Principal(
        user,
        "up",
        "lokos-up",
        tuple(RoleGrant(r, Scope(lv, frozenset([c]))) for r, lv, c in grants),
    )


def test_approver_roles_come_from_the_catalogue() -> None:
    assert access.SHG_BOOK_APPROVERS
    for code in access.SHG_BOOK_APPROVERS:
        r = catalogue.role(code)
        assert r.is_community and r.cbo_category in ("VO", "CLF")
    assert not access.SHG_BOOK_APPROVERS & access.BOOK_MAKERS


@pytest.mark.parametrize("approver", sorted(access.SHG_BOOK_APPROVERS))
def test_the_mapped_approver_decides_and_another_federations_does_not(approver: str) -> None:
    federation = VO if catalogue.role(approver).cbo_category == "VO" else CLF
    access.require_approver(who("a1", (approver, "cbo", federation)), WHERE, maker="bk1")
    with pytest.raises(NotFound):
        access.require_approver(who("a2", (approver, "cbo", OTHER_VO)), WHERE, maker="bk1")


def test_the_maker_never_checks() -> None:
    approver = sorted(access.SHG_BOOK_APPROVERS)[0]
    both = who("u1", (approver, "cbo", VO), (sorted(access.BOOK_MAKERS)[0], "cbo", SHG))
    access.require_maker(both, WHERE)
    with pytest.raises(PermissionDenied):
        access.require_approver(both, WHERE, maker="u1")


def test_bookkeeper_of_another_shg_and_staff_of_another_block() -> None:
    bk = sorted(access.BOOK_MAKERS)[0]
    with pytest.raises(NotFound):
        access.require_maker(who("b", (bk, "cbo", "shg-2")), WHERE)
    staff = sorted(catalogue.roles_at_or_below("block") & access.BOOK_READERS)[0]
    access.require_reader(who("s", (staff, "block", "100")), WHERE)
    with pytest.raises(NotFound):
        access.require_reader(who("s", (staff, "block", "200")), WHERE)
    with pytest.raises(PermissionDenied):
        access.require_maker(who("s", (staff, "block", "100")), WHERE)
