"""A per-client token bucket, in process: enough to keep one phone (or one script) from
flooding the ratings of a stall; several API workers each keep their own buckets.

Each client (by IP address) has a bucket of `capacity` tokens that refills at `capacity` per
`period` seconds; a request takes one token, and with none left the answer is how long until
one is back (for ``Retry-After``).

Example::

    limiter = TokenBucketLimiter(capacity=10, period=60.0)
    wait = limiter.take("203.0.113.7")  # None: go ahead; else seconds to wait
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

#: Ratings a client may post in a burst, and per minute after that: a family rating a
#: morning's shopping stays well inside it, a script does not.
DEFAULT_CAPACITY = 10
DEFAULT_PERIOD = 60.0
#: Buckets kept at most; full buckets (idle clients) are dropped first when over.
MAX_CLIENTS = 100_000


class TokenBucketLimiter:
    """Token buckets by client key; thread-safe (routes run in a thread pool)."""

    def __init__(
        self,
        capacity: int = DEFAULT_CAPACITY,
        period: float = DEFAULT_PERIOD,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if capacity < 1 or period <= 0:
            raise ValueError(f"a bucket needs capacity >= 1 and period > 0, got {capacity} per {period} s")
        self.capacity = capacity
        self.rate = capacity / period  # tokens per second
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def take(self, key: str) -> float | None:
        """Take a token for `key`: None if there was one, else the seconds until there is."""
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(key, (float(self.capacity), now))
            tokens = min(float(self.capacity), tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                if len(self._buckets) > MAX_CLIENTS:
                    self._forget_idle(now)
                return None
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def retry_after(self, wait: float) -> str:
        """`wait` as a ``Retry-After`` value: whole seconds, rounded up, at least 1."""
        return str(max(1, math.ceil(wait)))

    def _forget_idle(self, now: float) -> None:
        full = [k for k, (tokens, last) in self._buckets.items() if tokens + (now - last) * self.rate >= self.capacity]
        for key in full:
            del self._buckets[key]
