"""Registered API clients: departments and banks calling the external report API.

A state admin registers a client of the state's realm: identity creates it at the identity
provider (a confidential client with a service account, client-credentials grant only),
keeps its name, kind, data scopes and status here, and hands the secret back once. Rotating
makes a new secret (the old one stops working); revoking disables the client at the provider
(no new tokens) and marks it revoked here, which the gateway checks on every call
(:func:`authorise_call`), so tokens already issued stop working at once too.

Every external call is recorded in ``api_call`` with the client id (and the consent id when it
reads member-level data), allowed or refused; every registration, rotation and revocation in
the audit log.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from lokos import catalogue, context
from lokos.audit import record_audit
from lokos.errors import FieldError, NotFound, PermissionDenied, Unauthenticated, ValidationFailed
from lokos.principal import Principal
from services.identity import consents
from services.identity.flows import realm_for
from services.identity.idp.port import IdentityProvider
from services.identity.models import ApiCall, ApiClient, Consent, audit_log

NAME_MAX = 128
PATH_MAX = 512
LIST_MAX = 500
RATE_MAX = 6000
CONSENT_REFUSALS = {
    "no_consent": "no consent of the member for this client",
    "consent_pending": "the member has not given this consent yet",
    "consent_expired": "this consent has expired",
    "consent_revoked": "this consent was revoked",
}
_NAME_RE = re.compile(r"^[^\x00-\x1f\x7f]{2,128}$")


@dataclass(frozen=True)
class Registered:
    client: ApiClient
    secret: str


def _now() -> datetime:
    return datetime.now(UTC)


def _check_registrar(actor: Principal) -> None:
    """Only a state admin of this state (a state-wide grant) manages its API clients."""
    if not any(
        g.role in catalogue.API_CLIENT_REGISTRARS and g.scope.level == "state" for g in actor.roles
    ):
        raise PermissionDenied(
            "only the State Admin registers API clients", code="api_client_not_allowed"
        )


def _registration_errors(name: str, kind: str, scopes: list[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    if not _NAME_RE.fullmatch(name.strip()) or name != name.strip():
        errors.append(
            FieldError("name", "2-128 characters, no control characters or outer spaces", "format")
        )
    if kind not in catalogue.API_CLIENT_KINDS:
        errors.append(
            FieldError("kind", f"must be one of {', '.join(catalogue.API_CLIENT_KINDS)}", "enum")
        )
    unknown = sorted(set(scopes) - set(catalogue.API_SCOPES))
    if not scopes or unknown:
        errors.append(
            FieldError(
                "scopes",
                f"one or more of {', '.join(catalogue.API_SCOPES)}"
                + (f" (not {', '.join(unknown)})" if unknown else ""),
                "enum",
            )
        )
    return errors


def _client_id(state: str, name: str) -> str:
    """``ext-<state>-<name words>-<random>``: readable in logs, unguessable, unique."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:24].strip("-") or "client"
    return f"ext-{state}-{slug}-{secrets.token_hex(3)}"


def _snapshot(client: ApiClient) -> dict[str, object]:
    return {
        "name": client.name,
        "kind": client.kind,
        "scopes": list(client.scopes),
        "status": client.status,
    }


async def register(
    session: AsyncSession,
    idp: IdentityProvider,
    actor: Principal,
    *,
    name: str,
    kind: str,
    scopes: list[str],
    rate_per_minute: int,
) -> Registered:
    _check_registrar(actor)
    scopes = list(dict.fromkeys(scopes))
    errors = _registration_errors(name, kind, scopes)
    if not 1 <= rate_per_minute <= RATE_MAX:
        errors.append(FieldError("rate_per_minute", f"must be 1-{RATE_MAX}", "range"))
    if errors:
        raise ValidationFailed(errors)
    realm = realm_for("state", actor.state)
    client = ApiClient(
        client_id=_client_id(actor.state, name),
        realm=realm,
        state=actor.state,
        name=name,
        kind=kind,
        scopes=scopes,
        status="active",
        created_by=actor.user_id,
        created_at=_now(),
        revoked_by="",
        rate_per_minute=rate_per_minute,
    )
    session.add(client)
    await session.flush()
    await record_audit(
        session,
        audit_log,
        action="api_client.registered",
        entity="api_client",
        entity_id=client.client_id,
        after=_snapshot(client),
    )
    # The provider last: a failure there rolls back the row; the secret is never stored here.
    secret = await idp.create_service_client(
        realm,
        client.client_id,
        name=name,
        attributes={"lokos.kind": kind, "lokos.scopes": " ".join(scopes)},
    )
    await session.commit()
    return Registered(client, secret)


async def _managed(session: AsyncSession, actor: Principal, client_id: str) -> ApiClient:
    _check_registrar(actor)
    client = await session.get(ApiClient, client_id, with_for_update=True)
    if client is None or client.state != actor.state:
        raise NotFound(f"no API client {client_id}", code="api_client_not_found")
    return client


