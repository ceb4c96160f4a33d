"""Agent bearer tokens: random secrets shown once, stored only as their SHA-256; per-token rate limits."""

import hashlib
import math
import secrets

from services.webchat_adapter.ratelimit import TokenBucket

TOKEN_PREFIX = "rdk_"


def new_token() -> str:
    """A fresh 256-bit token; its prefix lets secret scanners recognise a leaked one."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    """What the database keeps. Tokens are random, so a fast hash cannot be brute-forced."""
    return hashlib.sha256(token.encode()).digest()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` header, or None when absent or malformed."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(TOKEN_PREFIX):
        return None
    return token


class TokenLimits:
    """Per-token request budgets: `rate` per second, bursts up to `burst`.

    Kept in this process's memory, so each replica grants a token the whole budget: with N
    replicas behind a balancer a token may reach up to N times the rate.
    """

    def __init__(self, rate: float, burst: int, max_buckets: int = 10_000) -> None:
        self.rate, self.burst, self.max_buckets = rate, burst, max_buckets
        self.buckets: dict[str, TokenBucket] = {}

    def retry_after(self, token_id: str, now: float) -> int:
        """0 when the request may go ahead (spending from the budget), else whole seconds to wait (≥1)."""
        bucket = self.buckets.get(token_id)
        if bucket is None:
            if len(self.buckets) >= self.max_buckets:
                self._drop_full(now)
            bucket = self.buckets[token_id] = TokenBucket(self.rate, self.burst, now)
        if bucket.take(now):
            return 0
        return max(1, math.ceil((1 - bucket.tokens) / bucket.rate))

    def _drop_full(self, now: float) -> None:
        """Forget buckets that have refilled: a new bucket starts full, so nothing is lost."""
        self.buckets = {
            token_id: bucket
            for token_id, bucket in self.buckets.items()
            if bucket.tokens + (now - bucket.updated) * bucket.rate < bucket.burst
        }
