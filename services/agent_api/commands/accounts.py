"""Agents and their bearer tokens: the one writer of the agents and agent_tokens tables.

A token's secret is returned once, when it is made; only its SHA-256 is stored.
"""

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import asyncpg

from services.agent_api.commands.tokens import new_token, token_hash
from shared import db
from shared.config import Settings

T = TypeVar("T")
INITIAL = "initial"
MAX_TOKEN_NAME = 100
AGENT_FIELDS = "id::text AS id, name, role, capacity, skills, languages, channels, teams, created_at"
TOKEN_FIELDS = (
    "t.id::text AS id, t.agent_id::text AS agent_id, a.name AS agent_name, t.name, t.created_at,"
    " t.last_used_at, t.expires_at, t.revoked_at,"
    " CASE WHEN t.revoked_at IS NOT NULL THEN 'revoked' WHEN t.expires_at <= now() THEN 'expired'"
    " ELSE 'active' END AS status"
)


class AccountError(Exception):
    """The agent or token cannot be created or changed as asked."""


class DuplicateAgent(AccountError):
    """Another agent already has this name."""


class UnknownAgent(AccountError):
    """No agent has this id or name."""


class UnknownToken(AccountError):
    """No token has this id."""


class TokenRevoked(AccountError):
    """The token was revoked; it cannot be rotated back to life."""


def _uuid(value: str | uuid.UUID, missing: type[AccountError], what: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(value)
    except ValueError:
        raise missing(f"no {what} with id {value!r}") from None


def agent_uuid(agent_id: str) -> uuid.UUID:
    """The agent id as a UUID; UnknownAgent when it is not one."""
    return _uuid(agent_id, UnknownAgent, "agent")


async def add_agent(
    conn: asyncpg.Connection,
    name: str,
    *,
    capacity: int,
    skills: list[str],
    languages: list[str],
    role: str,
    channels: list[str] = (),
    teams: list[str] = (),
) -> tuple[str, str]:
    """Create an agent (offline until they say otherwise) with its token 'initial'; return (agent_id, token)."""
    if not name.strip():
        raise AccountError("the agent's name must not be empty")
    if capacity < 1:
        raise AccountError("capacity must be at least 1")
    token, agent_id = new_token(), uuid.uuid4()
    try:
        async with conn.transaction():
            await conn.execute(
                "INSERT INTO agents (id, name, role, capacity, skills, languages, channels, teams, token_hash)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                agent_id,
                name.strip(),
                role,
                capacity,
                skills,
                languages,
                list(channels),
                list(teams),
                token_hash(token),  # a mirror for older readers only: authentication reads agent_tokens
            )
            await _insert_token(conn, agent_id, INITIAL, token, None)
    except asyncpg.UniqueViolationError:
        raise DuplicateAgent(f"an agent named {name.strip()!r} already exists") from None
    return str(agent_id), token


async def list_agents(conn: asyncpg.Connection) -> list[dict]:
    return [dict(row) for row in await conn.fetch(f"SELECT {AGENT_FIELDS} FROM agents ORDER BY name")]


async def get_agent(conn: asyncpg.Connection, agent_id: str) -> dict:
    agent = _uuid(agent_id, UnknownAgent, "agent")
    row = await conn.fetchrow(f"SELECT {AGENT_FIELDS} FROM agents WHERE id = $1", agent)
    if row is None:
        raise UnknownAgent(f"no agent with id {agent_id!r}")
    return dict(row)


async def agent_id_named(conn: asyncpg.Connection, name: str) -> str:
    agent_id = await conn.fetchval("SELECT id::text FROM agents WHERE name = $1", name.strip())
    if agent_id is None:
        raise UnknownAgent(f"no agent named {name!r}")
    return agent_id


async def _insert_token(
    conn: asyncpg.Connection, agent_id: uuid.UUID, name: str, token: str, expires_at: datetime | None
) -> str:
    token_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO agent_tokens (id, agent_id, name, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5)",
        token_id,
        agent_id,
        name,
        token_hash(token),
        expires_at,
    )
    return str(token_id)


async def create_token(
    conn: asyncpg.Connection, agent_id: str, name: str, expires_at: datetime | None = None
) -> tuple[str, str]:
    """A new token for the agent; return (token_id, token). The token is never shown again."""
    if not name.strip() or len(name.strip()) > MAX_TOKEN_NAME:
        raise AccountError(f"a token's name must have 1 to {MAX_TOKEN_NAME} characters")
    if expires_at is not None and (expires_at.tzinfo is None or expires_at <= datetime.now(UTC)):
        raise AccountError("expires_at must be a time in the future, with its time zone")
    token = new_token()
    try:
        token_id = await _insert_token(conn, _uuid(agent_id, UnknownAgent, "agent"), name.strip(), token, expires_at)
    except asyncpg.ForeignKeyViolationError:
        raise UnknownAgent(f"no agent with id {agent_id!r}") from None
    return token_id, token


