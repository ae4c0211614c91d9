"""Consent for member-level data, modelled on the DEPA consent artefact (X2, X3).

Why here, in identity: a consent is an authorisation — who (a registered API client) may read
what (savings, loans, repayment history) of whom (a member), for which dates, until when — and
identity already answers, on every external call, whether the client may call at all
(:func:`services.identity.apiclients.authorise_call`), keeps the log of those calls, and owns
the OTP machinery (keyed hashes, expiry, attempts, the SMS port). Checking the consent in that
same answer makes a revocation effective on the very next fetch and writes each fetch's log
row, with the consent id, in the same transaction. The data stays with its owners: the
member's mobile is read from profiles at capture time (as the bookkeeper, who must be allowed
to see her), the history from transactions at fetch time.

Life of a consent: ``requested`` by a client with the member-history scope → the bookkeeper
asks for an OTP, sent to the member's registered mobile → the member tells her the OTP, which
captures the consent (``active``) → it lapses at ``expires_at`` or is ``revoked`` at once by
the member's bookkeeper or block staff (on her word) or by the client.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

import grpc
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lokos import catalogue, context
from lokos.audit import record_audit
from lokos.errors import (
    FieldError,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    ValidationFailed,
)
from lokos.principal import GeoPath, Principal
from lokos.profiles.v1 import profiles_pb2, profiles_pb2_grpc
from lokos.rpc import call_metadata, error_from_rpc
from services.identity import rules
from services.identity.deps import Deps
from services.identity.flows import _otp_hash
from services.identity.models import ApiClient, Consent, audit_log

DATA_SCOPES = ("savings", "loans", "repayment_history")
MODES = ("VIEW",)
CLIENT_PREFIX = "client:"
# Who may see and revoke a member's consents besides the requester: the staff and community
# roles (her bookkeeper) whose grants reach her block or SHG.
PEOPLE_ROLES = catalogue.STAFF_ROLES | catalogue.COMMUNITY_ROLES
MAX_DAYS_AHEAD = 366
LIST_MAX = 200


@dataclass(frozen=True)
class MemberContact:
    member_id: str
    shg_id: str
    state: str
    block_lgd_code: str
    mobile: str


class MemberDirectory(Protocol):
    async def contact(self, member_id: str) -> MemberContact:
        """The member as the caller may see her (NotFound otherwise)."""
        ...


class ProfilesMembers:
    """Asks profiles for a member as the caller (the bookkeeper): profiles decides whether she
    may see the member; the registered mobile comes with her record."""

    def __init__(self, channel: grpc.aio.Channel, deadline: float) -> None:
        self.stub = profiles_pb2_grpc.ProfilesServiceStub(channel)
        self.deadline = deadline

    async def contact(self, member_id: str) -> MemberContact:
        try:
            m = await self.stub.GetMember(
                profiles_pb2.GetRequest(id=member_id),
                metadata=call_metadata(context.principal(), context.request_id()),
                timeout=self.deadline,
            )
        except grpc.aio.AioRpcError as exc:
            raise error_from_rpc(exc) from exc
        return MemberContact(m.id, m.shg_id, m.state, m.block_lgd_code, m.mobile)


def _now() -> datetime:
    return datetime.now(UTC)


def status_of(consent: Consent, now: datetime | None = None) -> str:
    if consent.status == "active" and consent.expires_at <= (now or _now()):
        return "expired"
    return consent.status


def _client_of(actor: Principal) -> str:
    if not actor.user_id.startswith(CLIENT_PREFIX):
        raise PermissionDenied("only a registered API client requests consent")
    if not actor.has_any_role({catalogue.API_SCOPES["member-history"]}):
        raise PermissionDenied(
            "this client was not granted the 'member-history' scope", code="api_scope_missing"
        )
    return actor.user_id.removeprefix(CLIENT_PREFIX)


def _date(value: str, field: str, errors: list[FieldError]) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(FieldError(field, "must be an ISO date YYYY-MM-DD", "format"))
        return None


@dataclass(frozen=True)
class ConsentAsk:
    member_id: str
    purpose_code: str
    purpose_text: str
    data_scope: list[str]
    date_from: str
    date_to: str
    expires_on: str
    mode: str


def _check_ask(ask: ConsentAsk, today: date) -> tuple[date, date, date]:
    errors: list[FieldError] = []
    try:
        uuid.UUID(ask.member_id)
    except ValueError:
        errors.append(FieldError("member_id", "must be the member's id (a UUID)", "format"))
    if not 1 <= len(ask.purpose_code) <= 16 or not ask.purpose_code.isalnum():
        errors.append(FieldError("purpose_code", "1-16 letters or digits", "format"))
    if not 3 <= len(ask.purpose_text) <= 256 or not ask.purpose_text.isprintable():
        errors.append(FieldError("purpose_text", "3-256 printable characters", "format"))
    unknown = sorted(set(ask.data_scope) - set(DATA_SCOPES))
    if not ask.data_scope or unknown:
        errors.append(FieldError("data_scope", f"one or more of {', '.join(DATA_SCOPES)}", "enum"))
    if ask.mode not in MODES:
        errors.append(FieldError("mode", "must be VIEW", "enum"))
    start = _date(ask.date_from, "date_from", errors)
    end = _date(ask.date_to, "date_to", errors)
    expires = _date(ask.expires_on, "expires_on", errors)
    if start and end and start > end:
        errors.append(FieldError("date_to", "must not be before date_from", "range"))
    if expires and not today < expires <= today + timedelta(days=MAX_DAYS_AHEAD):
        errors.append(FieldError("expires_on", "a date within the next year", "range"))
    if errors:
        raise ValidationFailed(errors)
    assert start and end and expires
    return start, end, expires


async def request(session: AsyncSession, actor: Principal, ask: ConsentAsk) -> Consent:
    client_id = _client_of(actor)
    start, end, expires = _check_ask(ask, _now().date())
    consent = Consent(
        id=uuid.uuid4(),
        client_id=client_id,
        state=actor.state,
        member_id=ask.member_id,
        shg_id="",
        block_lgd_code="",
        purpose_code=ask.purpose_code,
        purpose_text=ask.purpose_text,
        data_scope=list(dict.fromkeys(ask.data_scope)),
        date_from=start,
        date_to=end,
        expires_at=datetime.combine(expires, datetime.min.time(), UTC) + timedelta(days=1),
        mode=ask.mode,
        status="requested",
        otp_hash="",
        otp_attempts=0,
        captured_by="",
        revoked_by="",
        created_at=_now(),
    )
    session.add(consent)
    await session.flush()
    await _audit(session, consent, "consent.requested")
    await session.commit()
    return consent


async def _audit(session: AsyncSession, consent: Consent, action: str) -> None:
    await record_audit(
        session,
        audit_log,
        action=action,
        entity="consent",
        entity_id=str(consent.id),
        after={
            "client_id": consent.client_id,
            "member_id": consent.member_id,
            "data_scope": list(consent.data_scope),
            "date_from": consent.date_from.isoformat(),
            "date_to": consent.date_to.isoformat(),
            "status": consent.status,
        },
    )


async def _get(session: AsyncSession, consent_id: str, *, for_update: bool = False) -> Consent:
    try:
        cid = uuid.UUID(consent_id)
    except ValueError:
        raise NotFound("no such consent", code="consent_not_found") from None
    consent = await session.get(Consent, cid, with_for_update=for_update)
    if consent is None:
        raise NotFound("no such consent", code="consent_not_found")
    return consent


async def send_otp(
    session: AsyncSession, deps: Deps, members: MemberDirectory, actor: Principal, consent_id: str
) -> tuple[Consent, str]:
    """OTP to the member's registered mobile; the caller must be allowed to see the member."""
    consent = await _get(session, consent_id, for_update=True)
    if status_of(consent) != "requested":
        raise PermissionDenied(
            f"this consent is {status_of(consent)}, not waiting for the member",
            code="consent_not_pending",
        )
    member = await members.contact(consent.member_id)  # NotFound when out of her reach
    if not member.mobile:
        raise PermissionDenied("the member has no registered mobile", code="no_mobile")
    s = deps.settings
    if consent.otp_sent_at is not None and (
        (_now() - consent.otp_sent_at).total_seconds() < s.otp_resend_interval_seconds
    ):
        raise RateLimited(
            "an OTP was sent moments ago",
            code="otp_resend_too_soon",
            extra={"retry_after": str(s.otp_resend_interval_seconds)},
        )
    code = f"{secrets.randbelow(10**6):06d}"
    consent.shg_id = member.shg_id
    consent.block_lgd_code = member.block_lgd_code
    consent.otp_hash = _otp_hash(deps.otp_key, str(consent.id), code)
    consent.otp_sent_at = _now()
    consent.otp_expires_at = _now() + timedelta(seconds=s.otp_ttl_seconds)
    consent.otp_attempts = 0
    client = await session.get(ApiClient, consent.client_id)
    requester = client.name if client is not None else consent.client_id
    await deps.sms.send(
        member.mobile,
        f"{code} is your LokOS OTP to let {requester} see your SHG "
        f"{', '.join(consent.data_scope)} from {consent.date_from} to {consent.date_to} "
        f"until {consent.expires_at.date()}. Share it only if you agree.",
        user_id=f"member:{consent.member_id}",
        purpose="consent",
    )
    await session.commit()
    return consent, rules.mask_mobile(member.mobile)


