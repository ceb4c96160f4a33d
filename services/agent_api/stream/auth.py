"""Open streams stay authenticated: their tokens and console sessions are re-checked every few seconds.

The stream's handshake is authenticated once; revoking a token, signing out, a password reset or
an idle or expired console session must still end what it opened. Every `interval` seconds one
query per kind asks which of the credentials behind this replica's open sockets still live, and
the others' sockets close with 4401.
"""

import asyncio
import logging
from collections.abc import AsyncIterator

import asyncpg
from aiohttp import web

from services.agent_api.http.auth import SESSION_ID, TOKEN_ID
from shared.db import UNAVAILABLE
from shared.deps import Deps
from shared.http import running

log = logging.getLogger("relaydesk.agent_api.stream_auth")
CLOSE_UNAUTHORIZED = 4401
LIVE_TOKENS = (
    "SELECT id::text FROM agent_tokens WHERE id = ANY($1::uuid[])"
    " AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())"
)
LIVE_SESSIONS = (
    "SELECT id::text FROM agent_sessions WHERE id = ANY($1::uuid[])"
    " AND expires_at > now() AND last_seen_at > now() - make_interval(secs => $2)"
)


class StreamAuth:
    """The WebSockets this replica holds, by the token or console session that opened them."""

    def __init__(self, interval: float, idle_timeout: float) -> None:
        self.interval, self.idle_timeout = interval, idle_timeout
        self.tokens: dict[web.WebSocketResponse, str] = {}
        self.sessions: dict[web.WebSocketResponse, str] = {}

    async def on_prepare(self, request: web.Request, response: web.StreamResponse) -> None:
        """`on_response_prepare`: note each authenticated WebSocket as its handshake is answered."""
        if not isinstance(response, web.WebSocketResponse):
            return
        if TOKEN_ID in request:
            self.tokens[response] = request[TOKEN_ID]
        elif SESSION_ID in request:
            self.sessions[response] = request[SESSION_ID]

    async def context(self, app: web.Application) -> AsyncIterator[None]:
        async with running(self._watch(Deps.of(app).pool)):
            yield

    async def _watch(self, pool: asyncpg.Pool) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check(pool)
            except UNAVAILABLE:
                log.warning("token re-check failed; trying again in %ss", self.interval)

    async def check(self, pool: asyncpg.Pool) -> None:
        """Close every open socket whose token was revoked or has expired, or whose session ended."""
        self.tokens = {ws: token for ws, token in self.tokens.items() if not ws.closed}
        self.sessions = {ws: session for ws, session in self.sessions.items() if not ws.closed}
        dead = [
            *await _dead(self.tokens, lambda ids: pool.fetch(LIVE_TOKENS, ids)),
            *await _dead(self.sessions, lambda ids: pool.fetch(LIVE_SESSIONS, ids, self.idle_timeout)),
        ]
        if dead:
            log.info("closing %d stream(s) whose token or session ended", len(dead))
        await asyncio.gather(
            *(ws.close(code=CLOSE_UNAUTHORIZED, message=b"token revoked or expired") for ws in dead),
            return_exceptions=True,
        )


async def _dead(held: dict[web.WebSocketResponse, str], live_of) -> list[web.WebSocketResponse]:
    """The sockets in `held` whose credential the query `live_of(ids)` no longer returns."""
    if not held:
        return []
    live = {row[0] for row in await live_of(list(set(held.values())))}
    return [ws for ws, credential in held.items() if credential not in live]
