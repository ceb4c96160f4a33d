"""Replay protection for callbacks: a freshness window and nonces remembered across replicas.

Plain and compatible signatures cover only token, timestamp and nonce, so a captured callback
could be replayed with any body: one outside the window is refused, and one inside it is
refused when its (timestamp, nonce) was already accepted by any replica (PostgreSQL holds them).
"""

import asyncpg

from services.wechat_adapter.crypto import CallbackRefused

WINDOW = 300
"""Seconds a callback's timestamp may differ from our clock."""
MAX_NONCE = 64


def fresh_stamp(query: dict[str, str], now: float, window: int = WINDOW) -> tuple[int, str]:
    """(timestamp, nonce) of a callback signed within the window; CallbackRefused otherwise."""
    nonce, text = query.get("nonce", ""), query.get("timestamp", "")
    if not nonce or len(nonce) > MAX_NONCE:
        raise CallbackRefused(400, f"nonce must be 1 to {MAX_NONCE} characters")
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise CallbackRefused(400, "timestamp must be unix seconds")
    if abs(now - int(text)) > window:
        raise CallbackRefused(403, f"timestamp outside the {window} s freshness window: refused as a replay")
    return int(text), nonce


async def remember(pool: asyncpg.Pool, account: str, stamp: tuple[int, str], now: float) -> bool:
    """Record a callback's stamp; False when some replica already accepted it (a replay)."""
    return bool(
        await pool.fetchval(
            "WITH expired AS (DELETE FROM wechat_nonces WHERE sent_at < $4)"
            " INSERT INTO wechat_nonces (account, sent_at, nonce) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING RETURNING true",
            account,
            stamp[0],
            stamp[1],
            int(now) - 2 * WINDOW,
        )
    )


async def forget(pool: asyncpg.Pool, account: str, stamp: tuple[int, str]) -> None:
    """Let WeChat's retry of a callback we could not accept through (the publish failed)."""
    await pool.execute(
        "DELETE FROM wechat_nonces WHERE account = $1 AND sent_at = $2 AND nonce = $3", account, stamp[0], stamp[1]
    )
