"""Read-only views of router-owned tables, shaped for the agent API's responses."""

import uuid

import asyncpg

from services.agent_api.auth import Agent
from shared.http import ApiError

CONVERSATION_FIELDS = (
    "c.id::text AS id, c.channel, c.customer_address, k.display_name AS customer_name, c.status,"
    " c.agent_id::text AS agent_id, c.priority, c.category, c.created_at, c.assigned_at,"
    " c.first_response_at, c.resolved_at, c.updated_at"
)


async def agent_status(pool: asyncpg.Pool, agent_id: str) -> tuple[str, int]:
    row = await pool.fetchrow(
        "SELECT COALESCE((SELECT status FROM agent_state WHERE agent_id = $1), 'offline') AS status,"
        " (SELECT count(*) FROM conversations WHERE agent_id = $1 AND status = 'assigned') AS open",
        uuid.UUID(agent_id),
    )
    return row["status"], row["open"]


async def open_conversations(pool: asyncpg.Pool, agent_id: str) -> list[dict]:
    rows = await pool.fetch(
        f"SELECT {CONVERSATION_FIELDS} FROM conversations c"
        " JOIN contacts k ON k.channel = c.channel AND k.address = c.customer_address"
        " WHERE c.agent_id = $1 AND c.status = 'assigned' ORDER BY c.assigned_at",
        uuid.UUID(agent_id),
    )
    return [dict(row) for row in rows]


def parse_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ApiError(404, "not_found", "No such conversation.") from None


async def visible_conversation(pool: asyncpg.Pool, agent: Agent, conversation_id: str) -> dict:
    """The conversation if the caller may see it: their own, or any for supervisors. Else 404."""
    row = await pool.fetchrow(
        f"SELECT {CONVERSATION_FIELDS} FROM conversations c"
        " JOIN contacts k ON k.channel = c.channel AND k.address = c.customer_address"
        " WHERE c.id = $1",
        parse_id(conversation_id),
    )
    if row is None or (row["agent_id"] != agent.id and not agent.is_supervisor):
        raise ApiError(404, "not_found", "No such conversation.")
    return dict(row)


async def messages(pool: asyncpg.Pool, conversation_id: str) -> list[dict]:
    rows = await pool.fetch(
        "SELECT id::text AS id, direction, kind, text, attachments::text AS attachments,"
        " agent_id::text AS agent_id, seq, created_at FROM messages"
        " WHERE conversation_id = $1 ORDER BY created_at, seq NULLS FIRST",
        uuid.UUID(conversation_id),
    )
    return [dict(row) for row in rows]


async def events_after(pool: asyncpg.Pool, agent_id: str, after: int, limit: int) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT id, payload FROM outbox WHERE agent_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        uuid.UUID(agent_id), after, limit,
    )


async def offered_to(pool: asyncpg.Pool, agent_id: str, conversation_id: str) -> str | None:
    """The conversation's id when it is offered to this agent right now."""
    found = await pool.fetchval(
        "SELECT id::text FROM conversations WHERE id = $1 AND offered_to = $2",
        parse_id(conversation_id),
        uuid.UUID(agent_id),
    )
    return found
