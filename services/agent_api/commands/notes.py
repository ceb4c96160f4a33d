"""Internal notes and tags on conversations: the one writer of conversation_notes and conversation_tags."""

import uuid

import asyncpg

from services.agent_api.http.auth import Agent
from shared.pii import mask

NOTE_FIELDS = "n.id::text AS id, n.kind, n.text, n.author_id::text AS author_id, a.name AS author_name, n.created_at"


async def add(pool: asyncpg.Pool, author: Agent, conversation_id: str, text: str, kind: str = "note") -> dict:
    row = await pool.fetchrow(
        "WITH n AS (INSERT INTO conversation_notes (id, conversation_id, author_id, kind, text)"
        " VALUES ($1, $2, $3, $4, $5) RETURNING *)"
        f" SELECT {NOTE_FIELDS} FROM n JOIN agents a ON a.id = n.author_id",
        uuid.uuid4(),
        uuid.UUID(conversation_id),
        uuid.UUID(author.id),
        kind,
        text,
    )
    return _masked(row)


async def of(pool: asyncpg.Pool, conversation_id: str, names: tuple[str, ...] = ()) -> list[dict]:
    """The conversation's notes, oldest first, PII (and the customer's `names`) masked like the messages."""
    rows = await pool.fetch(
        f"SELECT {NOTE_FIELDS} FROM conversation_notes n JOIN agents a ON a.id = n.author_id"
        " WHERE n.conversation_id = $1 ORDER BY n.created_at, n.id",
        uuid.UUID(conversation_id),
    )
    return [_masked(row, names) for row in rows]


def _masked(row: asyncpg.Record, names: tuple[str, ...] = ()) -> dict:
    return {**dict(row), "text": mask(row["text"], names)}


async def tag(pool: asyncpg.Pool, author: Agent, conversation_id: str, label: str) -> list[str]:
    """Add a tag (again is fine) and return the conversation's tags."""
    await pool.execute(
        "INSERT INTO conversation_tags (conversation_id, tag, added_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        uuid.UUID(conversation_id),
        label,
        uuid.UUID(author.id),
    )
    return await tags(pool, conversation_id)


async def untag(pool: asyncpg.Pool, conversation_id: str, label: str) -> list[str]:
    await pool.execute(
        "DELETE FROM conversation_tags WHERE conversation_id = $1 AND tag = $2", uuid.UUID(conversation_id), label
    )
    return await tags(pool, conversation_id)


async def tags(pool: asyncpg.Pool, conversation_id: str) -> list[str]:
    return list(
        await pool.fetchval(
            "SELECT ARRAY(SELECT tag FROM conversation_tags WHERE conversation_id = $1 ORDER BY tag)",
            uuid.UUID(conversation_id),
        )
    )
