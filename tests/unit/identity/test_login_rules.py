"""Identity's login rules without I/O: how long a lock lasts, and whom a national admin reaches
in a state realm."""

from __future__ import annotations

import pytest

from lokos.principal import Principal, RoleGrant, Scope
from services.identity import rules


@pytest.mark.parametrize(
    ("lockouts", "seconds"), [(0, 60), (1, 60), (2, 120), (5, 300), (15, 900), (40, 900)]
)
def test_each_lock_in_a_row_lasts_longer_up_to_the_maximum(lockouts: int, seconds: int) -> None:
    assert rules.lock_seconds(lockouts, 60, 900) == seconds


NATIONAL_ADMIN = Principal(
    "NATIONAL_ADMIN",
    "national",
    "lokos-national",
    (RoleGrant("NATIONAL_ADMIN", Scope("national")),),
)


@pytest.mark.parametrize(
    ("roles", "reaches"),
    [
        (["STATE_ADMIN"], True),
        (["STATE_PROGRAM_MANAGER"], False),  # the State Admin's users
        (["STATE_ADMIN", "STATE_THEMATIC"], False),
        (["DISTRICT_ADMIN"], False),
        (["SHG_BOOKKEEPER"], False),
        ([], False),  # a deleted user has no open role
    ],
)
def test_a_national_admin_reaches_the_state_admins_of_a_state_realm(
    roles: list[str], reaches: bool
) -> None:
    assert rules.may_manage_across_realms(NATIONAL_ADMIN, roles) is reaches


def test_a_state_admin_reaches_no_one_across_realms() -> None:
    state_admin = Principal(
        "UP_STATEADMIN", "up", "lokos-up", (RoleGrant("STATE_ADMIN", Scope("state")),)
    )
    assert rules.may_manage_across_realms(state_admin, ["STATE_ADMIN"]) is False
    national_pm = Principal(
        "NATIONAL_PM",
        "national",
        "lokos-national",
        (RoleGrant("NATIONAL_PROGRAM_MANAGER", Scope("national")),),
    )
    assert rules.may_manage_across_realms(national_pm, ["STATE_ADMIN"]) is False


def test_the_roles_a_national_admin_reaches_are_those_it_creates_in_states() -> None:
    # State Admins, and each state's help desk contact (created by the national admin too).
    assert rules.roles_reached_across_realms(NATIONAL_ADMIN) == {
        "STATE_ADMIN",
        "STATE_HELPDESK_CONTACT",
    }
