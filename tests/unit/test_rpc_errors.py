"""Domain errors survive the hop through gRPC status details unchanged."""

from __future__ import annotations

import grpc
import pytest
from grpc_status import rpc_status

from lokos.errors import (
    Conflict,
    FieldError,
    Locked,
    LokosError,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)
from lokos.rpc import error_from_rpc, error_to_status


def _as_call_error(err: LokosError) -> grpc.aio.AioRpcError:
    status = rpc_status.to_status(error_to_status(err))
    return grpc.aio.AioRpcError(
        status.code,
        grpc.aio.Metadata(),
        grpc.aio.Metadata(*status.trailing_metadata),
        status.details,
    )


@pytest.mark.parametrize(
    ("err", "code"),
    [
        (NotFound("SHG x not found"), grpc.StatusCode.NOT_FOUND),
        (Conflict("stale version", code="version_conflict"), grpc.StatusCode.ABORTED),
        (Locked("pending approval"), grpc.StatusCode.FAILED_PRECONDITION),
        (PermissionDenied("other block"), grpc.StatusCode.PERMISSION_DENIED),
        (Unauthenticated("no principal"), grpc.StatusCode.UNAUTHENTICATED),
        (Unavailable("down"), grpc.StatusCode.UNAVAILABLE),
    ],
)
def test_round_trip(err: LokosError, code: grpc.StatusCode) -> None:
    call = _as_call_error(err)
    assert call.code() == code
    back = error_from_rpc(call)
    assert type(back) is type(err)
    assert (
        back.code == err.code and back.detail == err.detail and back.http_status == err.http_status
    )


def test_field_errors_survive() -> None:
    err = ValidationFailed(
        [FieldError("name", "must not be empty", "required"), FieldError("block_lgd_code", "bad")]
    )
    back = error_from_rpc(_as_call_error(err))
    assert isinstance(back, ValidationFailed)
    assert back.field_errors == err.field_errors
    assert back.http_status == 422


def test_plain_status_without_details_maps_by_code() -> None:
    call = grpc.aio.AioRpcError(
        grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata(), "conn refused"
    )
    assert isinstance(error_from_rpc(call), Unavailable)
    internal = grpc.aio.AioRpcError(
        grpc.StatusCode.INTERNAL, grpc.aio.Metadata(), grpc.aio.Metadata(), "boom: secret"
    )
    back = error_from_rpc(internal)
    assert back.http_status == 500 and "secret" not in back.detail


def test_extra_facts_and_unlisted_statuses_survive() -> None:
    class IdpDown(LokosError):
        code = "idp_unavailable"
        http_status = 503

    stale = Conflict("stale", code="version_conflict", extra={"current_version": "7"})
    back = error_from_rpc(_as_call_error(stale))
    assert back.extra == {"current_version": "7"}
    down = error_from_rpc(_as_call_error(IdpDown("identity provider unreachable")))
    assert down.http_status == 503 and down.code == "idp_unavailable"
