"""Who is calling: a bearer token (integrations) or a console session cookie, for every `/v1` route;
CSRF and WebSocket-origin checks for the cookie; per-token (per-session) rate limits."""

import hmac
import time
from urllib.parse import urlsplit

import asyncpg
import msgspec
from aiohttp import web

from services.agent_api.commands import sessions
from services.agent_api.commands.tokens import bearer_token, token_hash
from services.agent_api.deps import AgentDeps
from shared.http import ApiError, error_response


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


PUBLIC = frozenset({("GET", "/v1/openapi.json"), ("HEAD", "/v1/openapi.json"), ("POST", "/v1/session")})
"""What anyone may call under /v1: the API's own description, and signing in."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing, so a cookie alone may call them; the rest need the CSRF header."""
CSRF_HEADER = "X-CSRF-Token"
TOUCH_EVERY_S = 30.0
"""A session's last_seen_at is written at most this often (a quarter of the idle timeout when that is shorter)."""
AGENT = web.RequestKey("agent", Agent)
TOKEN_ID = web.RequestKey("token_id", str)
"""The token the caller authenticated with: what rate limits count and audit records name."""
SESSION_ID = web.RequestKey("session_id", str)
"""The console session the caller authenticated with (set instead of TOKEN_ID)."""
SESSION_CSRF = web.RequestKey("session_csrf", str)
"""That session's CSRF token, for `GET /v1/session` to hand back to a reloaded console."""

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


def agent_from(row: asyncpg.Record) -> Agent:
    return Agent(
        id=str(row["id"]),
        name=row["name"],
        role=row["role"],
        capacity=row["capacity"],
        skills=list(row["skills"]),
        languages=list(row["languages"]),
    )


def allowed_origin(origin: str | None, host: str, public_url: str) -> bool:
    """Whether a WebSocket handshake's Origin is this API's own (its public URL, or the Host it was
    sent to): another site's page must not open a stream with the agent's cookie."""
    if not origin or origin == "null":
        return False
    origin = origin.lower().rstrip("/")
    public = urlsplit(public_url)
    return origin == f"{public.scheme}://{public.netloc}".lower() or urlsplit(origin).netloc == host.lower()


def _is_websocket(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"


async def _bearer(request: web.Request, token: str) -> asyncpg.Record:
    row = await AgentDeps.of(request).pool.fetchrow(AUTHENTICATE, token_hash(token))
    if row is None:
        raise ApiError(401, "invalid_token", "The token is unknown, expired or was revoked.")
    request[TOKEN_ID] = str(row["token_id"])
    return row


async def _session(request: web.Request, token: str) -> asyncpg.Record:
    """The session's row, after its expiry, CSRF (writes) and Origin (streams) checks."""
    settings = AgentDeps.of(request).settings
    idle = settings.console_idle_timeout
    row = await sessions.resolve(AgentDeps.of(request).pool, token, idle, min(TOUCH_EVERY_S, idle / 4))
    if row is None:
        raise ApiError(401, "invalid_session", "The session has ended or is unknown; sign in again.")
    if row["expired"]:
        raise ApiError(401, "session_expired", "The session has expired; sign in again.")
    sent = request.headers.get(CSRF_HEADER, "")
    if request.method not in SAFE_METHODS and not hmac.compare_digest(sent.encode(), row["csrf_token"].encode()):
        raise ApiError(403, "csrf_failed", f"Send the session's CSRF token in the {CSRF_HEADER} header.")
    if _is_websocket(request) and not allowed_origin(
        request.headers.get("Origin"), request.host, settings.agent_api_public_url
    ):
        raise ApiError(403, "forbidden_origin", "A stream opened with the session cookie must come from the console.")
    request[SESSION_ID], request[SESSION_CSRF] = row["session_id"], row["csrf_token"]
    return row


@web.middleware
async def authenticate(request: web.Request, handler) -> web.StreamResponse:
    """Resolve the caller from `Authorization: Bearer` (or `?access_token=` on WebSockets), else from
    the session cookie, then spend one request from the token's (session's) budget; a stream
    handshake is one request."""
    if not request.path.startswith("/v1/") or (request.method, request.path) in PUBLIC:
        return await handler(request)
    token = bearer_token(request.headers.get("Authorization"))
    if token is None and _is_websocket(request) and "access_token" in request.query:
        # Browsers cannot set headers on a WebSocket handshake.
        token = bearer_token(f"Bearer {request.query['access_token']}")
    if token is not None:
        row = await _bearer(request, token)
        budget = request[TOKEN_ID]
    elif (cookie := sessions.cookie_token(request.cookies.get(sessions.COOKIE))) is not None:
        row = await _session(request, cookie)
        budget = f"session:{request[SESSION_ID]}"
    else:
        raise ApiError(401, "unauthenticated", "Sign in (POST /v1/session) or send 'Authorization: Bearer <token>'.")
    if wait := AgentDeps.of(request).rate_limits.retry_after(budget, time.monotonic()):
        response = error_response(429, "rate_limited", f"Too many requests with this token; retry in {wait} s.")
        response.headers["Retry-After"] = str(wait)
        return response
    request[AGENT] = agent_from(row)
    return await handler(request)
