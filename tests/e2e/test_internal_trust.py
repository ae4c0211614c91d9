"""Internal trust: a process that reaches a service's gRPC port is nobody until it shows a
principal signed with the deployment's keys, for this request, within its minute.

Each service is called directly over gRPC, as an attacker on the network would: without a
principal, with the unsigned principal every service used to believe, with one signed by a key
that is not the deployment's, with an expired one and with one signed for another request.
Then the findings of issue 9, replayed: forged national admins, state admins and block
programme managers change nothing, and identity tells no one who a user is but a LokOS service.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from launcher.platform import Platform
from lokos.dedup.v1 import dedup_pb2, dedup_pb2_grpc
from lokos.identity.v1 import identity_pb2, identity_pb2_grpc
from lokos.principal import (
    METADATA_KEY,
    UNSIGNED_METADATA_KEY,
    KeyRing,
    Principal,
    RoleGrant,
    Scope,
)
from lokos.profiles.v1 import profiles_pb2, profiles_pb2_grpc
from lokos.reports.v1 import reports_pb2, reports_pb2_grpc
from lokos.rpc import call_metadata, channel, check_health, service_metadata
from tests.conftest import Api
from tests.e2e.identity_helpers import create_user, login, new_code
from tests.e2e.profiles.profile_helpers import (
    ALL_IDENTIFIERS_OK,
    PW,
    add_member,
    h,
    make_block,
    new_shg,
    submit,
)

Metadata = tuple[tuple[str, str | bytes], ...]

STATE_ADMIN = Principal(
    "UP_STATEADMIN", "up", "lokos-up", (RoleGrant("STATE_ADMIN", Scope("state")),)
)
NATIONAL_ADMIN = Principal(
    "NATIONAL_ADMIN",
    "national",
    "lokos-national",
    (RoleGrant("NATIONAL_ADMIN", Scope("national")),),
)


# --- what an attacker sends -------------------------------------------------------------------


def _unsigned(p: Principal, rid: str, platform: Platform) -> Metadata:
    """The old format: a serialized Principal, believed as it was."""
    return (("x-request-id", rid), (UNSIGNED_METADATA_KEY, p.to_metadata()))


def _wrong_key(p: Principal, rid: str, platform: Platform) -> Metadata:
    """Signed like the gateway signs, with the deployment's key id but a key of one's own."""
    own = KeyRing([(platform.principal_keys().signing_kid, os.urandom(32))])
    return (("x-request-id", rid), (METADATA_KEY, own.sign(p, rid)))


def _expired(p: Principal, rid: str, platform: Platform) -> Metadata:
    """A genuine signature, an hour old (captured earlier, replayed now)."""
    old = platform.principal_keys().sign(p, rid, now=time.time() - 3600)
    return (("x-request-id", rid), (METADATA_KEY, old))


def _rebound(p: Principal, rid: str, platform: Platform) -> Metadata:
    """A genuine, fresh signature for another request, replayed on this one."""
    other = platform.principal_keys().sign(p, f"{rid}-earlier")
    return (("x-request-id", rid), (METADATA_KEY, other))


def _none(p: Principal, rid: str, platform: Platform) -> Metadata:
    return (("x-request-id", rid),)


Attack = Callable[[Principal, str, Platform], Metadata]
ATTACKS: dict[str, tuple[Attack, str]] = {
    "no principal": (_none, "principal_missing"),
    "unsigned principal": (_unsigned, "principal_unsigned"),
    "another key": (_wrong_key, "principal_forged"),
    "expired": (_expired, "principal_expired"),
    "another request": (_rebound, "principal_request_mismatch"),
}
FORGERIES = {name: ATTACKS[name] for name in ("unsigned principal", "another key")}


def _reason(err: grpc.aio.AioRpcError) -> str:
    """The domain error code (google.rpc.ErrorInfo reason) of a refused call."""
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            info = error_details_pb2.ErrorInfo()
            for detail in status_pb2.Status.FromString(value).details:
                if detail.Unpack(info):
                    return info.reason
    return ""


async def _refused(call: Callable[[], object], code: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call()  # type: ignore[misc]
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED, err.value
    assert _reason(err.value) == code


# --- every service refuses ---------------------------------------------------------------------


def _probe(service: str, ch: grpc.aio.Channel) -> Callable[[Metadata], object]:
    """One harmless call on each service (transactions has no methods yet: any name will do,
    and the refusal must come before the service looks the method up)."""
    if service == "identity":
        stub = identity_pb2_grpc.IdentityServiceStub(ch)
        return lambda md: stub.SearchUsers(identity_pb2.SearchUsersRequest(), metadata=md)
    if service == "profiles":
        profiles = profiles_pb2_grpc.ProfilesServiceStub(ch)
        return lambda md: profiles.ListMasters(profiles_pb2.ListMastersRequest(), metadata=md)
    if service == "dedup":
        dedup = dedup_pb2_grpc.DedupServiceStub(ch)
        return lambda md: dedup.GetRules(dedup_pb2.GetRulesRequest(), metadata=md)
    if service == "reports":
        reports = reports_pb2_grpc.ReportsServiceStub(ch)
        request = reports_pb2.GetDashboardRequest()
        return lambda md: reports.GetDashboard(request, metadata=md)
    method = ch.unary_unary("/lokos.transactions.v1.TransactionsService/RecordMeeting")
    return lambda md: method(b"", metadata=md)


SERVICES = ("identity", "profiles", "dedup", "transactions", "reports")


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("service", SERVICES)
async def test_every_service_refuses_what_the_gateway_did_not_sign(
    api: Api, service: str, attack: str
) -> None:
    make, code = ATTACKS[attack]
    async with grpc.aio.insecure_channel(api.platform.grpc_target(service)) as ch:
        probe = _probe(service, ch)
        await _refused(
            lambda: probe(make(STATE_ADMIN, f"trust-{uuid.uuid4()}", api.platform)), code
        )


@pytest.mark.parametrize("service", SERVICES)
async def test_a_principal_the_gateway_signed_gets_through(api: Api, service: str) -> None:
    """The control: the same call, signed with the deployment's key for this request."""
    async with grpc.aio.insecure_channel(api.platform.grpc_target(service)) as ch:
        probe = _probe(service, ch)
        md = call_metadata(STATE_ADMIN, f"trust-{uuid.uuid4()}")
        if service == "transactions":
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await probe(md)  # type: ignore[misc]
            assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
        else:
            await probe(md)  # type: ignore[misc]


