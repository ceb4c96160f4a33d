"""The router's SQL about customers: contacts, conversations, messages, deliveries, commands."""

import uuid
from datetime import datetime, timedelta

import asyncpg
import msgspec

from contracts import Attachment, InboundMessage
from contracts.messages import SURVEY_PURPOSE
from services.router.domain.suggestions import Suggestion

_encoder = msgspec.json.Encoder()


class Conversation(msgspec.Struct, frozen=True):
    id: str
    channel: str
    customer_address: str
    status: str
    agent_id: str | None
    priority: str
    queued_at: datetime | None
    category: str = "other"
    language: str = ""
    notice_sent: bool = False
    offered_to: str | None = None


def _conversation(row: asyncpg.Record) -> Conversation:
    return Conversation(
        id=str(row["id"]),
        channel=row["channel"],
        customer_address=row["customer_address"],
        status=row["status"],
        agent_id=str(row["agent_id"]) if row["agent_id"] else None,
        priority=row["priority"],
        queued_at=row["queued_at"],
        category=row["category"],
        language=row["language"],
        notice_sent=row["notice_sent"],
        offered_to=str(row["offered_to"]) if row["offered_to"] else None,
    )


CONVERSATION_COLUMNS = (
    "id, channel, customer_address, status, agent_id, priority, queued_at, category, language,"
    " closed_notice_at IS NOT NULL AS notice_sent, offered_to"
)


class Opening(msgspec.Struct, frozen=True):
    """How a new conversation starts: its triage, its state, its SLA clock, its sticky agent."""

    status: str
    category: str
    priority: str
    language: str
    first_response_in: timedelta
    resolution_in: timedelta
    preferred_agent_id: str | None = None


class Reply(msgspec.Struct, frozen=True):
    seq: int
    created_at: datetime
    account: str


DELIVERY_RANK = {"sent": 1, "delivered": 2, "failed": 2}
"""A report never moves a reply back: `sent` arriving after `delivered` changes nothing."""


