"""The Block Program Manager's decision on a pair of members, without I/O: what a decision
must say, and which matches it may override. service.Dedup.decide finds the match and stores
the decision."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from lokos.errors import Conflict, FieldError, ValidationFailed
from services.dedup.matching import CONFIRMED, DUPLICATE, NOT_DUPLICATE, Found

REASON_MIN, REASON_MAX = 5, 500


@dataclass(frozen=True)
class Decision:
    member_id: uuid.UUID
    other_member_id: uuid.UUID
    decision: str
    reason: str


def parse(member_id: str, other_member_id: str, decision: str, reason: str) -> Decision:
    """A decision names both members, says duplicate or not_duplicate, and says why when it
    is not a duplicate; every field in error is named."""
    errors: list[FieldError] = []
    if decision not in (NOT_DUPLICATE, DUPLICATE):
        errors.append(FieldError("decision", "must be not_duplicate or duplicate", "enum"))
    reason = " ".join(reason.split())
    if decision == NOT_DUPLICATE and len(reason) < REASON_MIN:
        errors.append(
            FieldError("reason", "say why it is not a duplicate (5 to 500 characters)", "required")
        )
    if len(reason) > REASON_MAX:
        errors.append(FieldError("reason", "at most 500 characters", "length"))
    ids: list[uuid.UUID] = []
    for field, value in (("member_id", member_id), ("other_member_id", other_member_id)):
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            errors.append(FieldError(field, "must be a UUID", "format"))
    if errors:
        raise ValidationFailed(errors)
    return Decision(ids[0], ids[1], decision, reason)


def check_overridable(decision: str, match: Found, other_id: uuid.UUID) -> None:
    """A confirmed duplicate (the same Aadhaar, bank account or voter ID) is never overridden:
    the record is rejected instead."""
    if decision == NOT_DUPLICATE and match.kind == CONFIRMED:
        raise Conflict(
            "a confirmed duplicate cannot be overridden: the same "
            + ", ".join(r.replace("_", " ") for r in match.rules if r != "name")
            + f" as {match.other.code or 'record ' + str(other_id)}; reject the record instead",
            code="confirmed_duplicate",
            extra={"identifiers": ",".join(match.rules), "other_code": match.other.code},
        )
