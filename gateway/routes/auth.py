"""Login (National and State entries), refresh and logout, through identity.

Mobile logins name their device; a device that is not the user's bound one gets 202 with an
OTP challenge (sent by SMS) instead of tokens, and the same call with ``challenge_id`` and
``otp`` binds it.

Failed logins are counted per client address and per user ID (:mod:`gateway.ratelimit`): past
the limits the route answers 429 with Retry-After before asking identity. A refused login and a
logout drop the user's cached principal here at once (identity's event does it everywhere).
"""

from __future__ import annotations

from typing import Literal

import grpc
from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, Field

from gateway.auth import PrincipalResolver
from gateway.inputs import Text
from gateway.ratelimit import LoginLimiter
from gateway.routes.common import ServiceClients, problem_responses
from lokos.identity.v1 import identity_pb2
from lokos.rpc import error_from_rpc, service_metadata
from lokos.telemetry import current_trace_id

# Answers that count as a failed login (OTP mistakes have their own per-challenge limit).
_FAILED_LOGIN = frozenset({"invalid_credentials", "account_locked"})

router = APIRouter(prefix="/auth", tags=["auth"], responses=problem_responses(423, 429))


class LoginIn(BaseModel):
    user_id: Text = Field(min_length=1, max_length=48, examples=["UP_ALAPURSHGBK"])
    password: Text = Field(min_length=1, max_length=128)
    client: Literal["web", "mobile"] = "web"
    device_id: Text = Field(default="", max_length=128, description="Mobile: this device's id")
    challenge_id: Text = Field(default="", max_length=64)
    otp: Text = Field(default="", max_length=6)


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    token_type: str
    password_change_required: bool = False


class OtpRequiredOut(BaseModel):
    status: Literal["otp_required"] = "otp_required"
    challenge_id: str
    sent_to: str
    expires_in: int
    attempts_left: int


class RefreshIn(BaseModel):
    entry: Literal["national", "state"] = "state"
    client: Literal["web", "mobile"] = "web"
    refresh_token: Text = Field(min_length=1, max_length=16384)


def _tokens(t: identity_pb2.TokenSet) -> TokensOut:
    return TokensOut(
        access_token=t.access_token,
        refresh_token=t.refresh_token,
        expires_in=t.expires_in,
        refresh_expires_in=t.refresh_expires_in,
        token_type=t.token_type,
        password_change_required=t.password_change_required,
    )


async def _login(
    entry: str, body: LoginIn, c: ServiceClients, request: Request, response: Response
) -> TokensOut | OtpRequiredOut:
    limiter: LoginLimiter = request.app.state.login_limiter
    principals: PrincipalResolver = request.app.state.principals
    address = request.client.host if request.client else ""
    user_key = f"{entry}:{body.user_id.upper()}"
    limiter.check(address, user_key)
    try:
        result = await c.identity.Login(
            identity_pb2.LoginRequest(
                entry=entry,
                user_id=body.user_id,
                password=body.password,
                client=body.client,
                device_id=body.device_id,
                challenge_id=body.challenge_id,
                otp=body.otp,
            ),
            metadata=service_metadata(current_trace_id()),
            timeout=c.deadline,
        )
    except grpc.aio.AioRpcError as exc:
        error = error_from_rpc(exc)
        if error.code in _FAILED_LOGIN:
            limiter.failed(address, user_key)
            # A lock may have just begun: this gateway stops serving the user's tokens now.
            principals.forget_user(body.user_id.upper())
        raise error from None
    limiter.succeeded(user_key)
    if result.HasField("otp_required"):
        response.status_code = status.HTTP_202_ACCEPTED
        o = result.otp_required
        return OtpRequiredOut(
            challenge_id=o.challenge_id,
            sent_to=o.sent_to,
            expires_in=o.expires_in,
            attempts_left=o.attempts_left,
        )
    return _tokens(result.tokens)


@router.post(
    "/national/login",
    responses={202: {"model": OtpRequiredOut, "description": "OTP sent; call again with it"}},
)
async def national_login(
    body: LoginIn, c: ServiceClients, request: Request, response: Response
) -> TokensOut | OtpRequiredOut:
    """National entry: NRLM staff."""
    return await _login("national", body, c, request, response)


@router.post(
    "/state/login",
    responses={202: {"model": OtpRequiredOut, "description": "OTP sent; call again with it"}},
)
async def state_login(
    body: LoginIn, c: ServiceClients, request: Request, response: Response
) -> TokensOut | OtpRequiredOut:
    """State entry: state, district and block staff, bookkeepers and approvers."""
    return await _login("state", body, c, request, response)


@router.post("/refresh")
async def refresh(body: RefreshIn, c: ServiceClients) -> TokensOut:
    t = await c.identity.Refresh(
        identity_pb2.RefreshRequest(
            entry=body.entry, client=body.client, refresh_token=body.refresh_token
        ),
        metadata=service_metadata(current_trace_id()),
        timeout=c.deadline,
    )
    return _tokens(t)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(body: RefreshIn, c: ServiceClients, request: Request) -> Response:
    """End the session: its refresh token and its access tokens stop working."""
    ended = await c.identity.Logout(
        identity_pb2.LogoutRequest(
            entry=body.entry, client=body.client, refresh_token=body.refresh_token
        ),
        metadata=service_metadata(current_trace_id()),
        timeout=c.deadline,
    )
    if ended.user_id:
        principals: PrincipalResolver = request.app.state.principals
        principals.forget(ended.realm, ended.user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