# --- the findings, replayed --------------------------------------------------------------------


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_a_forged_national_admin_cannot_create_a_state_admin(api: Api, forgery: str) -> None:
    make, code = FORGERIES[forgery]
    user_id = f"UP_SA{new_code(6)}"
    request = identity_pb2.CreateUserRequest(
        user_id=user_id,
        name="Intruder",
        mobile="9876500000",
        password=PW,
        roles=[
            identity_pb2.RoleSpec(role="STATE_ADMIN", scope=identity_pb2.ScopeSpec(level="state"))
        ],
    )
    async with grpc.aio.insecure_channel(api.platform.grpc_target("identity")) as ch:
        stub = identity_pb2_grpc.IdentityServiceStub(ch)
        await _refused(
            lambda: stub.CreateUser(request, metadata=make(NATIONAL_ADMIN, "t", api.platform)),
            code,
        )
    assert api.get(f"/v1/users/{user_id}").status_code == 404
    assert login(api.http, user_id, PW).status_code == 401


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_a_forged_state_admin_cannot_reset_a_password(api: Api, forgery: str) -> None:
    make, code = FORGERIES[forgery]
    district = new_code(8)
    r = api.post("/v1/geography/districts", {"lgd_code": district, "name": f"D{district}"})
    assert r.status_code == 201, r.text
    admin = f"UP_DA{new_code(6)}"
    r = create_user(api.http, api.token, admin, "DISTRICT_ADMIN", "district", [district])
    assert r.status_code == 201, r.text
    request = identity_pb2.ResetPasswordRequest(user_id=admin, new_password="Taken@2024")
    async with grpc.aio.insecure_channel(api.platform.grpc_target("identity")) as ch:
        stub = identity_pb2_grpc.IdentityServiceStub(ch)
        await _refused(
            lambda: stub.ResetPassword(request, metadata=make(STATE_ADMIN, "t", api.platform)),
            code,
        )
    assert login(api.http, admin, "Taken@2024").status_code == 401
    assert login(api.http, admin, "Lokos@2024").status_code == 200


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_a_forged_block_programme_manager_cannot_approve(api: Api, forgery: str) -> None:
    make, code = FORGERIES[forgery]
    blk = make_block(api)
    shg = new_shg(api.http, blk.admin, blk)
    member = add_member(api.http, blk.admin, str(shg["id"]), 1)
    s = submit(api.http, blk.admin, "member", member)
    assert s.status_code == 201, s.text
    bpm = Principal(
        blk.bpm_id,
        "up",
        "lokos-up",
        (RoleGrant("BLOCK_PROGRAM_MANAGER", Scope("block", frozenset({blk.block}))),),
    )
    request = profiles_pb2.DecisionRequest(
        id=s.json()["id"],
        identifiers=[
            profiles_pb2.IdentifierCheck(identifier=i["identifier"], status=i["status"])
            for i in ALL_IDENTIFIERS_OK
        ],
    )
    async with grpc.aio.insecure_channel(api.platform.grpc_target("profiles")) as ch:
        stub = profiles_pb2_grpc.ProfilesServiceStub(ch)
        await _refused(lambda: stub.Approve(request, metadata=make(bpm, "t", api.platform)), code)
    after = api.http.get(f"/v1/submissions/{s.json()['id']}", headers=h(blk.bpm))
    assert after.status_code == 200 and after.json()["status"] == "pending", after.text


