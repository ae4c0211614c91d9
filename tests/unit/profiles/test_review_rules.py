"""Maker-checker's rules without I/O (services/profiles/review/rules.py): what may be
submitted, who may decide, what a checker must send, and what a decision leaves behind."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from lokos.errors import Conflict, PermissionDenied, ValidationFailed
from services.profiles.models import Cbo, Member, Submission
from services.profiles.review import rules

TODAY = date(2026, 11, 30)


def shg(status: str = "new", **extra: object) -> Cbo:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "cbo_type": "SHG",
        "name": "Durga SHG",
        "village_lgd_code": "10101",
        "formed_on": date(2024, 4, 1),
        "status": status,
        "version": 3,
        "submission_id": None,
        "draft": {},
    }
    return Cbo(**{**values, **extra})


def member(status: str = "new", **extra: object) -> Member:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "name": "Sita Devi",
        "gender": "F",
        "date_of_birth": date(1990, 1, 1),
        "social_category": "OBC",
        "status": status,
        "version": 2,
        "submission_id": None,
        "draft": {},
        "mobile": "",
        "bank_account_hash": None,
        "voter_id": "",
        "aadhaar_hash": None,
        "left_on": None,
    }
    return Member(**{**values, **extra})


def submission(maker: str = "UP_BK", status: str = "pending") -> Submission:
    return Submission(id=uuid.uuid4(), maker=maker, status=status)


def fields(err: ValidationFailed) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in err.field_errors]


# --- submitting --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["new", "incomplete", "rejected", "modified"])
def test_a_record_not_yet_approved_may_be_submitted(status: str) -> None:
    rules.check_submittable(shg(status), "shg", 3)


def test_an_approved_record_is_submitted_only_with_changes_waiting() -> None:
    rules.check_submittable(shg("approved", draft={"name": "Durga Mahila SHG"}), "shg", 3)
    with pytest.raises(Conflict) as err:
        rules.check_submittable(shg("approved"), "shg", 3)
    assert err.value.code == "nothing_to_submit"


def test_a_pending_record_is_not_submitted_twice() -> None:
    waiting = uuid.uuid4()
    with pytest.raises(Conflict) as err:
        rules.check_submittable(shg("pending", submission_id=waiting), "shg", 3)
    assert (err.value.code, err.value.extra) == ("already_pending", {"submission_id": str(waiting)})


def test_a_submission_of_a_stale_version_is_a_conflict() -> None:
    with pytest.raises(Conflict) as err:
        rules.check_submittable(shg(), "shg", 2)
    assert err.value.code == "version_conflict"


def test_an_inactive_record_cannot_be_submitted() -> None:
    with pytest.raises(Conflict) as err:
        rules.check_submittable(member("inactive"), "member", 2)
    assert err.value.code == "not_submittable"


def test_an_shg_needs_name_village_and_formation_date_before_submitting() -> None:
    assert rules.completeness(shg(), TODAY) == []
    missing = rules.completeness(shg(name="", village_lgd_code="", formed_on=None), TODAY)
    assert [(e.field, e.code) for e in missing] == [
        ("name", "required"),
        ("village_lgd_code", "required"),
        ("formed_on", "required"),
    ]


def test_a_vo_needs_no_village() -> None:
    assert rules.completeness(shg(cbo_type="VO", village_lgd_code=""), TODAY) == []


def test_a_member_needs_gender_birth_date_and_category_that_hold() -> None:
    assert rules.completeness(member(), TODAY) == []
    missing = rules.completeness(member(gender="", social_category=""), TODAY)
    assert [(e.field, e.code) for e in missing] == [
        ("gender", "required"),
        ("social_category", "required"),
    ]
    unborn = rules.completeness(member(date_of_birth=date(2030, 1, 1)), TODAY)
    assert [e.field for e in unborn] == ["date_of_birth"]


# --- deciding ----------------------------------------------------------------------------------


def test_the_checker_is_never_the_maker() -> None:
    rules.check_decidable(submission(maker="UP_BK"), "UP_BPM")
    with pytest.raises(PermissionDenied) as err:
        rules.check_decidable(submission(maker="UP_BPM"), "UP_BPM")
    assert err.value.code == "maker_is_checker"


@pytest.mark.parametrize("status", ["approved", "rejected"])
def test_a_submission_is_decided_once(status: str) -> None:
    with pytest.raises(Conflict) as err:
        rules.check_decidable(submission(status=status), "UP_BPM")
    assert err.value.code == "already_decided"


def test_an_approval_with_a_rejected_identifier_is_refused() -> None:
    rules.check_approval_verdicts([("mobile", "approved", "")])
    with pytest.raises(ValidationFailed) as err:
        rules.check_approval_verdicts([("mobile", "approved", ""), ("aadhaar", "rejected", "R02")])
    assert fields(err.value) == [("identifiers", "rejected_identifier")]


def test_each_identifier_she_has_is_verified_before_approval() -> None:
    m = member(mobile="98XXXXXX10", aadhaar_hash="h", draft={"voter_id": "ABC1234567"})
    assert rules.present_identifiers(m) == {"mobile", "aadhaar", "voter_id"}
    with pytest.raises(ValidationFailed) as err:
        rules.check_identifiers_verified(m, [("mobile", "approved", "")])
    assert fields(err.value) == [("identifiers", "unverified")]
    assert "aadhaar, voter_id" in err.value.field_errors[0].message
    rules.check_identifiers_verified(
        m, [(n, "approved", "") for n in ("mobile", "aadhaar", "voter_id")]
    )


def test_a_member_without_identifiers_needs_no_verdicts() -> None:
    rules.check_identifiers_verified(member(), [])


@pytest.mark.parametrize(
    ("count", "code"), [(4, "too_few_members"), (5, None), (20, None), (21, "too_many_members")]
)
def test_an_shg_is_approved_with_its_members_within_its_types_limits(
    count: int, code: str | None
) -> None:
    errors = rules.member_count_errors(count, 5, 20)
    assert [e.code for e in errors] == ([code] if code else [])
    assert all(e.field == "members" for e in errors)


def test_a_rejection_names_remarks_of_the_master_list() -> None:
    rules.check_rejection(["R01"], [("aadhaar", "rejected", "R02")])
    for remarks, verdicts, expected in (
        ([], [], ("remarks", "required")),
        (["R01", "NOPE"], [], ("remarks", "unknown")),
        (["R01"], [("passport", "approved", "")], ("identifiers", "format")),
        (["R01"], [("mobile", "maybe", "")], ("identifiers", "format")),
        (["R01"], [("mobile", "rejected", "NOPE")], ("identifiers", "unknown")),
    ):
        with pytest.raises(ValidationFailed) as err:
            rules.check_rejection(remarks, verdicts)
        assert fields(err.value) == [expected], (remarks, verdicts)


def test_approval_makes_a_leaving_member_inactive() -> None:
    assert rules.approved_status(member()) == "approved"
    assert rules.approved_status(member("approved", left_on=date(2026, 11, 1))) == "inactive"
    assert rules.approved_status(shg()) == "approved"


def test_rejection_keeps_an_approved_record_approved() -> None:
    assert rules.rejected_status(shg("pending")) == "rejected"
    assert rules.rejected_status(shg("approved")) == "approved"


def test_verdicts_keep_a_remark_only_when_one_was_given() -> None:
    assert rules.verdict_map([("mobile", "approved", ""), ("aadhaar", "rejected", "R02")]) == {
        "mobile": {"status": "approved"},
        "aadhaar": {"status": "rejected", "remark": "R02"},
    }
