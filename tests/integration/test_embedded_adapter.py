"""EmbeddedAdapter against the live dev IdP: the identity-provider contract of idp_contract.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest

from services.identity.idp.embedded import EmbeddedAdapter
from tests.integration.idp_contract import CONTRACT, REALMS, Harness, RunningIdp, running_idp


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningIdp]:
    with running_idp(tmp_path_factory.mktemp("embedded-idp")) as running:
        yield running


@pytest.fixture(scope="module")
async def harness(idp: RunningIdp) -> AsyncIterator[Harness]:
    # A store of its own on the same folder, as the identity process has.
    adapter = EmbeddedAdapter(
        idp.idp_dir,
        REALMS,
        idp.base,
        httpx.AsyncClient(timeout=10),
        close_http=True,
        password_iterations=1000,
    )

    async def inspect(realm: str, user_id: str) -> dict[str, Any]:
        user = adapter.store.get_user(realm, user_id)
        assert user is not None
        return {
            "email": user.email,
            "firstName": user.first_name,
            "lastName": user.last_name,
            "enabled": user.enabled,
        }

    yield Harness(adapter, "lokos-up", inspect, idp.base)
    await adapter.close()


@pytest.mark.parametrize("check", CONTRACT, ids=lambda check: check.__name__.removeprefix("check_"))
async def test_contract(harness: Harness, check: Callable[[Harness], Awaitable[None]]) -> None:
    await check(harness)


async def test_realm_added_by_the_adapter_is_served_and_persisted(
    harness: Harness, idp: RunningIdp
) -> None:
    """create_realm writes the store: the IdP process serves the realm, a restart keeps it."""
    from services.identity.realms import realm_representation

    assert isinstance(harness.idp, EmbeddedAdapter)
    assert await harness.idp.ensure_realm(realm_representation("lokos-ka")) is True
    assert await harness.idp.ensure_realm(realm_representation("lokos-ka")) is False
    assert idp.store.has_realm("lokos-ka")
    roles = {role.name for role in idp.store.realm_roles("lokos-ka")}
    assert "STATE_ADMIN" in roles and "NATIONAL_ADMIN" not in roles
    secret = idp.store.client_secret("lokos-ka", "lokos-external")
    assert secret and secret != "**********", "a placeholder secret is replaced by a random one"