async def grant(
    session: AsyncSession, deps: Deps, actor: Principal, consent_id: str, otp: str
) -> Consent:
    consent = await _get(session, consent_id, for_update=True)
    if status_of(consent) != "requested" or not consent.otp_hash:
        raise PermissionDenied("ask for an OTP first", code="consent_not_pending")
    if consent.otp_expires_at is None or consent.otp_expires_at <= _now():
        raise Unauthenticated("the OTP expired; ask for a new one", code="otp_expired")
    if consent.otp_attempts >= deps.settings.otp_max_attempts:
        raise Unauthenticated("too many wrong OTPs", code="otp_attempts_exceeded")
    if not hmac.compare_digest(_otp_hash(deps.otp_key, str(consent.id), otp), consent.otp_hash):
        consent.otp_attempts += 1
        await session.commit()
        raise Unauthenticated("wrong OTP", code="otp_invalid")
    consent.status = "active"
    consent.otp_hash = ""
    consent.captured_by = f"otp:{actor.user_id}"[:80]
    consent.captured_at = _now()
    await _audit(session, consent, "consent.granted")
    await session.commit()
    return consent


def _may_manage(actor: Principal, consent: Consent) -> bool:
    """The requesting client, or staff and bookkeepers reaching the member's block (or SHG)."""
    if actor.user_id.startswith(CLIENT_PREFIX):
        # A client sees its own consents only, whatever its grants reach.
        return actor.user_id == f"{CLIENT_PREFIX}{consent.client_id}"
    where = GeoPath(
        consent.state,
        block=consent.block_lgd_code,
        cbo_ids=(consent.shg_id,) if consent.shg_id else (),
    )
    return bool(consent.block_lgd_code) and actor.can_reach(where, PEOPLE_ROLES)


