"""Profiles' record lifecycle and access rules, without I/O: versions, the maker's lock,
changes applied in place or kept in a draft, repeated creates, and who reads, makes and checks."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from lokos.errors import Conflict, Locked, NotFound, PermissionDenied, ValidationFailed
from lokos.principal import Principal, RoleGrant, Scope
from services.profiles import access, records
from services.profiles.models import Cbo, Member


def shg(status: str = "new", **extra: object) -> Cbo:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "cbo_type": "SHG",
        "name": "Durga SHG",
        "state": "up",
        "district_lgd_code": "1",
        "block_lgd_code": "101",
        "village_lgd_code": "10101",
        "status": status,
        "version": 3,
        "submission_id": None,
        "draft": {},
    }
    return Cbo(**{**values, **extra})


def who(role: str, level: str, *codes: str, user: str = "UP_X") -> Principal:
    return Principal(user, "up", "lokos-up", (RoleGrant(role, Scope(level, frozenset(codes))),))


def test_a_stale_version_is_a_conflict_naming_the_current_one() -> None:
    record = shg()
    records.check_version(record, 3, "this SHG")
    with pytest.raises(Conflict) as err:
        records.check_version(record, 2, "this SHG")
    assert (err.value.code, err.value.extra) == ("version_conflict", {"current_version": "3"})


def test_a_pending_record_is_locked_for_its_maker() -> None:
    pending = shg(submission_id=uuid.uuid4())
    with pytest.raises(Locked) as err:
        records.check_unlocked(pending, "this SHG")
    assert err.value.code == "pending_approval"
    records.check_unlocked(shg(), "this SHG")


def test_changes_to_a_never_approved_record_apply_in_place() -> None:
    rejected = shg("rejected")
    records.apply_changes(rejected, {"name": "Durga Mahila SHG"}, "UP_BK")
    assert (rejected.name, rejected.status, rejected.version, rejected.draft) == (
        "Durga Mahila SHG",
        "modified",
        4,
        {},
    )


def test_changes_to_an_approved_record_wait_in_its_draft_until_approval() -> None:
    approved = shg("approved")
    records.apply_changes(approved, {"name": "New name", "formed_on": date(2020, 1, 2)}, "UP_BK")
    assert approved.name == "Durga SHG"
    assert approved.draft == {"name": "New name", "formed_on": "2020-01-02"}
    records.apply_draft(approved, {"formed_on": date.fromisoformat})
    assert (approved.name, approved.formed_on, approved.draft) == ("New name", date(2020, 1, 2), {})


def test_a_record_in_another_state_cannot_be_changed() -> None:
    with pytest.raises(Conflict) as err:
        records.apply_changes(shg("pending"), {"name": "x"}, "UP_BK")
    assert err.value.code == "not_editable"


def test_a_create_repeated_under_its_client_id_must_be_the_same_create() -> None:
    key = b"k" * 32
    first = records.create_fingerprint(key, {"name": "Durga SHG", "block": "101"})
    assert first == records.create_fingerprint(key, {"block": "101", "name": "Durga SHG"})
    records.check_same_create(first, first)
    records.check_same_create("", first)  # made before fingerprints were kept
    other = records.create_fingerprint(key, {"name": "Kali SHG", "block": "101"})
    with pytest.raises(ValidationFailed) as err:
        records.check_same_create(first, other)
    assert err.value.field_errors[0].code == "client_id_reused"


def test_a_member_is_reached_through_her_shg() -> None:
    group = shg()
    member = Member(
        id=uuid.uuid4(),
        shg_id=group.id,
        state="up",
        district_lgd_code="1",
        block_lgd_code="101",
        village_lgd_code="10101",
    )
    bookkeeper = who("SHG_BOOKKEEPER", "cbo", str(group.id))
    access.require_maker(bookkeeper, access.where(member), "this member")
    access.require_maker(bookkeeper, access.where(group), "this SHG")
    with pytest.raises(NotFound):
        access.require_reader(bookkeeper, access.where(shg()), "another SHG")


@pytest.mark.parametrize(
    ("principal", "reads", "makes", "checks"),
    [
        (who("BLOCK_ADMIN", "block", "101"), True, True, False),
        (who("BLOCK_MIS", "block", "101"), True, True, False),
        (who("BLOCK_PROGRAM_MANAGER", "block", "101"), True, False, True),
        (who("BLOCK_THEMATIC", "block", "101"), True, False, False),
        (who("BLOCK_ADMIN", "block", "102"), False, False, False),
        (who("STATE_PROGRAM_MANAGER", "state"), True, False, False),
    ],
)
def test_who_reads_makes_and_checks_a_record_of_a_block(
    principal: Principal, reads: bool, makes: bool, checks: bool
) -> None:
    where = access.where(shg())

    def allowed(rule: object) -> bool:
        try:
            rule(principal, where, "this SHG")  # type: ignore[operator]
        except (NotFound, PermissionDenied):
            return False
        return True

    assert (
        allowed(access.require_reader),
        allowed(access.require_maker),
        allowed(access.require_checker),
    ) == (reads, makes, checks)
