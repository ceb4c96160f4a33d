"""Open streams stay authenticated: their tokens are re-checked every few seconds.

The stream's handshake is authenticated once; revoking a token or letting it expire must
still end what it opened. Every `interval` seconds one query asks which of the tokens behind
this replica's open sockets still live, and the others' sockets close with 4401.
"""

import asyncio
import logging
from collections.abc import AsyncIterator

import asyncpg
from aiohttp import web

from services.agent_api.auth import TOKEN_ID
from shared.db import UNAVAILABLE
from shared.http import POOL, running

log = logging.getLogger("relaydesk.agent_api.stream_auth")
CLOSE_UNAUTHORIZED = 4401
LIVE_TOKENS = (
    "SELECT id::text FROM agent_tokens WHERE id = ANY($1::uuid[])"
    " AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())"
)


class StreamAuth:
    """The WebSockets this replica holds, by the token that opened them."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.tokens: dict[web.WebSocketResponse, str] = {}

    async def on_prepare(self, request: web.Request, response: web.StreamResponse) -> None:
        """`on_response_prepare`: note each authenticated WebSocket as its handshake is answered."""
        if isinstance(response, web.WebSocketResponse) and TOKEN_ID in request:
            self.tokens[response] = request[TOKEN_ID]

    async def context(self, app: web.Application) -> AsyncIterator[None]:
        async with running(self._watch(app[POOL])):
            yield

    async def _watch(self, pool: asyncpg.Pool) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check(pool)
            except UNAVAILABLE:
                log.warning("token re-check failed; trying again in %ss", self.interval)

    async def check(self, pool: asyncpg.Pool) -> None:
        """Close every open socket whose token was revoked or has expired."""
        self.tokens = {ws: token for ws, token in self.tokens.items() if not ws.closed}
        if not self.tokens:
            return
        live = {row[0] for row in await pool.fetch(LIVE_TOKENS, list(set(self.tokens.values())))}
        dead = [ws for ws, token in self.tokens.items() if token not in live]
        if dead:
            log.info("closing %d stream(s) whose token was revoked or expired", len(dead))
        await asyncio.gather(
            *(ws.close(code=CLOSE_UNAUTHORIZED, message=b"token revoked or expired") for ws in dead),
            return_exceptions=True,
        )
