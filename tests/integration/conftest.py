"""Fixtures of the integration tests that drive the bus themselves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from launcher.platform import Platform
from lokos.events import NatsLink


@pytest.fixture
async def link(platform: Platform) -> AsyncIterator[NatsLink]:
    """A connection to the platform's NATS as its admin (tests publish and inspect)."""
    user, password = platform.nats_credentials()
    nl = NatsLink(platform.nats_url, "it", user=user, password=password)
    nl.start()
    await asyncio.wait_for(nl.jetstream(), 10)
    yield nl
    await nl.close()
