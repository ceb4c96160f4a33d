"""How long a name or a client address is refused after failed logins: pure back-off arithmetic."""

import hashlib
from typing import Literal

Scope = Literal["name", "address"]
THRESHOLDS: dict[Scope, int] = {"name": 5, "address": 30}
"""Failures in a row before a lockout: a person mistypes a few times; an office behind one NAT
address shares its budget, so addresses get more."""
FIRST_LOCK_S = 30
MAX_LOCK_S = 15 * 60
MEMORY_S = 60 * 60
"""A failure older than this is forgotten: the next one counts from 1 again. Longer than the
longest lockout, so a patient guesser, one try per lockout, never gets back to a fresh count."""


def lock_seconds(scope: Scope, failures: int) -> int:
    """Seconds to refuse after the `failures`-th failure in a row: 0 below the threshold, then
    30, 60, 120, … capped at 15 minutes."""
    beyond = failures - THRESHOLDS[scope]
    if beyond < 0:
        return 0
    return min(MAX_LOCK_S, FIRST_LOCK_S * 2 ** min(beyond, 16))


def key(scope: Scope, value: str) -> bytes:
    """What the counters are stored under: a hash, so a password typed into the name field is not kept.
    Names are counted case-insensitively (one guesser, many spellings)."""
    text = value.strip().casefold() if scope == "name" else value
    return hashlib.sha256(f"{scope}:{text}".encode()).digest()
