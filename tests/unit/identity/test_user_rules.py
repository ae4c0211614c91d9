"""Identity's rules for users, without I/O: user IDs, passwords, contacts, grants, who creates
and who manages whom."""

from __future__ import annotations

import pytest

from lokos import catalogue
from lokos.principal import GeoPath, Principal, RoleGrant, Scope
from services.identity import rules


def admin(role: str, level: str, *codes: str, state: str = "up") -> Principal:
    return Principal(
        f"UP_{role}", state, f"lokos-{state}", (RoleGrant(role, Scope(level, frozenset(codes))),)
    )


@pytest.mark.parametrize(
    ("user_id", "code"),
    [
        ("UP_SITA_DEVI", None),
        ("", "required"),
        ("up_sita", "not_upper_case"),
        ("BR_SITA", "prefix"),
        ("UP_", "prefix"),
        ("UP_SITA__DEVI", "format"),
        ("UP_SITA-DEVI", "format"),
        ("UP_" + "A" * 60, "too_long"),
    ],
)
def test_a_user_id_is_the_state_prefix_and_plain_upper_case(user_id: str, code: str | None) -> None:
    assert [e.code for e in rules.user_id_errors(user_id, "up")] == ([code] if code else [])


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Lokos@2024", None),
        ("lokos2024x", "too_weak"),
        ("Lo@1", "too_short"),
        ("a" * 200, "too_long"),
    ],
)
def test_a_password_mixes_three_kinds_of_character(password: str, code: str | None) -> None:
    assert [e.code for e in rules.password_errors(password)] == ([code] if code else [])


def test_contacts_name_each_bad_field() -> None:
    errors = rules.contact_errors(
        name="  ", mobile="12345", email="not-mail", designation="x" * 200
    )
    assert [(e.field, e.code) for e in errors] == [
        ("name", "required"),
        ("mobile", "format"),
        ("email", "format"),
        ("designation", "too_long"),
    ]
    assert (
        rules.contact_errors(name="Sita", mobile="9876543210", email="a@b.in", designation="") == []
    )


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        (rules.GrantSpec("BLOCK_ADMIN", "block", ("101",)), None),
        (rules.GrantSpec("STATE_ADMIN", "state", ()), None),
        (rules.GrantSpec("NO_SUCH_ROLE", "block", ("101",)), "unknown_role"),
        (rules.GrantSpec("BLOCK_ADMIN", "district", ("101",)), "level"),
        (rules.GrantSpec("STATE_ADMIN", "state", ("1",)), "codes"),
        (rules.GrantSpec("BLOCK_ADMIN", "block", ()), "required"),
        (rules.GrantSpec("BLOCK_ADMIN", "block", ("1a",)), "format"),
        (rules.GrantSpec("BLOCK_ADMIN", "block", tuple(str(i) for i in range(51))), "too_many"),
    ],
)
def test_a_grant_suits_its_role(spec: rules.GrantSpec, code: str | None) -> None:
    assert [e.code for e in rules.grant_spec_errors(spec, "roles.0")] == ([code] if code else [])


def test_national_and_state_roles_are_not_held_together() -> None:
    mixed = [
        rules.GrantSpec("NATIONAL_ADMIN", "national", ()),
        rules.GrantSpec("STATE_ADMIN", "state", ()),
    ]
    assert [e.code for e in rules.entry_errors(mixed)] == ["mixed"]
    assert rules.entry_errors(mixed[1:]) == []


def test_a_block_admin_creates_the_users_of_her_block_only() -> None:
    block_admin = admin("BLOCK_ADMIN", "block", "101")
    here, there = [GeoPath("up", "1", "101")], [GeoPath("up", "1", "102")]
    assert rules.may_create(block_admin, catalogue.role("SHG_BOOKKEEPER"), here)
    assert rules.may_create(block_admin, catalogue.role("BLOCK_MIS"), here)
    assert not rules.may_create(block_admin, catalogue.role("SHG_BOOKKEEPER"), there)
    assert not rules.may_create(block_admin, catalogue.role("BLOCK_ADMIN"), here)
    mis = admin("BLOCK_MIS", "block", "101")
    assert not rules.may_create(mis, catalogue.role("SHG_BOOKKEEPER"), here)


@pytest.mark.parametrize(
    ("manager", "target", "home", "may"),
    [
        (
            admin("DISTRICT_ADMIN", "district", "1"),
            ["BLOCK_ADMIN"],
            GeoPath("up", "1", "101"),
            True,
        ),
        (
            admin("DISTRICT_ADMIN", "district", "1"),
            ["BLOCK_ADMIN"],
            GeoPath("up", "2", "201"),
            False,
        ),
        (admin("DISTRICT_ADMIN", "district", "1"), ["STATE_ADMIN"], GeoPath("up", "1"), False),
        (admin("BLOCK_ADMIN", "block", "101"), ["SHG_BOOKKEEPER"], GeoPath("up", "1", "101"), True),
        (admin("BLOCK_ADMIN", "block", "101"), ["BLOCK_ADMIN"], GeoPath("up", "1", "101"), False),
        (admin("STATE_ADMIN", "state"), ["DISTRICT_ADMIN", "BLOCK_MIS"], GeoPath("up", "1"), True),
        (
            admin("BLOCK_THEMATIC", "block", "101"),
            ["SHG_BOOKKEEPER"],
            GeoPath("up", "1", "101"),
            False,
        ),
    ],
)
def test_an_admin_manages_the_users_below_her_within_her_scope(
    manager: Principal, target: list[str], home: GeoPath, may: bool
) -> None:
    assert rules.may_manage(manager, target, home) is may


def test_the_home_unit_is_the_deepest_unit_granted() -> None:
    assert rules.home_unit([GeoPath("up", "1"), GeoPath("up", "1", "101")]) == ("1", "101")
    assert rules.home_unit([GeoPath("up", "1")]) == ("1", "")
    assert rules.home_unit([GeoPath("up")]) == ("", "")


def test_category_and_masked_mobile() -> None:
    assert rules.category_of(["BLOCK_ADMIN", "SHG_BOOKKEEPER"]) == "community"
    assert rules.category_of(["BLOCK_ADMIN"]) == "staff"
    assert rules.mask_mobile("9876543210") == "XXXXXX3210"
    assert rules.realm_of("national") == "lokos-national" and rules.realm_of("up") == "lokos-up"
