"""Registered API clients (departments, banks) of the state, managed by the State Admin.

The secret is in the answer of registration and rotation only; LokOS keeps none (the identity
provider holds it). Revoking refuses the client's next call at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, status
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, Field

from gateway.auth import allow
from gateway.inputs import Text
from gateway.routes.common import ServiceClients, metadata, problem_responses
from lokos import catalogue
from lokos.identity.v1 import identity_pb2
from lokos.principal import Principal

router = APIRouter(tags=["api clients"], responses=problem_responses(404))

Registrar = Annotated[Principal, Depends(allow(catalogue.API_CLIENT_REGISTRARS))]
ClientId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9-]+$")]
Scope = Literal["aggregates", "shg-credit-history", "member-history"]


class ApiClientIn(BaseModel):
    name: Text = Field(min_length=2, max_length=128, examples=["Lucknow DCCB"])
    kind: Literal["department", "bank", "service_provider"]
    scopes: list[Scope] = Field(min_length=1, max_length=3)
    rate_per_minute: int | None = Field(
        default=None, ge=1, le=6000, description="Requests a minute; default: the state's"
    )


class ApiClientOut(BaseModel):
    client_id: str
    realm: str
    name: str
    kind: str
    scopes: list[str]
    status: Literal["active", "revoked"]
    created_by: str
    created_at: datetime | None
    secret_rotated_at: datetime | None
    revoked_at: datetime | None
    rate_per_minute: int


class ApiClientSecretOut(BaseModel):
    client: ApiClientOut
    client_secret: str = Field(description="Shown once: store it now; rotate if it is lost")
    token_endpoint: str


class ApiCallOut(BaseModel):
    id: int
    at: datetime | None
    client_id: str
    method: str
    path: str
    consent_id: str
    request_id: str
    outcome: str


def _time(ts: Timestamp, present: bool) -> datetime | None:
    return ts.ToDatetime(tzinfo=UTC) if present else None


def client_out(c: identity_pb2.ApiClientView) -> ApiClientOut:
    return ApiClientOut(
        client_id=c.client_id,
        realm=c.realm,
        name=c.name,
        kind=c.kind,
        scopes=list(c.scopes),
        status="revoked" if c.status == "revoked" else "active",
        created_by=c.created_by,
        created_at=_time(c.created_at, c.HasField("created_at")),
        secret_rotated_at=_time(c.secret_rotated_at, c.HasField("secret_rotated_at")),
        revoked_at=_time(c.revoked_at, c.HasField("revoked_at")),
        rate_per_minute=c.rate_per_minute,
    )


def _secret_out(s: identity_pb2.ApiClientSecret) -> ApiClientSecretOut:
    return ApiClientSecretOut(
        client=client_out(s.client), client_secret=s.secret, token_endpoint=s.token_endpoint
    )


@router.post("/api-clients", status_code=status.HTTP_201_CREATED)
async def register_api_client(
    body: ApiClientIn, admin: Registrar, c: ServiceClients
) -> ApiClientSecretOut:
    answer = await c.identity.RegisterApiClient(
        identity_pb2.RegisterApiClientRequest(
            name=body.name,
            kind=body.kind,
            scopes=body.scopes,
            rate_per_minute=body.rate_per_minute or 0,
        ),
        metadata=metadata(admin),
        timeout=c.deadline,
    )
    return _secret_out(answer)


@router.get("/api-clients")
async def list_api_clients(admin: Registrar, c: ServiceClients) -> list[ApiClientOut]:
    answer = await c.identity.ListApiClients(
        identity_pb2.ListApiClientsRequest(), metadata=metadata(admin), timeout=c.deadline
    )
    return [client_out(x) for x in answer.clients]


@router.post("/api-clients/{client_id}/secret")
async def rotate_api_client_secret(
    client_id: ClientId, admin: Registrar, c: ServiceClients
) -> ApiClientSecretOut:
    answer = await c.identity.RotateApiClientSecret(
        identity_pb2.ApiClientRef(client_id=client_id), metadata=metadata(admin), timeout=c.deadline
    )
    return _secret_out(answer)


@router.post("/api-clients/{client_id}/revoke")
async def revoke_api_client(
    client_id: ClientId, admin: Registrar, c: ServiceClients
) -> ApiClientOut:
    answer = await c.identity.RevokeApiClient(
        identity_pb2.ApiClientRef(client_id=client_id), metadata=metadata(admin), timeout=c.deadline
    )
    return client_out(answer)


@router.get("/api-clients/{client_id}/calls")
async def list_api_calls(
    client_id: ClientId,
    admin: Registrar,
    c: ServiceClients,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ApiCallOut]:
    answer = await c.identity.ListApiCalls(
        identity_pb2.ListApiCallsRequest(client_id=client_id, limit=limit),
        metadata=metadata(admin),
        timeout=c.deadline,
    )
    return [call_out(x) for x in answer.calls]


def call_out(x: identity_pb2.ApiCallView) -> ApiCallOut:
    return ApiCallOut(
        id=x.id,
        at=_time(x.at, x.HasField("at")),
        client_id=x.client_id,
        method=x.method,
        path=x.path,
        consent_id=x.consent_id,
        request_id=x.request_id,
        outcome=x.outcome,
    )