async def list_tokens(conn: asyncpg.Connection, agent_id: str | None = None) -> list[dict]:
    """Every token (of one agent), newest first: who, name, times, status; never the secret or hash."""
    if agent_id is None:
        return await _tokens(conn, "")
    agent = (await get_agent(conn, agent_id))["id"]
    return await _tokens(conn, "WHERE t.agent_id = $1", uuid.UUID(agent))


async def get_token(conn: asyncpg.Connection, token_id: str) -> dict:
    """One token as `list_tokens` shows it."""
    found = await _tokens(conn, "WHERE t.id = $1", _uuid(token_id, UnknownToken, "token"))
    if not found:
        raise UnknownToken(f"no token with id {token_id!r}")
    return found[0]


async def _tokens(conn: asyncpg.Connection, where: str, *args: object) -> list[dict]:
    rows = await conn.fetch(
        f"SELECT {TOKEN_FIELDS} FROM agent_tokens t JOIN agents a ON a.id = t.agent_id {where}"
        " ORDER BY t.created_at DESC, t.id",
        *args,
    )
    return [dict(row) for row in rows]


async def rotate_token(conn: asyncpg.Connection, token_id: str) -> tuple[str, str]:
    """Revoke the token and make its successor: same agent, same name, a lifetime as long as the
    old one's was. Return (new_token_id, new_token)."""
    token = _uuid(token_id, UnknownToken, "token")
    async with conn.transaction():
        old = await conn.fetchrow(
            "SELECT agent_id, name, revoked_at, expires_at - created_at AS lifetime FROM agent_tokens"
            " WHERE id = $1 FOR UPDATE",
            token,
        )
        if old is None:
            raise UnknownToken(f"no token with id {token_id!r}")
        if old["revoked_at"] is not None:
            raise TokenRevoked(f"token {token_id} was revoked; create a new one instead")
        await _revoke(conn, token)
        secret = new_token()
        expires_at = None if old["lifetime"] is None else datetime.now(UTC) + old["lifetime"]
        return await _insert_token(conn, old["agent_id"], old["name"], secret, expires_at), secret


async def revoke_token(conn: asyncpg.Connection, token_id: str) -> None:
    """Revoke the token at once; revoking a revoked token changes nothing."""
    token = _uuid(token_id, UnknownToken, "token")
    async with conn.transaction():
        if not await conn.fetchval("SELECT true FROM agent_tokens WHERE id = $1", token):
            raise UnknownToken(f"no token with id {token_id!r}")
        await _revoke(conn, token)


async def _revoke(conn: asyncpg.Connection, token_id: uuid.UUID) -> None:
    await conn.execute(
        "WITH revoked AS (UPDATE agent_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL"
        " RETURNING agent_id, token_hash)"
        " UPDATE agents a SET token_hash = NULL FROM revoked r WHERE a.id = r.agent_id AND a.token_hash = r.token_hash",
        token_id,
    )


async def on_database(settings: Settings, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """For the CLI: migrate if needed, then run `work` on one connection acting as the agent API."""
    await db.migrate(settings.database_url, ["agent_api"])
    conn = await db.connect(settings.database_url, "agent_api")
    try:
        return await work(conn)
    finally:
        await conn.close()


class LastAdmin(AccountError):
    """The change would leave nobody who can manage agents."""


EDITABLE = ("role", "capacity", "skills", "languages", "channels", "teams")


async def update_agent(conn: asyncpg.Connection, agent_id: str, changes: dict) -> tuple[dict, dict]:
    """Change the named fields (of EDITABLE only); returns the agent as it was and as it is now."""
    agent = agent_uuid(agent_id)
    columns = [name for name in EDITABLE if name in changes]
    async with conn.transaction():
        # Admins locked in one order, so two demotions at once cannot each see the other as the last one.
        admins = await conn.fetch("SELECT id FROM agents WHERE role = 'admin' ORDER BY id FOR UPDATE")
        before = await conn.fetchrow(f"SELECT {AGENT_FIELDS} FROM agents WHERE id = $1 FOR UPDATE", agent)
        if before is None:
            raise UnknownAgent(f"no agent with id {agent_id!r}")
        if before["role"] == "admin" and changes.get("role", "admin") != "admin" and len(admins) == 1:
            raise LastAdmin("this is the only admin: make another agent an admin first")
        assignments = ", ".join(f"{name} = ${n}" for n, name in enumerate(columns, start=2))
        after = await conn.fetchrow(
            f"UPDATE agents SET {assignments} WHERE id = $1 RETURNING {AGENT_FIELDS}",
            agent,
            *(changes[name] for name in columns),
        )
    return dict(before), dict(after)
