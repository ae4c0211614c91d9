"""Scope is enforced where the data lives: a caller who bypasses the gateway and talks gRPC to
a service directly, with a principal of another block or state, still sees nothing."""

from __future__ import annotations

import uuid

import grpc
import httpx
import pytest

from lokos.principal import Principal, RoleGrant, Scope
from lokos.profiles.v1 import profiles_pb2, profiles_pb2_grpc
from lokos.reports.v1 import reports_pb2, reports_pb2_grpc
from lokos.rpc import call_metadata
from tests.conftest import Api


def _block_user(state: str, block: str, role: str = "BLOCK_PROGRAM_MANAGER") -> Principal:
    return Principal(
        f"{state.upper()}_X",
        state,
        f"lokos-{state}",
        (RoleGrant(role, Scope("block", frozenset({block}))),),
    )


@pytest.fixture
def shg(api: Api) -> dict[str, str]:
    block = api.new_block()
    r = api.create_shg(block, "Kamla SHG")
    assert r.status_code == 201
    return dict(r.json())


async def test_other_blocks_and_states_see_nothing_over_grpc(api: Api, shg: dict[str, str]) -> None:
    async with grpc.aio.insecure_channel(api.platform.grpc_target("profiles")) as ch:
        stub = profiles_pb2_grpc.ProfilesServiceStub(ch)
        own = _block_user("up", shg["block_lgd_code"])
        got = await stub.GetCbo(
            profiles_pb2.GetRequest(id=shg["id"]), metadata=call_metadata(own, "t1")
        )
        assert got.name == "Kamla SHG"
        # Another block of the state may not register there; another state does not know the
        # block at all.
        for stranger, refused in (
            (_block_user("up", "999999"), grpc.StatusCode.PERMISSION_DENIED),
            (_block_user("br", shg["block_lgd_code"]), grpc.StatusCode.INVALID_ARGUMENT),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.GetCbo(
                    profiles_pb2.GetRequest(id=shg["id"]), metadata=call_metadata(stranger, "t2")
                )
            assert err.value.code() == grpc.StatusCode.NOT_FOUND
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.CreateCbo(
                    profiles_pb2.CreateCboRequest(
                        client_id=str(uuid.uuid4()),
                        cbo_type="SHG",
                        block_lgd_code=shg["block_lgd_code"],
                        fields=profiles_pb2.CboFields(name="Intruder SHG"),
                    ),
                    metadata=call_metadata(stranger, "t3"),
                )
            assert err.value.code() == refused
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetCbo(
                profiles_pb2.GetRequest(id=shg["id"]), metadata=call_metadata(None, "t4")
            )
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_dashboard_counts_only_the_callers_blocks(api: Api, shg: dict[str, str]) -> None:
    async with grpc.aio.insecure_channel(api.platform.grpc_target("reports")) as ch:
        stub = reports_pb2_grpc.ReportsServiceStub(ch)
        request = reports_pb2.GetDashboardRequest(block_lgd_code=shg["block_lgd_code"])
        # Another block's dashboard is refused, not answered with zeros.
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetDashboard(
                request, metadata=call_metadata(_block_user("up", "999999"), "t5")
            )
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
        other_state = await stub.GetDashboard(
            request, metadata=call_metadata(_block_user("br", shg["block_lgd_code"]), "t6")
        )
        assert other_state.shgs_formed == 0


def test_dashboard_outside_the_callers_reach_is_403(api: Api) -> None:
    from tests.e2e.profiles.profile_helpers import h, make_block, new_shg

    blk = make_block(api)
    new_shg(api.http, blk.admin, blk)
    other_block = api.new_block()
    assert api.create_shg(other_block).status_code == 201

    def dashboard(token: str, **params: str) -> httpx.Response:
        return api.http.get("/v1/reports/dashboard", params=params, headers=h(token))

    assert dashboard(blk.admin, block_lgd_code=blk.block).status_code == 200
    assert dashboard(blk.admin).status_code == 200  # unfiltered: its own blocks
    for params in (
        {"block_lgd_code": other_block},
        {"block_lgd_code": "999999999"},
        {"district_lgd_code": "99999999"},
        {"district_lgd_code": blk.district},  # a block admin does not reach the whole district
    ):
        r = dashboard(blk.admin, **params)
        assert r.status_code == 403, (params, r.text)
        assert r.json()["code"] == "dashboard_out_of_scope"
    # The state admin reaches every unit of the state.
    assert dashboard(api.token, block_lgd_code=other_block).status_code == 200