async def test_identity_says_who_a_user_is_only_to_lokos_services(api: Api) -> None:
    request = identity_pb2.GetPrincipalRequest(realm="lokos-up", user_id="UP_STATEADMIN")
    login_request = identity_pb2.LoginRequest(
        entry="state", user_id="UP_STATEADMIN", password="Demo@12345", client="web"
    )
    async with grpc.aio.insecure_channel(api.platform.grpc_target("identity")) as ch:
        stub = identity_pb2_grpc.IdentityServiceStub(ch)
        await _refused(
            lambda: stub.GetPrincipal(request, metadata=(("x-request-id", "t"),)),
            "principal_missing",
        )
        # A user's genuine principal is not a service identity: users do not look others up.
        for call in (
            lambda: stub.GetPrincipal(request, metadata=call_metadata(STATE_ADMIN, "t")),
            lambda: stub.Login(login_request, metadata=call_metadata(STATE_ADMIN, "t")),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await call()
            assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
            assert _reason(err.value) == "service_identity_required"
        answer = await stub.GetPrincipal(request, metadata=service_metadata("t"))
        assert answer.principal.user_id == "UP_STATEADMIN"
        assert (await stub.Login(login_request, metadata=service_metadata("t"))).tokens.access_token


@pytest.mark.parametrize("service", SERVICES)
async def test_health_needs_no_principal(api: Api, service: str) -> None:
    async with grpc.aio.insecure_channel(api.platform.grpc_target(service)) as ch:
        assert await check_health(ch)


async def test_a_principal_mapped_to_a_thousand_cbos_still_gets_through(api: Api) -> None:
    """A user with many mapped units signs a principal larger than gRPC's 16 KiB metadata
    default; the services and their channels accept it (lokos.rpc.METADATA_OPTIONS)."""
    codes = frozenset(str(uuid.uuid4()) for _ in range(1000))
    big = Principal(
        "UP_BIGBK",
        "up",
        "lokos-up",
        (
            RoleGrant("STATE_ADMIN", Scope("state")),
            RoleGrant("SHG_BOOKKEEPER", Scope("village", codes)),
        ),
    )
    md = call_metadata(big, f"trust-{uuid.uuid4()}")
    assert sum(len(v) for _, v in md) > 16 * 1024
    ch = channel(api.platform.grpc_target("reports"))
    try:
        reports = reports_pb2_grpc.ReportsServiceStub(ch)
        answer = await reports.GetDashboard(reports_pb2.GetDashboardRequest(), metadata=md)
        assert answer.state == "up"
    finally:
        await ch.close(None)
