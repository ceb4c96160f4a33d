"""Who is calling: bearer-token authentication and per-token rate limits for every `/v1` route."""

import time

import msgspec
from aiohttp import web

from services.agent_api.tokens import TokenLimits, bearer_token, token_hash
from shared.http import POOL, SETTINGS, ApiError, error_response


class Agent(msgspec.Struct, frozen=True):
    id: str
    name: str
    role: str
    capacity: int
    skills: list[str]
    languages: list[str]

    @property
    def is_supervisor(self) -> bool:
        return self.role in ("supervisor", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


PUBLIC = frozenset({"/v1/openapi.json"})
"""Paths under /v1 anyone may read: the API's own description."""
AGENT = web.RequestKey("agent", Agent)
TOKEN_ID = web.RequestKey("token_id", str)
"""The token the caller authenticated with: what rate limits count and audit records name."""
RATE_LIMITS = web.AppKey("rate_limits", TokenLimits)

# One round trip: find the live token and its agent, and stamp last_used_at at most once a
# minute per token (the CTE's UPDATE runs whether or not the SELECT reads it).
AUTHENTICATE = """
WITH found AS (
    SELECT t.id AS token_id, a.id, a.name, a.role, a.capacity, a.skills, a.languages
    FROM agent_tokens t JOIN agents a ON a.id = t.agent_id
    WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
), touched AS (
    UPDATE agent_tokens SET last_used_at = now()
    WHERE id = (SELECT token_id FROM found)
      AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
)
SELECT * FROM found
"""


def install_rate_limits(app: web.Application) -> None:
    """Give the app its per-token limits, from `agent_api_rate` and `agent_api_burst`."""
    settings = app[SETTINGS]
    app[RATE_LIMITS] = TokenLimits(settings.agent_api_rate, settings.agent_api_burst)


@web.middleware
async def authenticate(request: web.Request, handler) -> web.StreamResponse:
    """Resolve the caller from `Authorization: Bearer` (or `?access_token=` on WebSockets), then
    spend one request from the token's budget (a stream handshake is one request)."""
    if not request.path.startswith("/v1/") or request.path in PUBLIC:
        return await handler(request)
    token = bearer_token(request.headers.get("Authorization"))
    if token is None and request.headers.get("Upgrade", "").lower() == "websocket":
        # Browsers cannot set headers on a WebSocket handshake.
        token = bearer_token(f"Bearer {request.query.get('access_token', '')}")
    if token is None:
        raise ApiError(401, "unauthenticated", "Send 'Authorization: Bearer <token>'.")
    row = await request.app[POOL].fetchrow(AUTHENTICATE, token_hash(token))
    if row is None:
        raise ApiError(401, "invalid_token", "The token is unknown, expired or was revoked.")
    token_id = str(row["token_id"])
    if wait := request.app[RATE_LIMITS].retry_after(token_id, time.monotonic()):
        response = error_response(429, "rate_limited", f"Too many requests with this token; retry in {wait} s.")
        response.headers["Retry-After"] = str(wait)
        return response
    request[TOKEN_ID] = token_id
    request[AGENT] = Agent(
        id=str(row["id"]),
        name=row["name"],
        role=row["role"],
        capacity=row["capacity"],
        skills=list(row["skills"]),
        languages=list(row["languages"]),
    )
    return await handler(request)
