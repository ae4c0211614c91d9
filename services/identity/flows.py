"""Multi-step identity workflows: login with lockout and mobile device binding by SMS OTP,
refresh, logout, own password change, and a Block Admin's device management.

One device per user: a mobile login from any other device gets an OTP challenge instead of
tokens; the OTP binds the new device and ends every session of the old one. The binding lives
here, not in Keycloak (which has no SMS OTP and limits sessions, not devices).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import NoReturn

from sqlalchemy.ext.asyncio import AsyncSession

from lokos import catalogue
from lokos.audit import record_audit
from lokos.errors import (
    FieldError,
    Locked,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    ValidationFailed,
)
from lokos.principal import Principal
from services.identity import events, repository, rules
from services.identity.deps import Deps
from services.identity.idp.port import InvalidCredentials, TokenSet
from services.identity.models import Device, OtpChallenge, User, audit_log
from services.identity.service import _manageable

CLIENTS = catalogue.CHANNEL_CLIENTS
_DEVICE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
# What a typed user ID may hold (it is upper-cased before the look-up); NUL and other control
# characters never reach the database or the provider.
_LOGIN_USER_ID = re.compile(r"^[A-Za-z0-9_]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class LoginInput:
    entry: str
    user_id: str
    password: str
    client: str
    device_id: str = ""
    challenge_id: str = ""
    otp: str = ""


@dataclass(frozen=True)
class Challenge:
    challenge_id: str
    sent_to: str
    expires_in: int
    attempts_left: int


def realm_for(entry: str, state: str) -> str:
    return "lokos-national" if entry == "national" else f"lokos-{state}"


def _input_errors(req: LoginInput) -> list[FieldError]:
    errors = []
    if req.entry not in ("national", "state"):
        errors.append(FieldError("entry", "must be national or state", "enum"))
    if req.client not in CLIENTS:
        errors.append(FieldError("client", "must be web or mobile", "enum"))
    if not req.user_id or len(req.user_id) > rules.USER_ID_MAX:
        errors.append(FieldError("user_id", "is required (at most 48 characters)", "required"))
    elif not _LOGIN_USER_ID.match(req.user_id):
        errors.append(FieldError("user_id", "may hold only A–Z, 0–9 and _", "format"))
    if not req.password or len(req.password) > 128:
        errors.append(FieldError("password", "is required (at most 128 characters)", "required"))
    elif _CONTROL.search(req.password):
        errors.append(FieldError("password", "must not hold control characters", "format"))
    if req.client == "mobile" and not _DEVICE_ID.match(req.device_id):
        errors.append(
            FieldError(
                "device_id", "mobile logins name the device: 8–128 of A–Z a–z 0–9 . _ : -", "format"
            )
        )
    if req.otp and not re.fullmatch(r"[0-9]{6}", req.otp):
        errors.append(FieldError("otp", "is 6 digits", "format"))
    if req.otp and not req.challenge_id:
        errors.append(FieldError("challenge_id", "is required with an OTP", "required"))
    return errors


def _otp_hash(key: bytes, challenge_id: str, code: str) -> str:
    return hmac.new(key, f"{challenge_id}:{code}".encode(), hashlib.sha256).hexdigest()


# One answer for every refused password login, whatever the reason (unknown user, another
# realm's user, inactive user, wrong password): nothing tells an attacker which user IDs exist.
LOGIN_REFUSED = "Wrong user ID or password"


def _locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > _now()


async def login(session: AsyncSession, deps: Deps, req: LoginInput) -> TokenSet | Challenge:
    errors = _input_errors(req)
    if errors:
        raise ValidationFailed(errors)
    started = time.monotonic()
    realm = realm_for(req.entry, deps.settings.state)
    user_id = req.user_id.strip().upper()
    client_id = CLIENTS[req.client]
    found = await repository.get_user(session, user_id, for_update=True)
    user = found if found is not None and found.realm == realm else None
    if user is not None and _locked(user):
        raise Locked(
            "too many wrong passwords: the account is locked; try later or ask your admin",
            code="account_locked",
            extra={"locked_until": user.locked_until.isoformat() if user.locked_until else ""},
        )
    if user is not None and user.locked_until is not None:
        # The lock ran out: lift it at the provider too before trying the password there.
        await _lift_lock(deps, user)
        user.locked_until = None
    # Unknown and inactive users go to the provider too: the same work as a wrong password
    # (the provider checks a dummy hash for unknown names), and the same answer below.
    try:
        tokens = await deps.idp.password_login(realm, client_id, user_id, req.password)
    except InvalidCredentials:
        if user is not None and user.status == "active":
            await _count_failure(session, deps, user)
        await _refuse_after(session, started, deps.settings.login_refusal_seconds)
    if user is None or user.status != "active":
        # The provider knows a user identity does not (or no longer) let in.
        await deps.idp.logout(realm, client_id, tokens.refresh_token)
        await _refuse_after(session, started, deps.settings.login_refusal_seconds)
    roles = [g.role for g in await repository.open_grants(session, user.user_id)]
    if req.client not in catalogue.channels_of(roles):
        await deps.idp.logout(realm, client_id, tokens.refresh_token)
        allowed = " or ".join(sorted(catalogue.channels_of(roles))) or "no channel"
        raise PermissionDenied(
            f"your roles may not log in through {req.client}; use {allowed}",
            code="channel_not_allowed",
        )
    user.failed_logins = 0
    user.lockouts = 0
    tokens = replace(tokens, password_change_required=user.password_change_required)
    if req.client == "web":
        await events.user_changed(session, user, "login")
        await session.commit()
        return tokens
    return await _mobile(session, deps, user, req, realm, client_id, tokens)


async def _refuse_after(session: AsyncSession, started: float, floor: float) -> NoReturn:
    """Refuse the login no sooner than ``floor`` seconds after ``started`` (row locks released
    first): every refusal takes the same time, whatever the reason."""
    await session.rollback()
    await asyncio.sleep(max(0.0, started + floor - time.monotonic()))
    raise InvalidCredentials(LOGIN_REFUSED)


async def _count_failure(session: AsyncSession, deps: Deps, user: User) -> None:
    """One more wrong password; the last one allowed locks the account, each lock in a row
    longer than the one before, and the provider is told (its token endpoint refuses too)."""
    s = deps.settings
    user.failed_logins += 1
    if user.failed_logins >= s.max_failed_logins:
        user.lockouts += 1
        wait = rules.lock_seconds(user.lockouts, s.lockout_seconds, s.lockout_max_seconds)
        user.locked_until = _now() + timedelta(seconds=wait)
        user.failed_logins = 0
        await record_audit(
            session,
            audit_log,
            action="user.locked",
            entity="user",
            entity_id=user.user_id,
            after={
                "locked_until": user.locked_until.isoformat(),
                "reason": "wrong passwords",
                "lockouts": user.lockouts,
            },
        )
        await events.user_changed(session, user, "locked")
        await deps.idp.set_enabled(user.realm, user.user_id, False)
    await session.commit()


async def _lift_lock(deps: Deps, user: User) -> None:
    """Undo at the provider what a lock did there (the user's status decides ``enabled``)."""
    await deps.idp.set_enabled(user.realm, user.user_id, user.status == "active")
    await deps.idp.clear_login_failures(user.realm, user.user_id)


async def _mobile(
    session: AsyncSession,
    deps: Deps,
    user: User,
    req: LoginInput,
    realm: str,
    client_id: str,
    tokens: TokenSet,
) -> TokenSet | Challenge:
    device = await repository.get_device(session, user.user_id)
    if device is not None and device.device_id == req.device_id:
        if device.status == "approved":
            device.status = "bound"
            await _audit_device(
                session, user, "device.bound", None, req.device_id, "approved replacement"
            )
            await events.user_changed(session, user, "device")
        await repository.add_device_session(session, tokens.session_id, user.user_id, req.device_id)
        await events.user_changed(session, user, "login")
        await session.commit()
        return tokens
    # Another device: this session is not for use until an OTP proves the phone.
    await deps.idp.logout(realm, client_id, tokens.refresh_token)
    if not req.otp:
        return await _challenge(session, deps, user, req.device_id)
    await _verify_otp(session, deps, user, req)
    old = device.device_id if device is not None else None
    await repository.set_device(session, user.user_id, req.device_id, "bound")
    await repository.end_device_sessions(session, user.user_id)
    await deps.idp.end_sessions(realm, user.user_id)
    fresh = await deps.idp.password_login(realm, client_id, user.user_id, req.password)
    fresh = replace(fresh, password_change_required=user.password_change_required)
    await repository.add_device_session(session, fresh.session_id, user.user_id, req.device_id)
    await _audit_device(session, user, "device.bound", old, req.device_id, "SMS OTP")
    await events.user_changed(session, user, "device")
    await events.user_changed(session, user, "login")
    await session.commit()
    return fresh


async def _challenge(session: AsyncSession, deps: Deps, user: User, device_id: str) -> Challenge:
    s = deps.settings
    if not user.mobile:
        raise PermissionDenied(
            "no mobile number is registered for OTP; ask your Block Admin", code="no_mobile"
        )
    recent = await repository.latest_challenges(session, user.user_id, _now() - timedelta(hours=1))
    if len(recent) >= s.otp_max_per_hour:
        raise RateLimited("too many OTPs this hour; try later", code="otp_rate_limited")
    if recent and (_now() - recent[0].created_at).total_seconds() < s.otp_resend_interval_seconds:
        wait = s.otp_resend_interval_seconds - int((_now() - recent[0].created_at).total_seconds())
        raise RateLimited(
            f"an OTP was sent moments ago; ask again in {wait}s",
            code="otp_resend_too_soon",
            extra={"retry_after": str(max(wait, 1))},
        )
    challenge_id = uuid.uuid4()
    code = f"{secrets.randbelow(10**6):06d}"
    session.add(
        OtpChallenge(
            id=challenge_id,
            user_id=user.user_id,
            device_id=device_id,
            code_hash=_otp_hash(deps.otp_key, str(challenge_id), code),
            attempts=0,
            expires_at=_now() + timedelta(seconds=s.otp_ttl_seconds),
        )
    )
    await session.flush()
    await deps.sms.send(
        user.mobile,
        f"{code} is your LokOS OTP to use the app on a new phone. "
        f"Valid {s.otp_ttl_seconds // 60} minutes. Do not share it.",
        user_id=user.user_id,
        purpose="device_binding",
    )
    await session.commit()
    return Challenge(
        str(challenge_id), rules.mask_mobile(user.mobile), s.otp_ttl_seconds, s.otp_max_attempts
    )


async def _verify_otp(session: AsyncSession, deps: Deps, user: User, req: LoginInput) -> None:
    try:
        cid = uuid.UUID(req.challenge_id)
    except ValueError:
        raise ValidationFailed.one(
            "challenge_id", "must be the id the login answered with", "format"
        ) from None
    challenge = await session.get(OtpChallenge, cid, with_for_update=True)
    if (
        challenge is None
        or challenge.user_id != user.user_id
        or challenge.device_id != req.device_id
    ):
        raise Unauthenticated("no such OTP challenge for this user and device", code="otp_unknown")
    if challenge.used_at is not None:
        raise Unauthenticated("this OTP was used already; log in again", code="otp_used")
    if challenge.expires_at <= _now():
        raise Unauthenticated("the OTP expired; log in again for a new one", code="otp_expired")
    if challenge.attempts >= deps.settings.otp_max_attempts:
        raise Unauthenticated(
            "too many wrong OTPs; log in again for a new one", code="otp_attempts_exceeded"
        )
    expected = _otp_hash(deps.otp_key, str(challenge.id), req.otp)
    if not hmac.compare_digest(expected, challenge.code_hash):
        challenge.attempts += 1
        left = deps.settings.otp_max_attempts - challenge.attempts
        await session.commit()
        raise Unauthenticated(
            "wrong OTP", code="otp_invalid", extra={"attempts_left": str(max(left, 0))}
        )
    challenge.used_at = _now()


async def _audit_device(
    session: AsyncSession, user: User, action: str, before: str | None, after: str | None, how: str
) -> None:
    await record_audit(
        session,
        audit_log,
        action=action,
        entity="user",
        entity_id=user.user_id,
        before={"device_id": before} if before else None,
        after={"device_id": after, "how": how} if after else {"how": how},
    )


# --- refresh, logout, own password ----------------------------------------------------------


def _session_of(refresh_token: str) -> tuple[str, str]:
    """``(sid, sub)`` of a refresh token, read without verification: only after the provider
    accepted the token at logout."""
    try:
        payload = refresh_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return str(claims.get("sid", "")), str(claims.get("sub", ""))
    except (IndexError, ValueError, AttributeError):
        return "", ""


def _token_input_errors(entry: str, client: str, refresh_token: str) -> list[FieldError]:
    errors = []
    if entry not in ("national", "state"):
        errors.append(FieldError("entry", "must be national or state", "enum"))
    if client not in CLIENTS:
        errors.append(FieldError("client", "must be web or mobile", "enum"))
    if not refresh_token or len(refresh_token) > 16384:
        errors.append(FieldError("refresh_token", "is required", "required"))
    return errors


async def refresh(deps: Deps, entry: str, client: str, refresh_token: str) -> TokenSet:
    errors = _token_input_errors(entry, client, refresh_token)
    if errors:
        raise ValidationFailed(errors)
    return await deps.idp.refresh(
        realm_for(entry, deps.settings.state), CLIENTS[client], refresh_token
    )


async def logout(
    session: AsyncSession, deps: Deps, entry: str, client: str, refresh_token: str
) -> User | None:
    """End the refresh token's session at the provider and remember it ended, so that the
    gateway refuses its access tokens too; the user whose session it was (``None`` when the
    token no longer worked)."""
    errors = _token_input_errors(entry, client, refresh_token)
    if errors:
        raise ValidationFailed(errors)
    realm = realm_for(entry, deps.settings.state)
    if not await deps.idp.logout(realm, CLIENTS[client], refresh_token):
        return None
    sid, subject = _session_of(refresh_token)
    owner = await repository.device_session_owner(session, sid) if sid else None
    if owner is None and subject:
        owner = await deps.idp.username_of(realm, subject)
    user = await repository.get_user(session, owner.upper()) if owner else None
    if user is None or user.realm != realm or not sid:
        return None
    await repository.end_device_sessions(session, user.user_id, sid)
    await repository.end_session(session, sid, user.user_id)
    memory = timedelta(seconds=deps.settings.ended_session_memory_seconds)
    await repository.forget_ended_sessions(session, _now() - memory)
    await events.user_changed(session, user, "session")
    await session.commit()
    return user


async def change_own_password(
    session: AsyncSession, deps: Deps, actor: Principal, current: str, new: str
) -> User:
    errors = rules.password_errors(new, "new_password")
    if not current:
        errors.append(FieldError("current_password", "is required", "required"))
    if current and current == new:
        errors.append(FieldError("new_password", "must differ from the current one", "unchanged"))
    if errors:
        raise ValidationFailed(errors)
    user = await repository.get_user(session, actor.user_id, for_update=True)
    if user is None:
        raise NotFound("user not found", code="user_not_found")
    try:
        await deps.idp.password_login(user.realm, CLIENTS["web"], user.user_id, current)
    except InvalidCredentials:
        await _count_failure(session, deps, user)
        raise ValidationFailed.one(
            "current_password", "is not your current password", "wrong"
        ) from None
    await deps.idp.set_password(user.realm, user.user_id, new, temporary=False)
    user.password_change_required = False
    user.version += 1
    await record_audit(
        session, audit_log, action="user.password_changed", entity="user", entity_id=user.user_id
    )
    await events.user_changed(session, user, "password")
    await session.commit()
    return user


# --- devices, by admins ---------------------------------------------------------------------


async def get_device(
    session: AsyncSession, actor: Principal, user_id: str
) -> tuple[str, Device | None]:
    uid = user_id.upper()
    if uid != actor.user_id:
        await _manageable(session, actor, uid)
    return uid, await repository.get_device(session, uid)


async def deregister_device(
    session: AsyncSession, deps: Deps, actor: Principal, user_id: str
) -> str:
    record = await _manageable(session, actor, user_id, for_update=True)
    user = record.user
    device = await repository.get_device(session, user.user_id)
    await repository.delete_device(session, user.user_id)
    await repository.end_device_sessions(session, user.user_id)
    await _audit_device(
        session,
        user,
        "device.deregistered",
        device.device_id if device else None,
        None,
        f"by {actor.user_id}",
    )
    await events.user_changed(session, user, "device")
    await deps.idp.end_sessions(user.realm, user.user_id)
    await session.commit()
    return user.user_id


async def approve_replacement(
    session: AsyncSession, deps: Deps, actor: Principal, user_id: str, device_id: str
) -> tuple[str, Device | None]:
    if not _DEVICE_ID.match(device_id):
        raise ValidationFailed.one("device_id", "8–128 of A–Z a–z 0–9 . _ : -", "format")
    record = await _manageable(session, actor, user_id, for_update=True)
    user = record.user
    old = await repository.get_device(session, user.user_id)
    await repository.set_device(session, user.user_id, device_id, "approved")
    await repository.end_device_sessions(session, user.user_id)
    await _audit_device(
        session,
        user,
        "device.replacement_approved",
        old.device_id if old else None,
        device_id,
        f"by {actor.user_id}",
    )
    await events.user_changed(session, user, "device")
    await deps.idp.end_sessions(user.realm, user.user_id)
    await session.commit()
    return user.user_id, await repository.get_device(session, user.user_id)
