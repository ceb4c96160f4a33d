"""The notifier's SQL about callback tasks: create, lock, change, record history; find the customer."""

import uuid
from datetime import datetime

import asyncpg
import msgspec

from domain.callbacks import Task

_encoder = msgspec.json.Encoder()


class NewTask(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    dedupe_key: str
    source: str
    reason: str
    channel: str
    customer_address: str
    due_at: datetime
    customer_name: str = ""
    customer_id: str | None = None
    conversation_id: str | None = None
    category: str = "other"
    language: str = ""
    application_id: str | None = None
    application_type: str | None = None
    details: dict[str, str] = {}
    note: str = ""
    preferred_agent_id: str | None = None
    assigned_agent_id: str | None = None
    created_by: str | None = None


class TaskRow(msgspec.Struct, frozen=True):
    """A locked task: the rules' view and what events about it show."""

    task: Task
    reason: str
    channel: str
    customer_address: str
    customer_name: str
    category: str
    language: str
    conversation_id: str | None
    preferred_agent_id: str | None


def _text(value) -> str | None:
    return None if value is None else str(value)


def _uuid(value: str | None) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(value)


async def insert_task(conn: asyncpg.Connection, new: NewTask) -> bool:
    """Store the task once; False when its id or its dedupe key is already stored."""
    return bool(
        await conn.fetchval(
            "INSERT INTO callback_tasks (id, dedupe_key, source, reason, channel, customer_address, customer_name,"
            " customer_id, conversation_id, category, language, application_id, application_type, details, note,"
            " preferred_agent_id, assigned_agent_id, assigned_at, due_at, created_by)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15, $16, $17,"
            "  CASE WHEN $17::uuid IS NOT NULL THEN now() END, $18, $19)"
            " ON CONFLICT DO NOTHING RETURNING true",
            uuid.UUID(new.id),
            new.dedupe_key,
            new.source,
            new.reason,
            new.channel,
            new.customer_address,
            new.customer_name,
            _uuid(new.customer_id),
            _uuid(new.conversation_id),
            new.category,
            new.language,
            new.application_id,
            new.application_type,
            _encoder.encode(new.details).decode(),
            new.note,
            _uuid(new.preferred_agent_id),
            _uuid(new.assigned_agent_id),
            new.due_at,
            _uuid(new.created_by),
        )
    )


async def lock_task(conn: asyncpg.Connection, callback_id: str) -> TaskRow | None:
    row = await conn.fetchrow(
        "SELECT id, state, assigned_agent_id, claimed_at IS NOT NULL AS claimed, attempts, due_at, cycle, reason,"
        " channel, customer_address, customer_name, category, language, conversation_id, preferred_agent_id"
        " FROM callback_tasks WHERE id = $1 FOR UPDATE",
        uuid.UUID(callback_id),
    )
    if row is None:
        return None
    task = Task(
        str(row["id"]),
        row["state"],
        _text(row["assigned_agent_id"]),
        row["claimed"],
        row["attempts"],
        row["due_at"],
        row["cycle"],
    )
    return TaskRow(
        task,
        row["reason"],
        row["channel"],
        row["customer_address"],
        row["customer_name"],
        row["category"],
        row["language"],
        _text(row["conversation_id"]),
        _text(row["preferred_agent_id"]),
    )


async def record(
    conn: asyncpg.Connection,
    callback_id: str,
    event: str,
    agent_id: str | None = None,
    *,
    result: str | None = None,
    note: str = "",
    due_at: datetime | None = None,
) -> None:
    """Append to the task's history."""
    await conn.execute(
        "INSERT INTO callback_history (callback_id, event, agent_id, result, note, due_at)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        uuid.UUID(callback_id),
        event,
        _uuid(agent_id),
        result,
        note,
        due_at,
    )


async def set_due(conn: asyncpg.Connection, callback_id: str) -> None:
    await conn.execute(
        "UPDATE callback_tasks SET state = 'due', updated_at = now() WHERE id = $1", uuid.UUID(callback_id)
    )


async def assign(conn: asyncpg.Connection, callback_id: str, agent_id: str, claimed: bool) -> None:
    """Make the task the agent's; a claim also marks it as being worked."""
    await conn.execute(
        "UPDATE callback_tasks SET assigned_agent_id = $2, assigned_at = now(), updated_at = now(),"
        " claimed_at = CASE WHEN $3 THEN now() ELSE claimed_at END WHERE id = $1",
        uuid.UUID(callback_id),
        uuid.UUID(agent_id),
        claimed,
    )


async def mark_overdue(conn: asyncpg.Connection, callback_id: str) -> datetime:
    return await conn.fetchval(
        "UPDATE callback_tasks SET overdue_at = now(), updated_at = now() WHERE id = $1 RETURNING overdue_at",
        uuid.UUID(callback_id),
    )


async def reschedule(conn: asyncpg.Connection, callback_id: str, due_at: datetime, attempts: int) -> int:
    """Back to scheduled for the next call; return the new cycle, which the next reminders carry."""
    return await conn.fetchval(
        "UPDATE callback_tasks SET state = 'scheduled', due_at = $2, attempts = $3, cycle = cycle + 1,"
        " overdue_at = NULL, updated_at = now() WHERE id = $1 RETURNING cycle",
        uuid.UUID(callback_id),
        due_at,
        attempts,
    )


async def close(conn: asyncpg.Connection, callback_id: str, result: str, attempts: int) -> None:
    await conn.execute(
        "UPDATE callback_tasks SET state = 'closed', result = $2, attempts = $3, closed_at = now(),"
        " updated_at = now() WHERE id = $1",
        uuid.UUID(callback_id),
        result,
        attempts,
    )


class Customer(msgspec.Struct, frozen=True):
    channel: str
    address: str
    name: str = ""
    customer_id: str | None = None


async def customer_at(conn: asyncpg.Connection, channel: str, address: str, name: str = "") -> Customer:
    """The customer at a channel address, with their profile (when linked) and best-known name."""
    row = await conn.fetchrow(
        "SELECT p.id, NULLIF(p.name, '') AS profile_name, k.display_name FROM (SELECT 1) AS one"
        " LEFT JOIN customer_identities i ON i.channel = $1 AND i.address = $2"
        " LEFT JOIN customers p ON p.id = i.customer_id"
        " LEFT JOIN contacts k ON k.channel = $1 AND k.address = $2",
        channel,
        address,
    )
    best = name or row["profile_name"] or row["display_name"] or ""
    return Customer(channel, address, best, _text(row["id"]))


async def customer_by_external_id(conn: asyncpg.Connection, external_id: str, name: str = "") -> Customer | None:
    """The wallet's customer id as a profile and an address to call: an SMS number first."""
    row = await conn.fetchrow(
        "SELECT p.id, p.name, COALESCE(i.channel, CASE WHEN p.phone IS NOT NULL THEN 'sms' END) AS channel,"
        " COALESCE(i.address, p.phone) AS address FROM customers p"
        " LEFT JOIN customer_identities i ON i.customer_id = p.id"
        " WHERE p.external_id = $1 ORDER BY i.channel = 'sms' DESC NULLS LAST, i.linked_at LIMIT 1",
        external_id,
    )
    if row is None or row["address"] is None:
        return None
    return Customer(row["channel"], row["address"], name or row["name"], str(row["id"]))


async def claim_command(conn: asyncpg.Connection, command_id: str) -> bool:
    """True the first time a command is seen; the row commits only with its effect."""
    return bool(
        await conn.fetchval(
            "INSERT INTO notifier_commands (command_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING true",
            uuid.UUID(command_id),
        )
    )