async def rotate_secret(
    session: AsyncSession, idp: IdentityProvider, actor: Principal, client_id: str
) -> Registered:
    client = await _managed(session, actor, client_id)
    if client.status != "active":
        raise PermissionDenied(
            "a revoked client gets no new secret; register a new one", code="api_client_revoked"
        )
    client.secret_rotated_at = _now()
    await record_audit(
        session,
        audit_log,
        action="api_client.secret_rotated",
        entity="api_client",
        entity_id=client.client_id,
    )
    secret = await idp.rotate_client_secret(client.realm, client.client_id)
    await session.commit()
    return Registered(client, secret)


async def revoke(
    session: AsyncSession, idp: IdentityProvider, actor: Principal, client_id: str
) -> ApiClient:
    """Revoke for good: the gateway refuses the client's next call, whatever its token."""
    client = await _managed(session, actor, client_id)
    if client.status == "revoked":
        return client
    before = _snapshot(client)
    client.status = "revoked"
    client.revoked_at = _now()
    client.revoked_by = actor.user_id
    await record_audit(
        session,
        audit_log,
        action="api_client.revoked",
        entity="api_client",
        entity_id=client.client_id,
        before=before,
        after=_snapshot(client),
    )
    # Committed first: from this moment the gateway refuses the client, even if disabling it
    # at the provider (which only stops new tokens) fails and has to be retried.
    await session.commit()
    await idp.set_client_enabled(client.realm, client.client_id, False)
    return client


async def list_clients(session: AsyncSession, actor: Principal) -> list[ApiClient]:
    _check_registrar(actor)
    q = (
        select(ApiClient)
        .where(ApiClient.state == actor.state)
        .order_by(ApiClient.created_at.desc())
        .limit(LIST_MAX)
    )
    return list((await session.execute(q)).scalars())


async def authorise_call(
    session: AsyncSession,
    *,
    realm: str,
    client_id: str,
    method: str,
    path: str,
    consent_id: str,
    member_id: str = "",
) -> tuple[ApiClient, Consent | None]:
    """The active client ``client_id`` of ``realm`` (and, for member-level data, the consent
    that lets it read ``member_id``); the call is recorded whatever the answer.

    Only the gateway (a system principal) asks. An unknown client (another realm's, or one of
    the realm's own apps) is ``Unauthenticated``; a revoked one, or a member-level read without
    an active consent of this client for this member, ``PermissionDenied``.
    """
    context.service_caller()
    client = await session.get(ApiClient, client_id)
    consent: Consent | None = None
    outcome = "allowed"
    if client is None or client.realm != realm:
        outcome = "unknown"
    elif client.status != "active":
        outcome = "revoked"
    elif member_id:
        consent = await consents.find(session, consent_id)
        outcome = consents.check_fetch(consent, client_id, member_id) or "allowed"
    # The call's log row does not wait for its WAL flush (asynchronous commit, this transaction
    # only): it is on every external call's path, and PostgreSQL loses at most the last moments
    # of such rows in a crash, never corrupts them. Decisions (registrations, revocations,
    # consents) keep synchronous commits.
    await session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    session.add(
        ApiCall(
            client_id=client_id[:64],
            method=method[:8],
            path=path[:PATH_MAX],
            consent_id=consent_id[:64],
            request_id=context.request_id(),
            outcome=outcome,
        )
    )
    await session.commit()
    if outcome == "unknown":
        raise Unauthenticated(
            "this token's client is not a registered API client", code="api_client_unknown"
        )
    if outcome == "revoked":
        raise PermissionDenied("this API client has been revoked", code="api_client_revoked")
    if outcome != "allowed":
        raise PermissionDenied(
            CONSENT_REFUSALS.get(outcome, "no consent of the member for this client"),
            code=outcome,
        )
    assert client is not None
    return client, consent


async def list_calls(
    session: AsyncSession, actor: Principal, *, client_id: str, consent_id: str, limit: int
) -> list[ApiCall]:
    """The latest calls of a client (for the state admin), or under a consent (also for those
    who see the member: her bookkeeper, her block's staff), newest first."""
    if consent_id and not client_id:
        await consents.get(session, actor, consent_id)  # NotFound unless she is in reach
    else:
        _check_registrar(actor)
    q = select(ApiCall).order_by(ApiCall.id.desc()).limit(max(1, min(limit or 100, LIST_MAX)))
    if client_id:
        owned = await session.get(ApiClient, client_id)
        if owned is None or owned.state != actor.state:
            raise NotFound(f"no API client {client_id}", code="api_client_not_found")
        q = q.where(ApiCall.client_id == client_id)
    if consent_id:
        q = q.where(ApiCall.consent_id == consent_id)
    if not client_id and not consent_id:
        raise ValidationFailed.one("client_id", "name a client or a consent", "required")
    return list((await session.execute(q)).scalars())
