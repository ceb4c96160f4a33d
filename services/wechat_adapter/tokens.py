"""Access tokens shared by every adapter replica through one locked PostgreSQL row per app.

A token lasts 7200 s and a new one retires the old within minutes, so replicas must not
each fetch their own: whoever finds the row stale refreshes it under the row lock, the
others wait on the lock and take what it wrote.
"""

import asyncio
import logging
import time

import asyncpg

from services.wechat_adapter.api import WeChatApi
from shared.config import WeChatAccount
from shared.uow import UnitOfWork

log = logging.getLogger("relaydesk.wechat")
REFRESH_MARGIN = 300.0
"""Refresh this long before expiry, so no send races the deadline."""


class AccessTokens:
    """`get` a valid token; `invalidate` one WeChat refused (40001/42001)."""

    def __init__(self, pool: asyncpg.Pool, api: WeChatApi, margin: float = REFRESH_MARGIN):
        self.pool, self.api, self.margin = pool, api, margin
        self._cached: dict[str, tuple[str, float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, account: WeChatAccount) -> str:
        cached = self._cached.get(account.app_id)
        if cached and cached[1] - self.margin > time.time():
            return cached[0]
        async with self._locks.setdefault(account.app_id, asyncio.Lock()):
            cached = self._cached.get(account.app_id)
            if cached and cached[1] - self.margin > time.time():
                return cached[0]
            token, expires = await self._shared(account)
            self._cached[account.app_id] = (token, expires)
            return token

    async def invalidate(self, account: WeChatAccount, token: str) -> None:
        """Mark `token` dead, unless another replica already replaced it."""
        if self._cached.get(account.app_id, ("",))[0] == token:
            del self._cached[account.app_id]
        await self.pool.execute(
            "UPDATE wechat_tokens SET expires_at = '-infinity' WHERE app_id = $1 AND access_token = $2",
            account.app_id,
            token,
        )

    async def _shared(self, account: WeChatAccount) -> tuple[str, float]:
        async with UnitOfWork(self.pool) as uow:
            conn = uow.conn
            await conn.execute("INSERT INTO wechat_tokens (app_id) VALUES ($1) ON CONFLICT DO NOTHING", account.app_id)
            row = await conn.fetchrow(
                "SELECT access_token, extract(epoch FROM expires_at)::float8 AS expires,"
                " expires_at > now() + make_interval(secs => $2) AS fresh"
                " FROM wechat_tokens WHERE app_id = $1 FOR UPDATE",
                account.app_id,
                self.margin,
            )
            if row["fresh"]:
                return row["access_token"], row["expires"]
            token, lifetime = await self.api.fetch_token(account.app_id, account.app_secret)
            expires = await conn.fetchval(
                "UPDATE wechat_tokens SET access_token = $2, refreshed_at = now(),"
                " expires_at = now() + make_interval(secs => $3)"
                " WHERE app_id = $1 RETURNING extract(epoch FROM expires_at)::float8",
                account.app_id,
                token,
                float(lifetime),
            )
            log.info("refreshed the access token of %s (valid %ss)", account.name, lifetime)
            return token, expires
