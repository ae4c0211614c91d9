"""Per-client rate limits of the external API (a token bucket per client)."""

from __future__ import annotations

import pytest

from gateway.external.limits import ClientLimiter
from lokos.errors import RateLimited


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_past_the_rate_gets_retry_after_and_others_go_on() -> None:
    clock = Clock()
    limiter = ClientLimiter(120, clock=clock)
    limiter.learn("busy", 6)  # six a minute: one every ten seconds
    for _ in range(6):
        limiter.take("busy")
    with pytest.raises(RateLimited) as caught:
        limiter.take("busy")
    assert caught.value.code == "api_rate_limited"
    assert caught.value.extra == {"retry_after": "10"}
    for _ in range(50):
        limiter.take("calm")  # another client: its own bucket, the default rate
    clock.now += 10
    limiter.take("busy")  # one request's worth refilled
    with pytest.raises(RateLimited):
        limiter.take("busy")


def test_steady_traffic_within_the_rate_is_never_refused() -> None:
    clock = Clock()
    limiter = ClientLimiter(60, clock=clock)
    for _ in range(500):
        limiter.take("steady")
        clock.now += 1.0
