"""Who is calling: bearer-token authentication for every `/v1` route."""

import msgspec
from aiohttp import web

from services.agent_api.tokens import bearer_token, token_hash
from shared.http import POOL, ApiError


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


AGENT = web.RequestKey("agent", Agent)


@web.middleware
async def authenticate(request: web.Request, handler) -> web.StreamResponse:
    """Resolve the caller from `Authorization: Bearer` (or `?access_token=` on WebSockets)."""
    if not request.path.startswith("/v1/"):
        return await handler(request)
    token = bearer_token(request.headers.get("Authorization"))
    if token is None and request.headers.get("Upgrade", "").lower() == "websocket":
        # Browsers cannot set headers on a WebSocket handshake.
        token = bearer_token(f"Bearer {request.query.get('access_token', '')}")
    if token is None:
        raise ApiError(401, "unauthenticated", "Send 'Authorization: Bearer <token>'.")
    row = await request.app[POOL].fetchrow(
        "SELECT id, name, role, capacity, skills, languages FROM agents WHERE token_hash = $1",
        token_hash(token),
    )
    if row is None:
        raise ApiError(401, "invalid_token", "The token is unknown or was revoked.")
    request[AGENT] = Agent(
        id=str(row["id"]), name=row["name"], role=row["role"], capacity=row["capacity"],
        skills=list(row["skills"]), languages=list(row["languages"]),
    )
    return await handler(request)
