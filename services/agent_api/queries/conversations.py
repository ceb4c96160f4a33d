"""Read-only views of router-owned tables, shaped for the agent API's responses."""

import uuid

import asyncpg

from services.agent_api.http.auth import Agent
from services.agent_api.queries.listing import ListQuery, encode_cursor, select_page
from shared.http import ApiError

CONVERSATION_FIELDS = (
    "c.id::text AS id, c.channel, c.customer_address, COALESCE(NULLIF(p.name, ''), k.display_name) AS customer_name,"
    " p.id::text AS customer_id, c.status, c.agent_id::text AS agent_id, c.priority, c.category, c.language,"
    " c.team, c.created_at, c.assigned_at, c.first_response_at, c.resolved_at, c.updated_at,"
    " ARRAY(SELECT t.tag FROM conversation_tags t WHERE t.conversation_id = c.id ORDER BY t.tag) AS tags,"
    # The router's SLA clocks; "warned" once its sweep has sent the warning for this due time.
    " c.first_response_due, c.first_response_breached,"
    " c.first_response_warned_for IS NOT NULL AND c.first_response_warned_for = c.first_response_due"
    " AS first_response_warned,"
    " c.resolution_due, c.resolution_breached,"
    " c.resolution_warned_for IS NOT NULL AND c.resolution_warned_for = c.resolution_due AS resolution_warned"
)
LAST_MESSAGE = (
    " LEFT JOIN LATERAL (SELECT m.text, m.kind, m.direction, m.agent_id IS NOT NULL AS by_agent, m.created_at"
    "  FROM messages m WHERE m.conversation_id = c.id ORDER BY m.created_at DESC, m.seq DESC NULLS LAST LIMIT 1) m"
    " ON true"
)
"""The newest message of each conversation on the page: one index probe per row (messages_conversation)."""
LAST_FIELDS = (
    "m.text AS last_text, m.kind AS last_kind, m.direction AS last_direction, m.by_agent AS last_by_agent,"
    " m.created_at AS last_at"
)
CONVERSATION_JOINS = (
    " JOIN contacts k ON k.channel = c.channel AND k.address = c.customer_address"
    " LEFT JOIN customer_identities i ON i.channel = c.channel AND i.address = c.customer_address"
    " LEFT JOIN customers p ON p.id = i.customer_id"
)
"""What CONVERSATION_FIELDS reads besides `c`, the conversation: its contact and customer profile."""
CONVERSATION_SOURCE = "conversations c" + CONVERSATION_JOINS


async def agent_status(pool: asyncpg.Pool, agent_id: str) -> tuple[str, int]:
    row = await pool.fetchrow(
        "SELECT COALESCE((SELECT status FROM agent_state WHERE agent_id = $1), 'offline') AS status,"
        " (SELECT count(*) FROM conversations WHERE agent_id = $1 AND status = 'assigned') AS open",
        uuid.UUID(agent_id),
    )
    return row["status"], row["open"]


async def list_conversations(pool: asyncpg.Pool, query: ListQuery, agent: Agent) -> tuple[list[dict], str | None]:
    """One page of the conversations the caller may see, newest first, and the next page's cursor."""
    selected, args = select_page(query, uuid.UUID(agent.id), agent.is_supervisor)
    # The page first, then its contacts, profiles and tags: joined over the whole table, the
    # planner sizes a Memoize cache per join for 100k rows and sets it up on every call (~1 ms).
    # The inner join drops nothing: every conversation's contact exists (foreign key).
    rows = await pool.fetch(
        f"SELECT {CONVERSATION_FIELDS}, {LAST_FIELDS} FROM ({selected}) c{CONVERSATION_JOINS}{LAST_MESSAGE}"
        " ORDER BY c.created_at DESC, c.id DESC",
        *args,
    )
    page = [dict(row) for row in rows[: query.limit]]
    more = len(rows) > query.limit
    return page, encode_cursor(page[-1]["created_at"], page[-1]["id"]) if more else None


def parse_id(value: str, what: str = "conversation") -> uuid.UUID:
    """A path id as a UUID; 404 when it cannot be one, like an id that names nothing."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ApiError(404, "not_found", f"No such {what}.") from None


async def visible_conversation(pool: asyncpg.Pool, agent: Agent, conversation_id: str) -> dict:
    """The conversation if the caller may see it: one assigned to them now or before, or any for
    supervisors. Else 404, so others' conversations are not even confirmed to exist."""
    row = await pool.fetchrow(
        f"SELECT {CONVERSATION_FIELDS}, EXISTS (SELECT 1 FROM conversation_agents s"
        "  WHERE s.conversation_id = c.id AND s.agent_id = $2) AS worked_on"
        f" FROM {CONVERSATION_SOURCE} WHERE c.id = $1",
        parse_id(conversation_id),
        uuid.UUID(agent.id),
    )
    if row is None or not (row["worked_on"] or agent.is_supervisor):
        raise ApiError(404, "not_found", "No such conversation.")
    found = dict(row)
    del found["worked_on"]
    return found


async def messages(pool: asyncpg.Pool, conversation_id: str) -> list[dict]:
    rows = await pool.fetch(
        "SELECT id::text AS id, direction, kind, text, attachments::text AS attachments,"
        " agent_id::text AS agent_id, seq, created_at, delivery_status, delivery_reason, delivery_at, sender_warning,"
        " faq_suggestions::text AS faq_suggestions"
        " FROM messages"
        " WHERE conversation_id = $1 ORDER BY created_at, seq NULLS FIRST",
        uuid.UUID(conversation_id),
    )
    return [dict(row) for row in rows]


async def offered_to(pool: asyncpg.Pool, agent_id: str, conversation_id: str) -> str | None:
    """The conversation's id when it is offered to this agent right now."""
    found = await pool.fetchval(
        "SELECT id::text FROM conversations WHERE id = $1 AND offered_to = $2",
        parse_id(conversation_id),
        uuid.UUID(agent_id),
    )
    return found


async def open_conversation_of(pool: asyncpg.Pool, channel: str, conversation_id: str) -> str | None:
    """The id of another open conversation of this conversation's customer on `channel`, if any."""
    return await pool.fetchval(
        "SELECT o.id::text FROM conversations c JOIN conversations o"
        " ON o.channel = c.channel AND o.customer_address = c.customer_address AND o.status <> 'resolved'"
        " WHERE c.id = $1 AND c.channel = $2 AND o.id <> c.id",
        uuid.UUID(conversation_id),
        channel,
    )
