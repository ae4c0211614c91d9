"""The rules of maker-checker, without I/O: what may be submitted, who may decide, what a
checker must send, and what an approval or a rejection leaves behind. flows.py reads and locks
the rows, asks dedup, and calls these."""

from __future__ import annotations

from datetime import date
from typing import Any

from lokos.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from services.profiles import records, validation
from services.profiles.mapping import IDENTIFIERS
from services.profiles.masters.data import is_code
from services.profiles.models import Cbo, Member, Submission

ENTITY_TYPES = ("shg", "vo", "clf", "member")

# A checker's verdict on one of a member's identifiers: (identifier, status, remark code).
Verdict = tuple[str, str, str]


def check_submittable(record: Cbo | Member, entity_type: str, version: int) -> None:
    """A record goes to its checker once at a time, at the version its maker read, and only
    with something to approve."""
    if record.submission_id is not None:
        raise Conflict(
            f"this {entity_type} is already waiting for approval",
            code="already_pending",
            extra={"submission_id": str(record.submission_id)},
        )
    records.check_version(record, version, f"this {entity_type}")
    if record.status == "approved" and not record.draft:
        raise Conflict("nothing to approve: the record has no changes", code="nothing_to_submit")
    if record.status not in records.DIRECT_STATUSES and record.status != "approved":
        raise Conflict(
            f"a record that is {record.status} cannot be submitted", code="not_submittable"
        )


def completeness(record: Cbo | Member, today: date) -> list[FieldError]:
    """A record is complete enough to submit: the fields a checker needs are there."""
    errors: list[FieldError] = []
    if isinstance(record, Member):
        for field in ("name", "gender", "date_of_birth", "social_category"):
            if not getattr(record, field):
                errors.append(FieldError(field, "is needed before submitting", "required"))
        fields = {
            "name": record.name,
            "gender": record.gender,
            "date_of_birth": record.date_of_birth,
            "social_category": record.social_category or None,
        }
        errors += validation.member_errors(
            {k: v for k, v in fields.items() if v}, today=today, creating=False
        )
    else:
        if not record.name:
            errors.append(FieldError("name", "is needed before submitting", "required"))
        if record.cbo_type == "SHG" and not record.village_lgd_code:
            errors.append(FieldError("village_lgd_code", "is needed before submitting", "required"))
        if not record.formed_on:
            errors.append(FieldError("formed_on", "is needed before submitting", "required"))
    return errors


def check_decidable(submission: Submission, checker: str) -> None:
    """The checker is never the submission's maker, and a submission is decided once."""
    if submission.maker == checker:
        raise PermissionDenied(
            "the checker cannot be the maker of a submission", code="maker_is_checker"
        )
    if submission.status != "pending":
        raise Conflict(f"the submission is {submission.status} already", code="already_decided")


def check_approval_verdicts(verdicts: list[Verdict]) -> None:
    """A rejected identifier means the submission is rejected, not approved."""
    if any(status == "rejected" for _, status, _ in verdicts):
        raise ValidationFailed.one(
            "identifiers",
            "an identifier is rejected: reject the submission with remarks",
            "rejected_identifier",
        )


def check_rejection(remarks: list[str], verdicts: list[Verdict]) -> None:
    """A rejection names at least one remark of the master list; verdicts are well-formed."""
    if not remarks:
        raise ValidationFailed.one("remarks", "choose at least one rejection remark", "required")
    unknown = [r for r in remarks if not is_code("rejection_remark", r)]
    if unknown:
        raise ValidationFailed.one(
            "remarks", f"unknown remark codes: {', '.join(unknown[:5])}", "unknown"
        )
    for name, status, remark in verdicts:
        if name not in IDENTIFIERS or status not in ("approved", "rejected"):
            raise ValidationFailed.one("identifiers", f"bad verdict for {name[:20]!r}", "format")
        if status == "rejected" and remark and not is_code("rejection_remark", remark):
            raise ValidationFailed.one(
                "identifiers", f"unknown remark code {remark[:8]!r}", "unknown"
            )


def present_identifiers(m: Member) -> set[str]:
    """The identifiers a member has, approved or waiting in her draft."""
    draft = m.draft or {}
    present = set()
    if m.mobile or "mobile" in draft:
        present.add("mobile")
    if m.bank_account_hash or draft.get("bank_account_hash"):
        present.add("bank_account")
    if m.voter_id or draft.get("voter_id"):
        present.add("voter_id")
    if m.aadhaar_hash or draft.get("aadhaar_hash"):
        present.add("aadhaar")
    return present


def check_identifiers_verified(member: Member, verdicts: list[Verdict]) -> None:
    """A member is approved only with each of her identifiers approved by the checker."""
    decided = {name for name, status, _ in verdicts if status == "approved"}
    missing = sorted(present_identifiers(member) - decided)
    if missing:
        raise ValidationFailed(
            [
                FieldError(
                    "identifiers",
                    f"verify each identifier before approving: {', '.join(missing)}",
                    "unverified",
                )
            ],
            "the record cannot be approved yet",
        )


def member_count_errors(count: int, low: int, high: int) -> list[FieldError]:
    """An SHG is approved with its approved members within its type's limits."""
    if count < low:
        return [
            FieldError(
                "members",
                f"an SHG is approved with at least {low} approved members; it has {count}",
                "too_few_members",
            )
        ]
    if count > high:
        return [
            FieldError(
                "members",
                f"an SHG of this type has at most {high} members; it has {count}",
                "too_many_members",
            )
        ]
    return []


def approved_status(record: Cbo | Member) -> str:
    """An approved leaving date ends the membership: "inactive" from the day after it."""
    return "inactive" if isinstance(record, Member) and record.left_on is not None else "approved"


def rejected_status(record: Cbo | Member) -> str:
    """An approved record keeps its approved data (the rejected draft stays for the maker to
    fix); any other goes back to its maker as rejected."""
    return record.status if record.status == "approved" else "rejected"


def verdict_map(verdicts: list[Verdict]) -> dict[str, dict[str, Any]]:
    """Verdicts as kept on the member and in the submission's remarks."""
    return {n: {"status": s, **({"remark": r} if r else {})} for n, s, r in verdicts}
