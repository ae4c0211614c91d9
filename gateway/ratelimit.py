"""Failed logins counted per client address and per user ID: past a limit, 429 + Retry-After.

Fixed windows kept in memory per gateway process (a few bytes per key, bounded); behind several
gateway replicas each counts its own share. Only failures count (a wrong password, a locked
account, an unknown user), so people who type their password right are never slowed down, and
checking costs no I/O. The account lock in identity is the per-account defence; this keeps one
address from spraying many accounts, and one account from being hammered once locked.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from cachetools import TTLCache

from lokos.errors import RateLimited


class _Windows:
    def __init__(self, limit: int, window: float, maxsize: int, clock: Callable[[], float]):
        self.limit = limit
        self.window = window
        self.clock = clock
        # key -> (window start, failures in it); an idle key drops out after one window.
        self.counts: TTLCache[str, tuple[float, int]] = TTLCache(
            maxsize=maxsize, ttl=window, timer=clock
        )

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may try again; 0 when it may now."""
        start, count = self.counts.get(key, (0.0, 0))
        left = start + self.window - self.clock()
        if count < self.limit or left <= 0:
            return 0
        return max(1, math.ceil(left))

    def add(self, key: str) -> None:
        now = self.clock()
        start, count = self.counts.get(key, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        self.counts[key] = (start, count + 1)

    def clear(self, key: str) -> None:
        self.counts.pop(key, None)


class LoginLimiter:
    def __init__(
        self,
        *,
        per_address: int,
        per_user: int,
        window_seconds: float,
        maxsize: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._addresses = _Windows(per_address, window_seconds, maxsize, clock)
        self._users = _Windows(per_user, window_seconds, maxsize, clock)

    def check(self, address: str, user_id: str) -> None:
        """Raise :class:`RateLimited` when the address or the user ID failed too often."""
        wait = max(self._addresses.retry_after(address), self._users.retry_after(user_id))
        if wait:
            raise RateLimited(
                f"too many failed logins; try again in {wait} s",
                code="login_rate_limited",
                extra={"retry_after": str(wait)},
            )

    def failed(self, address: str, user_id: str) -> None:
        self._addresses.add(address)
        self._users.add(user_id)

    def succeeded(self, user_id: str) -> None:
        self._users.clear(user_id)
