"""A token bucket: steady `rate` per second with bursts up to `burst`."""

import math


class TokenBucket:
    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.updated = float(burst), now

    def take(self, now: float) -> bool:
        """Spend one token if there is one; False means the caller is over the limit."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class KeyedBuckets:
    """One TokenBucket per key (a session, a client address) in bounded memory.

    A bucket idle long enough to be full again is dropped: a new one starts full, so nothing
    is lost. Past `max_keys` live buckets the oldest are dropped too, which can forgive a
    flooder some tokens but never lets memory grow without bound.
    """

    def __init__(self, rate: float, burst: int, max_keys: int = 100_000) -> None:
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self.buckets: dict[str, TokenBucket] = {}
        self.swept = 0.0

    def retry_after(self, key: str, now: float) -> int:
        """0 when one more may go ahead (spending a token), else whole seconds to wait (≥1)."""
        bucket = self.buckets.get(key)
        if bucket is None:
            self._sweep(now)
            bucket = self.buckets[key] = TokenBucket(self.rate, self.burst, now)
        if bucket.take(now):
            return 0
        return max(1, math.ceil((1 - bucket.tokens) / bucket.rate))

    def _sweep(self, now: float) -> None:
        # At most once per refill time, unless the map is full: each sweep walks every bucket.
        if len(self.buckets) < self.max_keys and now - self.swept < self.burst / self.rate:
            return
        self.swept = now
        self.buckets = {key: b for key, b in self.buckets.items() if b.tokens + (now - b.updated) * b.rate < b.burst}
        if len(self.buckets) >= self.max_keys:
            keep = list(self.buckets.items())[len(self.buckets) - self.max_keys // 2 :]
            self.buckets = dict(keep)
