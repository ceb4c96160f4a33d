"""Creating agents: the one place that writes the agents table besides the API itself."""

import uuid

import asyncpg

from services.agent_api.tokens import new_token, token_hash
from shared import db
from shared.config import Settings


class AccountError(Exception):
    """The agent cannot be created as asked."""


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
    """Create an agent (offline until they say otherwise); return (agent_id, token)."""
    if not name.strip():
        raise AccountError("the agent's name must not be empty")
    if capacity < 1:
        raise AccountError("capacity must be at least 1")
    token, agent_id = new_token(), uuid.uuid4()
    try:
        await conn.execute(
            "INSERT INTO agents (id, name, role, capacity, skills, languages, channels, teams, token_hash)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            agent_id, name.strip(), role, capacity, skills, languages, list(channels), list(teams), token_hash(token),
        )
    except asyncpg.UniqueViolationError:
        raise AccountError(f"an agent named {name!r} already exists") from None
    return str(agent_id), token


async def add_agent_cli(settings: Settings, name: str, **fields) -> str:
    """`relaydesk agents add`: migrate if needed, create the agent, return its token."""
    await db.migrate(settings.database_url)
    conn = await asyncpg.connect(settings.database_url)
    try:
        _, token = await add_agent(conn, name, **fields)
    finally:
        await conn.close()
    return token
