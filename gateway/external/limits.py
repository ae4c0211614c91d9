"""Per-client request limits of the external API: a token bucket per registered client.

Each client may send ``rate_per_minute`` requests a minute on average, in bursts of up to that
many; past it, 429 with Retry-After (the seconds until one request's worth has refilled). The
rate is the client's own (set at registration) once identity has named it; until then the
default. Kept in memory per gateway process (bounded, idle clients drop out): behind several
replicas each enforces its share, which is what a per-client limit needs (not exactness).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from cachetools import TTLCache

from lokos.errors import RateLimited


class ClientLimiter:
    def __init__(
        self,
        default_per_minute: int,
        *,
        maxsize: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.default_per_minute = default_per_minute
        self.clock = clock
        # client id -> (tokens, last refill time); an idle client drops out after 10 minutes.
        self._buckets: TTLCache[str, tuple[float, float]] = TTLCache(
            maxsize=maxsize, ttl=600, timer=clock
        )
        self._rates: TTLCache[str, int] = TTLCache(maxsize=maxsize, ttl=600, timer=clock)

    def learn(self, client_id: str, per_minute: int) -> None:
        """The client's own rate, as identity answered it."""
        if per_minute > 0:
            self._rates[client_id] = per_minute

    def take(self, client_id: str) -> None:
        """Spend one request of ``client_id``; :class:`RateLimited` when none is left."""
        rate = self._rates.get(client_id, self.default_per_minute)
        now = self.clock()
        tokens, last = self._buckets.get(client_id, (float(rate), now))
        tokens = min(float(rate), tokens + (now - last) * rate / 60.0)
        if tokens < 1.0:
            wait = max(1, math.ceil((1.0 - tokens) * 60.0 / rate))
            self._buckets[client_id] = (tokens, now)
            raise RateLimited(
                f"this client may send {rate} requests a minute; retry in {wait} s",
                code="api_rate_limited",
                extra={"retry_after": str(wait)},
            )
        self._buckets[client_id] = (tokens - 1.0, now)
