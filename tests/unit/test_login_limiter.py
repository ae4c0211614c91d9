"""Failed logins per client address and per user ID, in fixed windows of a fake clock."""

from __future__ import annotations

import pytest

from gateway.ratelimit import LoginLimiter
from lokos.errors import RateLimited


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _limiter(clock: Clock) -> LoginLimiter:
    return LoginLimiter(per_address=5, per_user=3, window_seconds=60, clock=clock)


def test_a_user_id_is_refused_after_its_failures_with_retry_after() -> None:
    clock = Clock()
    limiter = _limiter(clock)
    for _ in range(3):
        limiter.check("10.0.0.1", "state:UP_A")
        limiter.failed("10.0.0.1", "state:UP_A")
    clock.now += 20
    with pytest.raises(RateLimited) as refused:
        limiter.check("10.0.0.9", "state:UP_A")  # from any address
    assert refused.value.code == "login_rate_limited"
    assert refused.value.extra == {"retry_after": "40"}
    limiter.check("10.0.0.1", "state:UP_B")  # another user from the same address may try
    clock.now += 40
    limiter.check("10.0.0.9", "state:UP_A")  # the window is over


def test_an_address_is_refused_after_failures_on_many_users() -> None:
    clock = Clock()
    limiter = _limiter(clock)
    for i in range(5):
        limiter.failed("10.0.0.2", f"state:UP_{i}")
    with pytest.raises(RateLimited):
        limiter.check("10.0.0.2", "state:UP_NEW")
    limiter.check("10.0.0.3", "state:UP_NEW")


def test_success_clears_the_users_count_but_not_the_addresss() -> None:
    clock = Clock()
    limiter = _limiter(clock)
    for _ in range(2):
        limiter.failed("10.0.0.4", "state:UP_C")
    limiter.succeeded("state:UP_C")
    for _ in range(2):
        limiter.failed("10.0.0.4", "state:UP_C")
    limiter.check("10.0.0.4", "state:UP_C")
    limiter.failed("10.0.0.4", "state:UP_C")
    with pytest.raises(RateLimited):  # five failures from this address in the window
        limiter.check("10.0.0.4", "state:UP_D")


def test_a_new_window_starts_the_count_again() -> None:
    clock = Clock()
    limiter = _limiter(clock)
    for _ in range(2):
        limiter.failed("10.0.0.5", "state:UP_E")
    clock.now += 61
    for _ in range(2):
        limiter.failed("10.0.0.5", "state:UP_E")
    limiter.check("10.0.0.5", "state:UP_E")
