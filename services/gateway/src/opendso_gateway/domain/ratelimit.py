"""Token buckets per key (a user, a partner key, a client address): a burst, then a steady rate.

Pure: the time is passed in (seconds on a monotonic clock). The buckets live in this process, so each gateway
instance counts its own requests.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Up to ``burst`` requests at once per key, refilled at ``per_second``. A key unseen for long enough to be
    full again carries no state, so at most ``max_keys`` buckets are kept, the least recently used dropped."""

    def __init__(self, burst: float, per_second: float, max_keys: int = 100_000) -> None:
        if burst < 1 or per_second <= 0:
            raise ValueError("a rate limit needs a burst of at least 1 and a positive rate")
        self.burst = burst
        self.per_second = per_second
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def _bucket(self, key: str, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(self.burst, now)
            self._buckets[key] = bucket
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(self.burst, bucket.tokens + max(0.0, now - bucket.updated) * self.per_second)
            bucket.updated = now
        return bucket

    def wait(self, key: str, now: float) -> float:
        """Seconds until ``key`` may go again (0 when it may now), without spending anything."""
        bucket = self._bucket(key, now)
        return 0.0 if bucket.tokens >= 1 else (1 - bucket.tokens) / self.per_second

    def take(self, key: str, now: float) -> float:
        """Spend one request of ``key``: 0 when allowed, else the seconds to wait (nothing spent)."""
        bucket = self._bucket(key, now)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.per_second