class Conversations:
    """The router's contacts, conversations, messages and applied commands, on one transaction's connection."""

    def __init__(self, conn: asyncpg.Connection, now: datetime) -> None:
        self.conn, self.now = conn, now

    async def upsert_contact(self, message: InboundMessage) -> str:
        """Record the customer on this channel; return the best display name known."""
        return await self.conn.fetchval(
            "INSERT INTO contacts (channel, address, display_name, locale, account, last_inbound_at)"
            " VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (channel, address) DO UPDATE SET"
            "  display_name = COALESCE(NULLIF(EXCLUDED.display_name, ''), contacts.display_name),"
            "  locale = COALESCE(NULLIF(EXCLUDED.locale, ''), contacts.locale),"
            "  account = COALESCE(NULLIF(EXCLUDED.account, ''), contacts.account),"
            "  last_inbound_at = GREATEST(contacts.last_inbound_at, EXCLUDED.last_inbound_at)"
            " RETURNING display_name",
            message.channel.value,
            message.customer_address,
            message.customer_name,
            message.locale,
            message.account,
            message.received_at,
        )

    async def record_event(self, message: InboundMessage, reachable: bool | None) -> bool:
        """Store a channel event once and what it says about reachability; False if already stored."""
        inserted = await self.conn.fetchval(
            "INSERT INTO contact_events (channel, channel_event_id, address, event, details, occurred_at)"
            " VALUES ($1, $2, $3, $4, $5::jsonb, $6) ON CONFLICT DO NOTHING RETURNING true",
            message.channel.value,
            message.channel_message_id,
            message.customer_address,
            message.details.get("event", ""),
            _encoder.encode(message.details).decode(),
            message.received_at,
        )
        if inserted and reachable is not None:
            # Out-of-order events: only a newer follow/unfollow changes the state.
            column = "subscribed_at" if reachable else "unsubscribed_at"
            await self.conn.execute(
                f"UPDATE contacts SET reachable = $3, {column} = $4 WHERE channel = $1 AND address = $2"
                " AND $4 >= GREATEST(COALESCE(subscribed_at, '-infinity'), COALESCE(unsubscribed_at, '-infinity'))",
                message.channel.value,
                message.customer_address,
                reachable,
                message.received_at,
            )
        return bool(inserted)

    async def find_open_conversation(self, channel: str, address: str, unverified: bool = False) -> Conversation | None:
        """The customer's open conversation on this channel, locked; with `unverified`, the one that
        holds mail only claiming to be from this address (migration 0018)."""
        row = await self.conn.fetchrow(
            f"SELECT {CONVERSATION_COLUMNS} FROM conversations"
            " WHERE channel = $1 AND customer_address = $2 AND status <> 'resolved' AND unverified = $3 FOR UPDATE",
            channel,
            address,
            unverified,
        )
        return _conversation(row) if row else None

    async def find_by_token(self, channel: str, token: str) -> Conversation | None:
        """The open conversation a subject token like RD-1A2B3C4D names (its id's first 8 hex digits), locked."""
        prefix = token.removeprefix("RD-").lower()
        if len(prefix) != 8 or any(c not in "0123456789abcdef" for c in prefix):
            return None
        row = await self.conn.fetchrow(
            f"SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id BETWEEN $1 AND $2"
            " AND channel = $3 AND status <> 'resolved' AND NOT unverified ORDER BY created_at DESC LIMIT 1 FOR UPDATE",
            uuid.UUID(f"{prefix}-0000-0000-0000-000000000000"),
            uuid.UUID(f"{prefix}-ffff-ffff-ffff-ffffffffffff"),
            channel,
        )
        return _conversation(row) if row else None

    async def create_conversation(
        self, channel: str, address: str, opening: Opening, unverified: bool = False
    ) -> Conversation | None:
        """Open a conversation; None when another router opened one for this customer first."""
        queued = opening.status == "queued"
        # No conflict target: the one open conversation per address is two partial indexes (0018),
        # verified and unverified; the new id is random, so any conflict is one of them.
        row = await self.conn.fetchrow(
            "INSERT INTO conversations (id, channel, customer_address, status, queued_at, category, priority,"
            " language, preferred_agent_id, first_response_due, resolution_due, unverified)"
            " VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN now() END, $6, $7, $8, $9,"
            "  CASE WHEN $5 THEN now() + $10::interval END, now() + $11::interval, $12)"
            " ON CONFLICT DO NOTHING"
            f" RETURNING {CONVERSATION_COLUMNS}",
            uuid.uuid4(),
            channel,
            address,
            opening.status,
            queued,
            opening.category,
            opening.priority,
            opening.language,
            uuid.UUID(opening.preferred_agent_id) if opening.preferred_agent_id else None,
            opening.first_response_in,
            opening.resolution_in,
            unverified,
        )
        return _conversation(row) if row else None

    async def previous_agent(self, channel: str, address: str) -> tuple[str | None, datetime | None]:
        """Who served this customer's last resolved conversation, and when it was resolved."""
        row = await self.conn.fetchrow(
            "SELECT agent_id, resolved_at FROM conversations WHERE channel = $1 AND customer_address = $2"
            " AND status = 'resolved' AND agent_id IS NOT NULL ORDER BY resolved_at DESC LIMIT 1",
            channel,
            address,
        )
        return (str(row["agent_id"]), row["resolved_at"]) if row else (None, None)

    async def queue_for_person(self, conversation_id: str, first_response_in: timedelta) -> None:
        """A bot-answered conversation now needs a person: into the queue, its SLA clock started."""
        await self.conn.execute(
            "UPDATE conversations SET status = 'queued', queued_at = now(), updated_at = now(),"
            " first_response_due = COALESCE(first_response_due, now() + $2::interval) WHERE id = $1",
            uuid.UUID(conversation_id),
            first_response_in,
        )

    async def retriage(
        self, conversation: Conversation, priority: str, category: str, first_response_in: timedelta
    ) -> None:
        """A later message can make a conversation more urgent (never less) and name what it is about."""
        await self.conn.execute(
            "UPDATE conversations SET priority = $2, category = CASE WHEN category = 'other' THEN $3 ELSE category END,"
            " first_response_due = LEAST(first_response_due, queued_at + $4::interval), updated_at = now()"
            " WHERE id = $1",
            uuid.UUID(conversation.id),
            priority,
            category,
            first_response_in,
        )

    async def mark_bot_answered(self, conversation_id: str, faq_id: str) -> None:
        await self.conn.execute(
            "UPDATE conversations SET bot_answered_at = now(), faq_id = $2 WHERE id = $1",
            uuid.UUID(conversation_id),
            faq_id,
        )

    async def mark_closed_notice(self, conversation_id: str) -> None:
        await self.conn.execute(
            "UPDATE conversations SET closed_notice_at = now() WHERE id = $1", uuid.UUID(conversation_id)
        )

    async def lock_conversation(self, conversation_id: str) -> Conversation | None:
        row = await self.conn.fetchrow(
            f"SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1 FOR UPDATE",
            uuid.UUID(conversation_id),
        )
        return _conversation(row) if row else None

    async def insert_inbound(
        self, message: InboundMessage, conversation_id: str, suggestions: tuple[Suggestion, ...] = ()
    ) -> bool:
        """Store a customer message once, with the FAQ answers suggested for it; False when (channel,
        channel id) is already stored."""
        inserted = await self.conn.fetchval(
            "INSERT INTO messages (id, conversation_id, direction, channel, customer_address,"
            " channel_message_id, kind, text, attachments, created_at, details, sender_warning, faq_suggestions)"
            " VALUES ($1, $2, 'in', $3, $4, $5, $6, $7, $8::jsonb, $9, $10::jsonb, NULLIF($11, ''), $12::jsonb)"
            " ON CONFLICT DO NOTHING RETURNING true",
            uuid.UUID(message.message_id),
            uuid.UUID(conversation_id),
            message.channel.value,
            message.customer_address,
            message.channel_message_id,
            message.kind.value,
            message.text,
            _encoder.encode(message.attachments).decode(),
            message.received_at,
            _encoder.encode(message.details).decode(),
            message.sender_warning,
            _encoder.encode(suggestions).decode(),
        )
        return bool(inserted)

    async def contact_reachable(self, channel: str, address: str) -> bool:
        return bool(
            await self.conn.fetchval(
                "SELECT reachable FROM contacts WHERE channel = $1 AND address = $2", channel, address
            )
        )

    async def insert_reply(
        self,
        conversation: Conversation,
        message_id: str,
        agent_id: str | None,
        text: str,
        details: dict[str, str] | None = None,
        attachments: tuple[Attachment, ...] = (),
    ) -> Reply:
        """Store a reply with the customer's next reply seq; an agent's counts as the first response."""
        seq, account = await self.conn.fetchrow(
            "UPDATE contacts SET out_seq = out_seq + 1 WHERE channel = $1 AND address = $2 RETURNING out_seq, account",
            conversation.channel,
            conversation.customer_address,
        )
        created_at = await self.conn.fetchval(
            "INSERT INTO messages (id, conversation_id, direction, channel, customer_address,"
            " agent_id, text, seq, details, attachments)"
            " VALUES ($1, $2, 'out', $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb) RETURNING created_at",
            uuid.UUID(message_id),
            uuid.UUID(conversation.id),
            conversation.channel,
            conversation.customer_address,
            uuid.UUID(agent_id) if agent_id else None,
            text,
            seq,
            _encoder.encode(details or {}).decode(),
            _encoder.encode(attachments).decode(),
        )
        if agent_id:
            await self.conn.execute(
                "UPDATE conversations SET first_response_at = COALESCE(first_response_at, now()),"
                " updated_at = now() WHERE id = $1",
                uuid.UUID(conversation.id),
            )
        return Reply(seq, created_at, account)

    async def record_delivery(
        self, message_id: str, status: str, reason: str, at: datetime
    ) -> tuple[str, str | None] | None:
        """Store a reply's delivery state; return (conversation, its agent) when it changed."""
        try:
            key = uuid.UUID(message_id)
        except ValueError:
            return None
        row = await self.conn.fetchrow(
            "UPDATE messages m SET delivery_status = $2, delivery_reason = NULLIF($3, ''), delivery_at = $4"
            " FROM conversations c WHERE m.id = $1 AND m.direction = 'out' AND c.id = m.conversation_id"
            " AND COALESCE((SELECT r.rank FROM unnest($6::text[], $7::int[]) AS r(status, rank)"
            "  WHERE r.status = m.delivery_status), 0) < $5"
            " RETURNING m.conversation_id, c.agent_id",
            key,
            status,
            reason,
            at,
            DELIVERY_RANK[status],
            list(DELIVERY_RANK),
            list(DELIVERY_RANK.values()),
        )
        if row is None:
            return None
        return str(row["conversation_id"]), str(row["agent_id"]) if row["agent_id"] else None

    async def claim_command(self, command_id: str) -> bool:
        """True the first time a command is seen; the row commits only with its effect."""
        return bool(
            await self.conn.fetchval(
                "INSERT INTO applied_commands (command_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING true",
                uuid.UUID(command_id),
            )
        )

    async def resolve(self, conversation_id: str) -> datetime:
        """Resolve the conversation; return when."""
        return await self.conn.fetchval(
            "UPDATE conversations SET status = 'resolved', resolved_at = now(), updated_at = now()"
            " WHERE id = $1 RETURNING resolved_at",
            uuid.UUID(conversation_id),
        )

    async def surveyed_unrated(self, channel: str, address: str, asked_since: datetime) -> str | None:
        """The customer's resolved conversation most recently asked for a rating since `asked_since`
        and not rated yet."""
        return await self.conn.fetchval(
            "SELECT c.id::text FROM conversations c JOIN messages m ON m.conversation_id = c.id"
            " WHERE c.channel = $1 AND c.customer_address = $2 AND c.status = 'resolved'"
            " AND m.direction = 'out' AND m.details->>'purpose' = $3 AND m.created_at > $4"
            " AND NOT EXISTS (SELECT 1 FROM csat_responses r WHERE r.conversation_id = c.id)"
            " ORDER BY m.created_at DESC LIMIT 1",
            channel,
            address,
            SURVEY_PURPOSE,
            asked_since,
        )
