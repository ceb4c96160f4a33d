"""Admins manage agents, their bearer tokens and console passwords; a token's secret appears once,
in the answer that made it. Everyone else gets 403."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Literal

import asyncpg
import msgspec
from aiohttp import web

from services.agent_api.commands import accounts, audit, passwords, sessions
from services.agent_api.deps import AgentDeps
from services.agent_api.http.auth import AGENT
from services.agent_api.http.requests import read_body
from shared.http import ApiError, json_response

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
AdminHandler = Callable[[web.Request, asyncpg.Connection], Awaitable[web.StreamResponse]]
Label = Annotated[str, msgspec.Meta(pattern="^[a-z0-9_-]{1,64}$")]

ERRORS: tuple[tuple[type[accounts.AccountError], int, str], ...] = (
    (accounts.UnknownAgent, 404, "no_such_agent"),
    (accounts.UnknownToken, 404, "no_such_token"),
    (accounts.DuplicateAgent, 409, "agent_exists"),
    (accounts.TokenRevoked, 409, "token_revoked"),
    (accounts.AccountError, 422, "invalid_request"),
)
"""Account errors as HTTP answers; the first matching class wins, so the most specific come first."""


class NewAgent(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    role: Literal["agent", "supervisor", "admin"] = "agent"
    capacity: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 5
    skills: list[Label] = []
    languages: list[Label] = msgspec.field(default_factory=lambda: ["zh", "en"])
    channels: list[Label] = []
    teams: list[Label] = []


class NewToken(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=accounts.MAX_TOKEN_NAME)]
    expires_at: Annotated[datetime, msgspec.Meta(tz=True)] | None = None


class NewPassword(msgspec.Struct, forbid_unknown_fields=True):
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=passwords.MAX_LENGTH)]


def admins_only(handler: AdminHandler) -> Handler:
    """403 unless the caller is an admin (checked before the body is read); then the handler runs
    with a pooled connection, and account errors are answered from ERRORS."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        if not request[AGENT].is_admin:
            raise ApiError(403, "forbidden", "Only admins manage agents and tokens.")
        try:
            async with AgentDeps.of(request).pool.acquire() as conn:
                return await handler(request, conn)
        except accounts.AccountError as exc:
            status, code = next((status, code) for kind, status, code in ERRORS if isinstance(exc, kind))
            raise ApiError(status, code, str(exc)) from None

    return guarded


@admins_only
async def list_agents(request: web.Request, conn: asyncpg.Connection) -> web.Response:
    return json_response({"agents": await accounts.list_agents(conn)})


@admins_only
async def create_agent(request: web.Request, conn: asyncpg.Connection) -> web.Response:
    body = await read_body(request, NewAgent)
    agent_id, secret = await accounts.add_agent(conn, **msgspec.structs.asdict(body))
    [token] = await accounts.list_tokens(conn, agent_id)
    agent = await accounts.get_agent(conn, agent_id)
    return _showing_secret({"agent": agent, "token": {**token, "secret": secret}}, 201)


@admins_only
async def list_tokens(request: web.Request, conn: asyncpg.Connection) -> web.Response:
    return json_response({"tokens": await accounts.list_tokens(conn, request.query.get("agent_id"))})


@admins_only
async def create_token(request: web.Request, conn: asyncpg.Connection) -> web.Response:
    body = await read_body(request, NewToken)
    token_id, secret = await accounts.create_token(conn, request.match_info["id"], body.name, body.expires_at)
    return _showing_secret(await _token_with_secret(conn, token_id, secret), 201)


@admins_only
async def rotate_token(request: web.Request, conn: asyncpg.Connection) -> web.Response:
    token_id, secret = await accounts.rotate_token(conn, request.match_info["id"])
    return _showing_secret({**await _token_with_secret(conn, token_id, secret), "replaces": request.match_info["id"]})


@admins_only
async def revoke_token(request: web.Request, conn: asyncpg.Connection) -> web.Response:
    await accounts.revoke_token(conn, request.match_info["id"])
    return web.Response(status=204)


@admins_only
async def set_password(request: web.Request, conn: asyncpg.Connection) -> web.Response:
    """Set (or reset) an agent's console password; their sessions end, so whoever knew the old one is out."""
    body = await read_body(request, NewPassword)
    try:
        passwords.check_new(body.password)
    except passwords.PasswordRejected as exc:
        raise ApiError(422, "invalid_password", str(exc)) from None
    agent_id = request.match_info["id"]
    await accounts.get_agent(conn, agent_id)  # 404 before spending a hash on nobody
    ended = await sessions.set_password(conn, agent_id, await asyncio.to_thread(passwords.hash_password, body.password))
    await audit.record(
        conn,
        request[AGENT],
        audit.PASSWORD_SET,
        detail=audit.token_detail(request, agent_id=agent_id, sessions_ended=ended),
    )
    return web.Response(status=204)


@admins_only
async def end_sessions(request: web.Request, conn: asyncpg.Connection) -> web.Response:
    """Sign the agent out of every console."""
    agent_id = (await accounts.get_agent(conn, request.match_info["id"]))["id"]
    ended = await sessions.end_all(conn, agent_id)
    await audit.record(
        conn,
        request[AGENT],
        audit.SESSIONS_ENDED,
        detail=audit.token_detail(request, agent_id=agent_id, sessions_ended=ended),
    )
    return web.Response(status=204)


def _showing_secret(body: dict, status: int = 200) -> web.Response:
    response = json_response(body, status)
    response.headers["Cache-Control"] = "no-store"  # no proxy or browser cache may keep a secret
    return response


async def _token_with_secret(conn: asyncpg.Connection, token_id: str, secret: str) -> dict:
    """The token as listed, plus its secret: the only time anyone sees it."""
    return {**await accounts.get_token(conn, token_id), "secret": secret}


def register(app: web.Application) -> None:
    app.router.add_get("/v1/admin/agents", list_agents)
    app.router.add_post("/v1/admin/agents", create_agent)
    app.router.add_get("/v1/admin/tokens", list_tokens)
    app.router.add_post("/v1/admin/agents/{id}/tokens", create_token)
    app.router.add_put("/v1/admin/agents/{id}/password", set_password)
    app.router.add_delete("/v1/admin/agents/{id}/sessions", end_sessions)
    app.router.add_post("/v1/admin/tokens/{id}/rotate", rotate_token)
    app.router.add_delete("/v1/admin/tokens/{id}", revoke_token)
