"""Login channels per role (the catalogue) and the gateway's check of a token's client."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from gateway.auth import _Known
from gateway.tokens import VerifiedToken
from lokos import catalogue
from lokos.errors import Locked, PermissionDenied, Unauthenticated
from lokos.principal import Principal, RoleGrant, Scope


def test_community_roles_are_mobile_only_and_staff_use_both() -> None:
    for role in catalogue.ROLES:
        expected = {"mobile"} if role.is_community else {"web", "mobile"}
        assert role.channels == expected, role.code
    assert catalogue.channels_of(["SHG_BOOKKEEPER"]) == {"mobile"}
    assert catalogue.channels_of(["SHG_TRANSACTION_APPROVER"]) == {"mobile"}
    assert catalogue.channels_of(["BLOCK_ADMIN"]) == {"web", "mobile"}
    # Several roles: only what all of them allow.
    assert catalogue.channels_of(["BLOCK_THEMATIC", "VO_BOOKKEEPER"]) == {"mobile"}
    assert catalogue.CLIENT_CHANNELS == {"lokos-web": "web", "lokos-mobile": "mobile"}


def _token(client: str, sid: str = "s-1") -> VerifiedToken:
    return VerifiedToken(
        realm="lokos-up",
        user_id="UP_X",
        subject="x",
        roles=(),
        client_id=client,
        expires_at=datetime.now(UTC),
        claims={"sid": sid},
    )


def _known(
    roles: tuple[str, ...],
    *,
    status: str = "active",
    locked_until: float = 0.0,
    ended: frozenset[str] = frozenset(),
) -> _Known:
    principal = Principal(
        "UP_X", "up", "lokos-up", tuple(RoleGrant(r, Scope("state")) for r in roles)
    )
    return _Known(principal, status, locked_until, ended, catalogue.channels_of(roles))


def test_a_bookkeepers_web_token_is_refused() -> None:
    with pytest.raises(PermissionDenied) as refused:
        _known(("SHG_BOOKKEEPER",)).check(_token("lokos-web"))
    assert refused.value.code == "channel_not_allowed"
    _known(("SHG_BOOKKEEPER",)).check(_token("lokos-mobile"))
    _known(("STATE_ADMIN",)).check(_token("lokos-web"))


@pytest.mark.parametrize("client", ["lokos-gateway", "lokos-external", "admin-cli"])
def test_tokens_of_clients_without_a_channel_carry_no_user(client: str) -> None:
    with pytest.raises(PermissionDenied):
        _known(("STATE_ADMIN",)).check(_token(client))


def test_inactive_locked_and_ended_are_refused() -> None:
    with pytest.raises(PermissionDenied) as inactive:
        _known(("STATE_ADMIN",), status="inactive").check(_token("lokos-web"))
    assert inactive.value.code == "user_inactive"
    with pytest.raises(Locked):
        _known(("STATE_ADMIN",), locked_until=time.time() + 60).check(_token("lokos-web"))
    _known(("STATE_ADMIN",), locked_until=time.time() - 1).check(_token("lokos-web"))  # ran out
    with pytest.raises(Unauthenticated) as ended:
        _known(("STATE_ADMIN",), ended=frozenset({"s-1"})).check(_token("lokos-web"))
    assert ended.value.code == "session_ended"
    _known(("STATE_ADMIN",), ended=frozenset({"s-1"})).check(_token("lokos-web", sid="s-2"))
