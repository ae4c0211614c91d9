"""Signed principals: what the gateway signs and every service verifies (lokos.principal.KeyRing),
and the interceptor that refuses a call before anything else runs."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from lokos import context, rpc
from lokos.common.v1 import principal_pb2
from lokos.errors import Unauthenticated
from lokos.principal import (
    KEYS_FILE,
    METADATA_KEY,
    UNSIGNED_METADATA_KEY,
    KeyRing,
    Principal,
    RoleGrant,
    Scope,
    system_principal,
)
from lokos.rpc import CallContext

NOW = 1_800_000_000.0
KEY_A = bytes(range(32))
KEY_B = bytes(range(1, 33))
BPM = Principal(
    "UP_BPM_ALAPUR",
    "up",
    "lokos-up",
    (
        RoleGrant("BLOCK_PROGRAM_MANAGER", Scope("block", frozenset({"0101"}))),
        RoleGrant("DISTRICT_ADMIN", Scope("district", frozenset({"01", "02"}))),
    ),
)


def _refused(code: str, call: Callable[[], object]) -> None:
    with pytest.raises(Unauthenticated) as err:
        call()
    assert err.value.code == code


def test_a_signed_principal_verifies_for_its_request() -> None:
    ring = KeyRing([("a", KEY_A)])
    signed = ring.sign(BPM, "req-1", now=NOW)
    assert ring.verify(signed, "req-1", now=NOW + 59) == BPM


def test_expired_and_rebound_principals_are_refused() -> None:
    ring = KeyRing([("a", KEY_A)], ttl=60)
    signed = ring.sign(BPM, "req-1", now=NOW)
    _refused("principal_expired", lambda: ring.verify(signed, "req-1", now=NOW + 61))
    _refused("principal_request_mismatch", lambda: ring.verify(signed, "req-2", now=NOW))
    _refused("principal_request_mismatch", lambda: ring.verify(signed, "", now=NOW))


def test_another_deployments_key_is_refused() -> None:
    forged = KeyRing([("a", KEY_B)]).sign(BPM, "req-1", now=NOW)
    _refused("principal_forged", lambda: KeyRing([("a", KEY_A)]).verify(forged, "req-1", now=NOW))
    other_kid = KeyRing([("x", KEY_A)]).sign(BPM, "req-1", now=NOW)
    _refused(
        "principal_key_unknown", lambda: KeyRing([("a", KEY_A)]).verify(other_kid, "req-1", now=NOW)
    )


def _tampered(signed: bytes, change: Callable[[principal_pb2.SignedPrincipal], None]) -> bytes:
    msg = principal_pb2.SignedPrincipal.FromString(signed)
    change(msg)
    return msg.SerializeToString()


def _claims(change: Callable[[principal_pb2.PrincipalClaims], None]) -> Any:
    def apply(msg: principal_pb2.SignedPrincipal) -> None:
        claims = principal_pb2.PrincipalClaims.FromString(msg.claims)
        change(claims)
        msg.claims = claims.SerializeToString()

    return apply


def _promote(claims: principal_pb2.PrincipalClaims) -> None:
    p = principal_pb2.Principal.FromString(claims.principal)
    p.roles.add(role="STATE_ADMIN", scope=principal_pb2.Scope(level="state"))
    claims.principal = p.SerializeToString()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (_claims(_promote), "principal_forged"),
        (_claims(lambda c: setattr(c, "request_id", "req-2")), "principal_forged"),
        (_claims(lambda c: setattr(c, "issued_at_ms", c.issued_at_ms + 1)), "principal_forged"),
        (
            _claims(lambda c: setattr(c, "expires_at_ms", c.expires_at_ms + 3_600_000)),
            "principal_forged",
        ),
        (lambda m: setattr(m, "key_id", "b"), "principal_forged"),
        (lambda m: setattr(m, "key_id", "zz"), "principal_key_unknown"),
        (lambda m: setattr(m, "mac", bytes(32)), "principal_forged"),
        (lambda m: setattr(m, "mac", m.mac[:-1]), "principal_forged"),
        (lambda m: setattr(m, "mac", b""), "principal_forged"),
    ],
)
def test_tampering_with_any_field_is_refused(
    change: Callable[[principal_pb2.SignedPrincipal], None], code: str
) -> None:
    # Both keys are in the ring, so a changed key id is checked against a real key.
    ring = KeyRing([("a", KEY_A), ("b", KEY_B)])
    signed = ring.sign(BPM, "req-1", now=NOW)
    _refused(code, lambda: ring.verify(_tampered(signed, change), "req-1", now=NOW))


def test_an_unsigned_principal_or_garbage_is_refused() -> None:
    ring = KeyRing([("a", KEY_A)])
    _refused("principal_key_unknown", lambda: ring.verify(BPM.to_metadata(), "req-1", now=NOW))
    _refused("principal_malformed", lambda: ring.verify(b"\xff\xff\xff", "req-1", now=NOW))
    _refused("principal_key_unknown", lambda: ring.verify(b"", "req-1", now=NOW))


def test_rotation_old_keys_verify_while_listed_the_first_signs() -> None:
    old = KeyRing([("old", KEY_A)])
    step1 = KeyRing([("old", KEY_A), ("new", KEY_B)])  # everyone verifies the new key
    step2 = KeyRing([("new", KEY_B), ("old", KEY_A)])  # the new key signs
    step3 = KeyRing([("new", KEY_B)])  # the old key is gone
    by_old = old.sign(BPM, "r", now=NOW)
    assert step1.verify(by_old, "r", now=NOW) == BPM
    assert step2.verify(by_old, "r", now=NOW) == BPM
    by_new = step2.sign(BPM, "r", now=NOW)
    assert principal_pb2.SignedPrincipal.FromString(by_new).key_id == "new"
    assert step1.verify(by_new, "r", now=NOW) == BPM
    assert step3.verify(by_new, "r", now=NOW) == BPM
    _refused("principal_key_unknown", lambda: step3.verify(by_old, "r", now=NOW))
    _refused("principal_key_unknown", lambda: old.verify(by_new, "r", now=NOW))


def test_keys_are_parsed_from_the_setting() -> None:
    ring = KeyRing.parse(f"k1:{KEY_A.hex()}, k2:{KEY_B.hex()}", ttl=5)
    assert ring.signing_kid == "k1" and ring.ttl_ms == 5000
    assert ring.verify(KeyRing([("k2", KEY_B)]).sign(BPM, "r", now=NOW), "r", now=NOW) == BPM
    in_file = KeyRing.parse(
        f"# rotated 2026-11-30: new key first\nk2:{KEY_B.hex()}\nk1:{KEY_A.hex()}\n"
    )
    assert in_file.signing_kid == "k2"
    for bad in ("", "k1", f"k1={KEY_A.hex()}", "k1:zz", "k1:00ff", f"bad kid:{KEY_A.hex()}"):
        with pytest.raises(ValueError):
            KeyRing.parse(bad)


def test_the_key_file_is_made_once_private_and_the_setting_wins(tmp_path: Path) -> None:
    first = KeyRing.load(tmp_path)
    path = tmp_path / KEYS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    signed = first.sign(BPM, "r", now=NOW)
    assert KeyRing.load(tmp_path).verify(signed, "r", now=NOW) == BPM
    configured = KeyRing.load(tmp_path, f"mine:{KEY_A.hex()}")
    assert configured.signing_kid == "mine"
    _refused("principal_key_unknown", lambda: configured.verify(signed, "r", now=NOW))


# --- the interceptor --------------------------------------------------------------------------


async def _call(keys: KeyRing, method: str, md: tuple[tuple[str, Any], ...]) -> Any:
    """Run one unary call through the call wrapper; the principal the handler saw, or the
    status it was refused with."""
    seen: list[Principal | None] = []

    async def behavior(request: Any, ctx: Any) -> str:
        seen.append(context.current_principal.get())
        return "ok"

    class Ctx:
        def invocation_metadata(self) -> tuple[tuple[str, Any], ...]:
            return md

        async def abort_with_status(self, status: Any) -> None:
            raise _Aborted(status)

    handler = CallContext(keys).wrap(method, grpc.unary_unary_rpc_method_handler(behavior))
    try:
        await handler.unary_unary(object(), Ctx())
    except _Aborted as aborted:
        return aborted.status
    return seen[0]


class _Aborted(Exception):
    def __init__(self, status: Any) -> None:
        self.status = status


async def test_the_call_wrapper_refuses_before_the_handler_runs() -> None:
    keys = KeyRing([("a", KEY_A)])
    method = "/lokos.profiles.v1.ProfilesService/GetCbo"
    ok = await _call(keys, method, (("x-request-id", "r"), (METADATA_KEY, keys.sign(BPM, "r"))))
    assert ok == BPM
    for md, code in (
        ((("x-request-id", "r"),), "principal_missing"),
        ((("x-request-id", "r"), (UNSIGNED_METADATA_KEY, BPM.to_metadata())), "principal_unsigned"),
        (
            (("x-request-id", "r2"), (METADATA_KEY, keys.sign(BPM, "r"))),
            "principal_request_mismatch",
        ),
    ):
        status = await _call(keys, method, md)
        assert status.code == grpc.StatusCode.UNAUTHENTICATED
        details = status_pb2.Status.FromString(
            dict(status.trailing_metadata)["grpc-status-details-bin"]
        )
        info = error_details_pb2.ErrorInfo()
        assert details.details[0].Unpack(info) and info.reason == code


async def test_health_checks_need_no_principal() -> None:
    keys = KeyRing([("a", KEY_A)])
    assert await _call(keys, "/grpc.health.v1.Health/Check", ()) is None


def test_system_principals_are_services() -> None:
    assert system_principal("gateway", "up").is_system
    assert not BPM.is_system


async def test_a_service_forwards_the_callers_signature_and_signs_its_own_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = KeyRing([("a", KEY_A)])
    monkeypatch.setattr(rpc, "_trust", rpc.Trust(keys, system_principal("profiles", "up")))
    signed = keys.sign(BPM, "r")
    seen: dict[str, Any] = {}

    async def behavior(request: Any, ctx: Any) -> str:
        # profiles → dedup during the user's request: the same bytes go on.
        seen["forwarded"] = dict(rpc.call_metadata(context.principal(), context.request_id()))
        # Its own work (another principal, or another request) is signed afresh.
        seen["own"] = dict(rpc.service_metadata(context.request_id()))
        return "ok"

    invocation = (("x-request-id", "r"), (METADATA_KEY, signed))
    handler = CallContext(keys).wrap(
        "/lokos.profiles.v1.ProfilesService/Approve",
        grpc.unary_unary_rpc_method_handler(behavior),
    )
    assert (
        await handler.unary_unary(object(), SimpleNamespace(invocation_metadata=lambda: invocation))
        == "ok"
    )
    assert seen["forwarded"][METADATA_KEY] == signed
    own = seen["own"][METADATA_KEY]
    assert own != signed and keys.verify(own, "r") == system_principal("profiles", "up")
    # Outside a served call nothing is forwarded: the principal is signed by this process.
    fresh = dict(rpc.call_metadata(BPM, "r"))[METADATA_KEY]
    assert keys.verify(fresh, "r") == BPM


async def test_registered_methods_are_wrapped_once_and_unknown_ones_refused_unsigned() -> None:
    keys = KeyRing([("a", KEY_A)])
    added: dict[str, Any] = {}

    class Server:
        def add_registered_method_handlers(self, service: str, handlers: dict[str, Any]) -> None:
            added["registered"] = handlers

        def add_generic_rpc_handlers(self, handlers: Any) -> None:
            added["generic"] = list(handlers)

    async def behavior(request: Any, ctx: Any) -> str:
        return "ok"

    handlers = {"GetCbo": grpc.unary_unary_rpc_method_handler(behavior)}
    calls = CallContext(keys)
    registrar = calls.registrar(Server())  # type: ignore[arg-type]
    registrar.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler("lokos.profiles.v1.ProfilesService", handlers)]
    )
    registrar.add_registered_method_handlers("lokos.profiles.v1.ProfilesService", handlers)
    method = "/lokos.profiles.v1.ProfilesService/GetCbo"
    via_generic = added["generic"][0].service(SimpleNamespace(method=method))
    # Both lookups answer with the same wrapper, and it is not the bare handler.
    assert via_generic is added["registered"]["GetCbo"]
    assert via_generic.unary_unary is not behavior

    unknown = calls.unknown_methods()
    missing = "/lokos.profiles.v1.ProfilesService/NoSuchMethod"
    refused = unknown.service(SimpleNamespace(method=missing, invocation_metadata=()))
    assert refused is not None  # unsigned: refused, whether or not the method exists
    signed = (("x-request-id", "r"), (METADATA_KEY, keys.sign(BPM, "r")))
    assert unknown.service(SimpleNamespace(method=missing, invocation_metadata=signed)) is None
    health = SimpleNamespace(method="/grpc.health.v1.Health/Check", invocation_metadata=())
    assert unknown.service(health) is None
