"""The audit trail of who saw customer data (every conversation view and every unmask, with why)
and of who signed in to the console, failed to, was locked out, or had their password set.

The one writer of `audit_log`. Pass `record` the connection of the transaction that read the
data, and the read and its audit row commit together or not at all.
"""

import uuid
from datetime import datetime
from typing import Annotated

import asyncpg
import msgspec
from aiohttp import web

from services.agent_api.http.auth import SESSION_ID, TOKEN_ID, Agent

VIEW_CONVERSATION = "view_conversation"
UNMASK_MESSAGE = "unmask_message"
LOGIN, LOGIN_FAILED, LOGIN_LOCKED, LOGOUT = "login", "login_failed", "login_locked", "logout"
PASSWORD_SET, SESSIONS_ENDED = "password_set", "sessions_ended"
MAX_PAGE = 500

_encoder = msgspec.json.Encoder()
_INSERT = (
    "INSERT INTO audit_log (actor_id, actor_role, action, conversation_id, message_id, reason, detail)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING id"
)
_ENTRY_FIELDS = (
    "l.id, l.at, l.actor_id::text AS actor_id, a.name AS actor_name, l.actor_role, l.action,"
    " l.conversation_id::text AS conversation_id, l.message_id::text AS message_id, l.reason,"
    " l.detail::text AS detail"
)


class AuditQuery(msgspec.Struct, forbid_unknown_fields=True):
    """Which entries an admin asks for: filters, a page size, and the last id already seen."""

    actor_id: uuid.UUID | None = None
    conversation_id: uuid.UUID | None = None
    action: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    start: Annotated[datetime, msgspec.Meta(tz=True)] | None = msgspec.field(default=None, name="from")
    end: Annotated[datetime, msgspec.Meta(tz=True)] | None = msgspec.field(default=None, name="to")
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_PAGE)] = 100
    after: Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)] | None = None

    def __post_init__(self) -> None:
        if self.start and self.end and self.start >= self.end:
            raise ValueError("'from' must be before 'to'")


def _uuid(value: str | uuid.UUID | None) -> uuid.UUID | None:
    return value if value is None or isinstance(value, uuid.UUID) else uuid.UUID(value)


def token_detail(request: web.Request, **detail: object) -> dict:
    """`detail` plus the token (or console session) the caller used, so a leaked token's reads can be traced."""
    if session_id := request.get(SESSION_ID):
        return {"session_id": session_id, **detail}
    return {"token_id": request.get(TOKEN_ID), **detail}


async def record(
    conn_or_pool: asyncpg.Connection | asyncpg.Pool,
    agent: Agent,
    action: str,
    conversation_id: str | uuid.UUID | None = None,
    message_id: str | uuid.UUID | None = None,
    reason: str = "",
    detail: dict | None = None,
) -> int:
    """Append one entry naming `agent` as the actor; returns its id."""
    return await record_as(conn_or_pool, agent.id, agent.role, action, conversation_id, message_id, reason, detail)


async def record_as(
    conn_or_pool: asyncpg.Connection | asyncpg.Pool,
    actor_id: str | None,
    actor_role: str,
    action: str,
    conversation_id: str | uuid.UUID | None = None,
    message_id: str | uuid.UUID | None = None,
    reason: str = "",
    detail: dict | None = None,
) -> int:
    """Append one entry for an actor who may not be signed in (a login), or unknown (None)."""
    return await conn_or_pool.fetchval(
        _INSERT,
        _uuid(actor_id),
        actor_role,
        action,
        _uuid(conversation_id),
        _uuid(message_id),
        reason,
        _encoder.encode(detail or {}).decode(),
    )


async def entries(pool: asyncpg.Pool, query: AuditQuery) -> list[dict]:
    """The entries matching `query`, newest first, older than `query.after` when given."""
    conditions, args = [], []
    for sql, value in (
        ("l.actor_id = {}", query.actor_id),
        ("l.conversation_id = {}", query.conversation_id),
        ("l.action = {}", query.action),
        ("l.at >= {}", query.start),
        ("l.at < {}", query.end),
        ("l.id < {}", query.after),
    ):
        if value is not None:
            args.append(value)
            conditions.append(sql.format(f"${len(args)}"))
    rows = await pool.fetch(
        f"SELECT {_ENTRY_FIELDS} FROM audit_log l LEFT JOIN agents a ON a.id = l.actor_id"
        f" WHERE {' AND '.join(conditions) or 'true'} ORDER BY l.id DESC LIMIT ${len(args) + 1}",
        *args,
        query.limit,
    )
    # detail is stored JSON: passed through as it is rather than decoded and encoded again
    return [{**dict(row), "detail": msgspec.Raw(row["detail"].encode())} for row in rows]
