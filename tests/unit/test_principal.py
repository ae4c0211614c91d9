from __future__ import annotations

import pytest

from lokos.principal import GeoPath, Principal, RoleGrant, Scope

UP_BLOCK = GeoPath("up", district="162", block="1001")
UP_OTHER_BLOCK = GeoPath("up", district="162", block="1002")
UP_OTHER_DISTRICT = GeoPath("up", district="170", block="2001")
BR_BLOCK = GeoPath("br", district="162", block="1001")


def who(level: str, *codes: str, state: str = "up", role: str = "X") -> Principal:
    return Principal(
        "UP_X", state, f"lokos-{state}", (RoleGrant(role, Scope(level, frozenset(codes))),)
    )


@pytest.mark.parametrize(
    ("principal", "path", "reaches"),
    [
        (who("state"), UP_BLOCK, True),
        (who("state"), BR_BLOCK, False),  # one state's admin is nobody in another state
        (who("district", "162"), UP_BLOCK, True),
        (who("district", "162"), UP_OTHER_DISTRICT, False),
        (who("district", "162", state="br"), UP_BLOCK, False),
        (who("block", "1001"), UP_BLOCK, True),
        (who("block", "1001"), UP_OTHER_BLOCK, False),
        (who("block", "1001"), GeoPath("up", district="162"), False),  # district-level record
        (who("national", state="national"), BR_BLOCK, True),
        (who("cbo", "shg-1"), GeoPath("up", block="1001", cbo_ids=("shg-1",)), True),
        (who("cbo", "shg-1"), GeoPath("up", block="1001", cbo_ids=("shg-2",)), False),
    ],
)
def test_scope_reach(principal: Principal, path: GeoPath, reaches: bool) -> None:
    assert principal.can_reach(path) is reaches


def test_reach_counts_only_the_named_roles() -> None:
    p = Principal(
        "UP_X",
        "up",
        "lokos-up",
        (
            RoleGrant("BLOCK_THEMATIC", Scope("block", frozenset({"1001"}))),
            RoleGrant("BLOCK_ADMIN", Scope("block", frozenset({"1002"}))),
        ),
    )
    assert p.can_reach(UP_BLOCK, {"BLOCK_THEMATIC"})
    assert not p.can_reach(UP_BLOCK, {"BLOCK_ADMIN"})
    assert p.can_reach(UP_OTHER_BLOCK, {"BLOCK_ADMIN"})


def test_metadata_round_trip_keeps_every_grant() -> None:
    p = Principal(
        "UP_ALAPURSHGBK",
        "up",
        "lokos-up",
        (
            RoleGrant("SHG_BOOKKEEPER", Scope("cbo", frozenset({"a", "b"}))),
            RoleGrant("BLOCK_THEMATIC", Scope("block", frozenset({"1001"}))),
        ),
        device_id="dev-1",
    )
    assert Principal.from_metadata(p.to_metadata()) == p
    assert Principal.from_metadata(p.to_metadata()).role_names == {
        "SHG_BOOKKEEPER",
        "BLOCK_THEMATIC",
    }


def test_reach_by_level_of_the_given_roles() -> None:
    assert who("state").reach({"X"}) is None
    p = Principal(
        "UP_X",
        "up",
        "lokos-up",
        (
            RoleGrant("A", Scope("block", frozenset({"1"}))),
            RoleGrant("B", Scope("block", frozenset({"2"}))),
            RoleGrant("C", Scope("district", frozenset({"9"}))),
            RoleGrant("D", Scope("state")),
        ),
    )
    assert p.reach({"A", "B"}) == {"block": {"1", "2"}}
    assert p.reach({"A", "C"}) == {"block": {"1"}, "district": {"9"}}
    assert p.reach({"A", "D"}) is None
    assert p.reach({"E"}) == {}
