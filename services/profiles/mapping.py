"""Model ↔ proto translation, shared by the servicers and the events."""

from __future__ import annotations

from typing import Any

from lokos.profiles.v1 import profiles_pb2
from lokos.values import timestamp
from services.profiles.models import Cbo, GeoUnit, Member, Submission

IDENTIFIERS = ("mobile", "bank_account", "voter_id", "aadhaar")


def district_to_proto(u: GeoUnit) -> profiles_pb2.District:
    return profiles_pb2.District(
        lgd_code=u.lgd_code, name=u.name_en, state=u.state, name_local=u.name_local
    )


def block_to_proto(u: GeoUnit) -> profiles_pb2.Block:
    return profiles_pb2.Block(
        lgd_code=u.lgd_code,
        name=u.name_en,
        district_lgd_code=u.district_lgd_code,
        state=u.state,
        name_local=u.name_local,
    )


def cbo_to_proto(
    c: Cbo, *, parent_id: str = "", approved_members: int = 0, remarks: list[str] | None = None
) -> profiles_pb2.CboView:
    return profiles_pb2.CboView(
        id=str(c.id),
        client_id=str(c.client_id),
        cbo_type=c.cbo_type,
        code=c.code or "",
        name=c.name,
        name_local=c.name_local,
        state=c.state,
        district_lgd_code=c.district_lgd_code,
        block_lgd_code=c.block_lgd_code,
        panchayat_lgd_code=c.panchayat_lgd_code,
        village_lgd_code=c.village_lgd_code,
        shg_type=c.shg_type,
        formed_on=timestamp(c.formed_on),
        bank_account=c.bank_account_masked,
        ifsc=c.ifsc,
        status=c.status,
        version=c.version,
        submission_id=str(c.submission_id) if c.submission_id else "",
        migrated=c.migrated,
        approved_on=timestamp(c.approved_on),
        approved_by=c.approved_by,
        created_by=c.created_by,
        created_at=timestamp(c.created_at),
        parent_id=parent_id,
        approved_members=approved_members,
        remarks=remarks or [],
        duplicate_flag=bool(c.duplicate_flag),
        duplicate_reasons=list(c.duplicate_reasons or []),
    )


def identifier_checks(verification: dict[str, Any]) -> list[profiles_pb2.IdentifierCheck]:
    return [
        profiles_pb2.IdentifierCheck(
            identifier=name,
            status=str(verification.get(name, {}).get("status", "unverified")),
            remark=str(verification.get(name, {}).get("remark", "")),
        )
        for name in IDENTIFIERS
    ]


def member_to_proto(m: Member, remarks: list[str] | None = None) -> profiles_pb2.MemberView:
    return profiles_pb2.MemberView(
        id=str(m.id),
        client_id=str(m.client_id),
        code=m.code or "",
        shg_id=str(m.shg_id),
        name=m.name,
        name_local=m.name_local,
        gender=m.gender,
        date_of_birth=timestamp(m.date_of_birth),
        social_category=m.social_category,
        relative_name=m.relative_name,
        relation=m.relation,
        household_code=m.household_code,
        left_on=timestamp(m.left_on),
        leaving_reason=m.leaving_reason,
        mobile=m.mobile,
        bank_account=m.bank_account_masked,
        ifsc=m.ifsc,
        voter_id=m.voter_id,
        aadhaar=m.aadhaar_masked,
        status=m.status,
        version=m.version,
        submission_id=str(m.submission_id) if m.submission_id else "",
        identifiers=identifier_checks(m.verification or {}),
        migrated=m.migrated,
        block_lgd_code=m.block_lgd_code,
        village_lgd_code=m.village_lgd_code,
        created_by=m.created_by,
        created_at=timestamp(m.created_at),
        remarks=remarks or [],
        state=m.state,
        district_lgd_code=m.district_lgd_code,
        panchayat_lgd_code=m.panchayat_lgd_code,
        duplication_status=m.duplication_status,
    )


def submission_to_proto(
    s: Submission, *, entity_status: str, entity_code: str, entity_name: str
) -> profiles_pb2.SubmissionView:
    remarks = [str(r) for r in (s.remarks or []) if isinstance(r, str)]
    decisions: dict[str, Any] = next((r for r in (s.remarks or []) if isinstance(r, dict)), {})
    return profiles_pb2.SubmissionView(
        id=str(s.id),
        entity_type=s.entity_type,
        entity_id=str(s.entity_id),
        status=s.status,
        maker=s.maker,
        submitted_at=timestamp(s.submitted_at),
        checker=s.checker,
        decided_at=timestamp(s.decided_at),
        remarks=remarks,
        identifiers=identifier_checks(decisions) if decisions else [],
        entity_status=entity_status,
        entity_code=entity_code,
        entity_name=entity_name,
        block_lgd_code=s.block_lgd_code,
    )
