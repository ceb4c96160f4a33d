"""Agent bearer tokens: random secrets shown once, stored only as their SHA-256; per-token rate limits."""

import hashlib
import secrets

from domain.ratelimit import KeyedBuckets

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


class TokenLimits(KeyedBuckets):
    """Per-token request budgets: `rate` per second, bursts up to `burst`, in bounded memory.

    Kept in this process's memory, so each replica grants a token the whole budget: with N
    replicas behind a balancer a token may reach up to N times the rate.
    """

    def __init__(self, rate: float, burst: int, max_buckets: int = 10_000) -> None:
        super().__init__(rate, burst, max_buckets)
