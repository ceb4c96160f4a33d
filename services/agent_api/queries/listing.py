"""Conversation lists: the filters a caller may set, opaque cursors, and the SQL they make (pure).

Pages run newest first by (created_at, id), which never change, so following `next_cursor`
neither skips nor repeats a conversation however the list changes meanwhile.
"""

import base64
import binascii
import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec

from domain.priority import Priority

Status = Literal["bot", "queued", "assigned", "resolved"]
Channel = Literal["webchat", "wechat", "email", "sms"]
Label = Annotated[str, msgspec.Meta(pattern="^[a-z0-9][a-z0-9_.:-]{0,47}$")]
MULTI = ("status", "category", "channel", "priority")
"""Filters that take several values, comma-separated: `status=queued,assigned`."""
MAX_PAGE = 200
CURSOR_RANGE = (datetime(2000, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC))
"""Instants a cursor we gave out can hold; a forged one outside never reaches SQL."""
AGENT_FILTER = "^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"


class ListQuery(msgspec.Struct, forbid_unknown_fields=True):
    """`GET /v1/conversations` filters; every one given must match."""

    status: list[Status] | None = None
    category: list[Label] | None = None
    channel: list[Channel] | None = None
    priority: list[Priority] | None = None
    agent_id: Annotated[str, msgspec.Meta(pattern=AGENT_FILTER)] | None = None
    """The agent it is assigned to now, by id or `me`; agents may only name themselves."""
    tag: Label | None = None
    customer_id: uuid.UUID | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_PAGE)] = 50
    cursor: str | None = None


class BadCursor(ValueError):
    pass


def query_fields(params: dict[str, str]) -> dict:
    """The query string as ListQuery fields: empty values dropped, multi-valued filters split."""
    fields: dict = {name: value for name, value in params.items() if value != ""}
    for name in MULTI:
        if name in fields:
            fields[name] = [part.strip() for part in fields[name].split(",") if part.strip()]
    return fields


def encode_cursor(created_at: datetime, conversation_id: str) -> str:
    raw = msgspec.json.encode([created_at, conversation_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, conversation_id = msgspec.json.decode(raw, type=tuple[datetime, uuid.UUID])
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise BadCursor("'cursor' is not one this API gave out; start again without it.") from None
    if created_at.tzinfo is None or not CURSOR_RANGE[0] <= created_at < CURSOR_RANGE[1]:
        raise BadCursor("'cursor' is not one this API gave out; start again without it.")
    return created_at, conversation_id


def select_page(query: ListQuery, viewer_id: uuid.UUID, supervisor: bool) -> tuple[str, list]:
    """The SELECT of this caller's page (`limit` + 1 rows of `conversations c`, newest first) and its
    arguments."""
    conditions: list[str] = []
    args: list = []

    def arg(value) -> str:
        args.append(value)
        return f"${len(args)}"

    source, key = "conversations c", ("c.created_at", "c.id")
    if not supervisor:
        # Walked in the index `conversation_agents_listing`, which keeps each conversation's
        # (created_at, id) beside its agents: the same order, without reading others' conversations.
        source = "conversation_agents s JOIN conversations c ON c.id = s.conversation_id"
        key = ("s.conversation_created_at", "s.conversation_id")
        conditions.append(f"s.agent_id = {arg(viewer_id)}")
    for column in MULTI:
        if values := getattr(query, column):
            conditions.append(f"c.{column} = ANY({arg(values)}::text[])")
    if query.agent_id is not None:
        conditions.append(f"c.agent_id = {arg(viewer_id if query.agent_id == 'me' else uuid.UUID(query.agent_id))}")
    if query.tag is not None:
        conditions.append(
            f"EXISTS (SELECT 1 FROM conversation_tags t WHERE t.conversation_id = c.id AND t.tag = {arg(query.tag)})"
        )
    if query.customer_id is not None:
        conditions.append(
            "(c.channel, c.customer_address) IN (SELECT channel, address FROM customer_identities"
            f" WHERE customer_id = {arg(query.customer_id)})"
        )
    if query.cursor is not None:
        created_at, conversation_id = decode_cursor(query.cursor)
        conditions.append(f"({key[0]}, {key[1]}) < ({arg(created_at)}, {arg(conversation_id)})")
    return (
        f"SELECT c.* FROM {source} WHERE {' AND '.join(conditions) or 'true'}"
        f" ORDER BY {key[0]} DESC, {key[1]} DESC LIMIT {query.limit + 1}"
    ), args
