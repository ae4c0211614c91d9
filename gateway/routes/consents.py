"""Consents for member-level data, as the member's bookkeeper and block staff see them: send
the OTP to the member's registered mobile, capture the consent with it, revoke it on her word,
and see every fetch made under it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, Field

from gateway.routes.api_clients import ApiCallOut, call_out
from gateway.routes.common import ProfileMaker, ServiceClients, metadata, problem_responses
from lokos.identity.v1 import identity_pb2

router = APIRouter(tags=["consents"], responses=problem_responses(404, 429))

ConsentId = Annotated[str, Path(pattern=r"^[0-9a-fA-F-]{36}$")]


class ConsentOut(BaseModel):
    consent_id: str
    client_id: str
    client_name: str
    member_id: str
    shg_id: str
    purpose_code: str
    purpose_text: str
    data_scope: list[str]
    date_from: str
    date_to: str
    expires_at: datetime | None
    mode: str
    status: str = Field(description="requested, active, revoked or expired")
    captured_by: str
    captured_at: datetime | None
    revoked_by: str
    revoked_at: datetime | None


class OtpSentOut(BaseModel):
    consent_id: str
    sent_to: str = Field(description="The member's registered mobile, masked")
    expires_in: int


class GrantIn(BaseModel):
    otp: str = Field(pattern=r"^\d{6}$", description="The OTP the member received")


def _time(ts: Timestamp, present: bool) -> datetime | None:
    return ts.ToDatetime(tzinfo=UTC) if present else None


def consent_out(c: identity_pb2.ConsentView) -> ConsentOut:
    return ConsentOut(
        consent_id=c.consent_id,
        client_id=c.client_id,
        client_name=c.client_name,
        member_id=c.member_id,
        shg_id=c.shg_id,
        purpose_code=c.purpose_code,
        purpose_text=c.purpose_text,
        data_scope=list(c.data_scope),
        date_from=c.date_from,
        date_to=c.date_to,
        expires_at=_time(c.expires_at, c.HasField("expires_at")),
        mode=c.mode,
        status=c.status,
        captured_by=c.captured_by,
        captured_at=_time(c.captured_at, c.HasField("captured_at")),
        revoked_by=c.revoked_by,
        revoked_at=_time(c.revoked_at, c.HasField("revoked_at")),
    )


@router.post("/consents/{consent_id}/otp")
async def send_consent_otp(
    consent_id: ConsentId, who: ProfileMaker, c: ServiceClients
) -> OtpSentOut:
    answer = await c.identity.SendConsentOtp(
        identity_pb2.ConsentRef(consent_id=consent_id), metadata=metadata(who), timeout=c.deadline
    )
    return OtpSentOut(
        consent_id=answer.consent_id, sent_to=answer.sent_to, expires_in=answer.expires_in
    )


@router.post("/consents/{consent_id}/grant")
async def grant_consent(
    consent_id: ConsentId, body: GrantIn, who: ProfileMaker, c: ServiceClients
) -> ConsentOut:
    answer = await c.identity.GrantConsent(
        identity_pb2.GrantConsentRequest(consent_id=consent_id, otp=body.otp),
        metadata=metadata(who),
        timeout=c.deadline,
    )
    return consent_out(answer)


@router.post("/consents/{consent_id}/revoke")
async def revoke_consent(consent_id: ConsentId, who: ProfileMaker, c: ServiceClients) -> ConsentOut:
    answer = await c.identity.RevokeConsent(
        identity_pb2.ConsentRef(consent_id=consent_id), metadata=metadata(who), timeout=c.deadline
    )
    return consent_out(answer)


@router.get("/consents")
async def list_consents(
    who: ProfileMaker,
    c: ServiceClients,
    member_id: Annotated[str, Query(pattern=r"^[0-9a-fA-F-]{36}$")],
) -> list[ConsentOut]:
    answer = await c.identity.ListConsents(
        identity_pb2.ListConsentsRequest(member_id=member_id),
        metadata=metadata(who),
        timeout=c.deadline,
    )
    return [consent_out(x) for x in answer.consents]


@router.get("/consents/{consent_id}/fetches")
async def consent_fetches(
    consent_id: ConsentId, who: ProfileMaker, c: ServiceClients
) -> list[ApiCallOut]:
    """Every fetch a client made under this consent, newest first."""
    answer = await c.identity.ListApiCalls(
        identity_pb2.ListApiCallsRequest(consent_id=consent_id, limit=500),
        metadata=metadata(who),
        timeout=c.deadline,
    )
    return [call_out(x) for x in answer.calls]
