"""Signing in to the console: `POST /v1/session` (name and password) sets the session cookie,
`GET /v1/session` tells a reloaded console who it is, `DELETE /v1/session` signs out.

A wrong password and an unknown name get the same answer after the same work (one scrypt
verify). Failures in a row lock the name, and separately the client address, for a doubling
while (lockout.py); the counters live in PostgreSQL so every replica honours them.
"""

import asyncio
from typing import Annotated

import asyncpg
import msgspec
from aiohttp import web

from services.agent_api.commands import audit, lockout, passwords, sessions
from services.agent_api.deps import AgentDeps
from services.agent_api.http.auth import AGENT, SESSION_CSRF, SESSION_ID, agent_from
from services.agent_api.http.conversation_routes import me_body
from services.agent_api.http.requests import read_body
from shared.config import Settings
from shared.http import ApiError, error_response, json_response
from shared.uow import UnitOfWork

TRY_LOCK = "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))"
ANONYMOUS = "anonymous"
"""The audit role of a failed login under a name no agent has."""


class Credentials(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=passwords.MAX_LENGTH)]

    def __post_init__(self) -> None:
        if "\x00" in self.name:
            raise ValueError("the name must not contain NUL")


def _cookie(settings: Settings) -> dict:
    """The cookie's attributes: script cannot read it, other sites never send it, and over https only
    when the console is served over https (plain http on localhost must still work)."""
    secure = settings.agent_api_public_url.startswith("https://")
    return {"path": "/", "httponly": True, "samesite": "Strict", "secure": secure}


def _refused(wait: int) -> web.Response:
    response = error_response(429, "login_locked", f"Too many failed sign-ins; try again in {wait} s.")
    response.headers["Retry-After"] = str(wait)
    return response


async def _body(request: web.Request, pool: asyncpg.Pool, agent, csrf: str) -> dict:
    idle = AgentDeps.of(request).settings.console_idle_timeout
    return {"agent": await me_body(pool, agent), "csrf_token": csrf, "idle_timeout_s": idle}


async def _failed(
    conn: asyncpg.Connection, keys: dict[lockout.Scope, bytes], agent: asyncpg.Record | None, client: dict
) -> None:
    """Count the failure against the name and the address, lock what has failed too often, audit both."""
    actor = (agent["id"], agent["role"]) if agent else (None, ANONYMOUS)
    locks = {scope: await sessions.record_failure(conn, scope, key) for scope, key in keys.items()}
    reason = "wrong_password" if agent and agent["password_hash"] else ("no_password" if agent else "unknown_name")
    await audit.record_as(conn, *actor, audit.LOGIN_FAILED, detail={**client, "reason": reason})
    for scope, seconds in locks.items():
        if seconds:
            detail = {**client, "scope": scope, "seconds": seconds}
            await audit.record_as(conn, *actor, audit.LOGIN_LOCKED, detail=detail)


async def _attempt(
    conn: asyncpg.Connection, body: Credentials, keys: dict[lockout.Scope, bytes], client: dict
) -> int | asyncpg.Record | None:
    """Check one sign-in, in the caller's transaction: seconds to wait (locked out, or another
    attempt under this name is being checked), None for wrong credentials (counted), or the agent."""
    # One attempt per name at a time, across replicas: guesses sent at once cannot all be checked
    # before the first failures are counted. The lock is the transaction's, released at its end.
    if not await conn.fetchval(TRY_LOCK, f"login:{keys['name'].hex()}"):
        return 1
    if wait := await sessions.locked_for(conn, keys):
        return wait
    agent = await sessions.credentials(conn, body.name.strip())
    stored = agent["password_hash"] if agent else None
    # Always one verify, against a dummy hash when there is nothing to match, so timing tells nothing.
    matched = await asyncio.to_thread(passwords.verify, body.password, stored or passwords.DUMMY_HASH)
    if agent is None or not stored or not matched:
        await _failed(conn, keys, agent, client)
        return None
    await sessions.forget_failures(conn, "name", keys["name"])
    return agent


async def login(request: web.Request) -> web.Response:
    body = await read_body(request, Credentials)
    pool, settings = AgentDeps.of(request).pool, AgentDeps.of(request).settings
    address = request.remote or ""
    client = {"address": address, "user_agent": request.headers.get("User-Agent", "")[:200]}
    keys: dict[lockout.Scope, bytes] = {
        "name": lockout.key("name", body.name),
        "address": lockout.key("address", address),
    }
    async with UnitOfWork(pool) as uow:
        conn = uow.conn
        agent = await _attempt(conn, body, keys, client)
        if isinstance(agent, asyncpg.Record):
            if old := sessions.cookie_token(request.cookies.get(sessions.COOKIE)):
                await sessions.end_by_token(conn, old)  # a new sign-in never keeps the old cookie alive
            lifetime = settings.console_session_lifetime
            session_id, token, csrf = await sessions.create(conn, agent["id"], lifetime, client["user_agent"], address)
            detail = {**client, "session_id": session_id}
            await audit.record_as(conn, agent["id"], agent["role"], audit.LOGIN, detail=detail)
    if isinstance(agent, int):
        return _refused(agent)
    if agent is None:
        raise ApiError(401, "invalid_credentials", "The name or the password is wrong.")
    response = json_response(await _body(request, pool, agent_from(agent), csrf))
    response.set_cookie(sessions.COOKIE, token, max_age=settings.console_session_lifetime, **_cookie(settings))
    response.headers["Cache-Control"] = "no-store"
    return response


async def current(request: web.Request) -> web.Response:
    if SESSION_ID not in request:
        raise ApiError(401, "no_session", "This call is made with a bearer token, not a console session.")
    response = json_response(await _body(request, AgentDeps.of(request).pool, request[AGENT], request[SESSION_CSRF]))
    response.headers["Cache-Control"] = "no-store"
    return response


async def logout(request: web.Request) -> web.Response:
    """End the caller's session (nothing to end for a bearer token) and clear the cookie."""
    if (session_id := request.get(SESSION_ID)) is not None:
        async with AgentDeps.of(request).uow() as uow:
            conn = uow.conn
            await sessions.end(conn, session_id)
            await audit.record(conn, request[AGENT], audit.LOGOUT, detail={"session_id": session_id})
    response = web.Response(status=204)
    response.del_cookie(sessions.COOKIE, **_cookie(AgentDeps.of(request).settings))
    return response


def register(app: web.Application) -> None:
    app.router.add_post("/v1/session", login)
    app.router.add_get("/v1/session", current)
    app.router.add_delete("/v1/session", logout)