async def revoke(session: AsyncSession, actor: Principal, consent_id: str) -> Consent:
    """At once: the next fetch under it is refused."""
    consent = await _get(session, consent_id, for_update=True)
    if not _may_manage(actor, consent):
        raise NotFound("no such consent", code="consent_not_found")
    if consent.status != "revoked":
        consent.status = "revoked"
        consent.revoked_by = actor.user_id[:80]
        consent.revoked_at = _now()
        await _audit(session, consent, "consent.revoked")
        await session.commit()
    return consent


async def get(session: AsyncSession, actor: Principal, consent_id: str) -> Consent:
    consent = await _get(session, consent_id)
    if not _may_manage(actor, consent):
        raise NotFound("no such consent", code="consent_not_found")
    return consent


async def list_for_member(session: AsyncSession, actor: Principal, member_id: str) -> list[Consent]:
    q = (
        select(Consent)
        .where(Consent.member_id == member_id, Consent.state == actor.state)
        .order_by(Consent.created_at.desc())
        .limit(LIST_MAX)
    )
    return [c for c in (await session.execute(q)).scalars() if _may_manage(actor, c)]


async def find(session: AsyncSession, consent_id: str) -> Consent | None:
    try:
        return await session.get(Consent, uuid.UUID(consent_id))
    except ValueError:
        return None


def check_fetch(consent: Consent | None, client_id: str, member_id: str) -> str:
    """Why a fetch of ``member_id`` by ``client_id`` under ``consent`` is refused; "" if not."""
    if consent is None or consent.client_id != client_id or consent.member_id != member_id:
        return "no_consent"
    return {"active": "", "expired": "consent_expired", "revoked": "consent_revoked"}.get(
        status_of(consent), "consent_pending"
    )
