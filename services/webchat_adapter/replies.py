"""A session's replies as the router stored them: the record a visitor socket replays from."""

from collections.abc import AsyncIterator

import asyncpg
import msgspec

from contracts import Attachment, Channel, OutboundMessage
from services.webchat_adapter.frames import reply_frame

REPLAY_LIMIT = 500
"""Replies per page of a replay."""
_attachments = msgspec.json.Decoder(tuple[Attachment, ...])
_encoder = msgspec.json.Encoder()


async def latest_seq(pool: asyncpg.Pool, session_id: str) -> int:
    """The seq of the session's newest reply, or 0 (the contact numbers them)."""
    return await pool.fetchval(
        "SELECT COALESCE((SELECT out_seq FROM contacts WHERE channel = 'webchat' AND address = $1), 0)", session_id
    )


async def replies_after(pool: asyncpg.Pool, session_id: str, after: int) -> AsyncIterator[tuple[int, str]]:
    """The session's replies with seqs above `after` as frames, page by page."""
    while True:
        rows = await pool.fetch(
            "SELECT id::text AS id, conversation_id::text AS conversation_id, text, seq, created_at,"
            " attachments::text AS attachments"
            " FROM messages WHERE channel = 'webchat' AND customer_address = $1 AND direction = 'out'"
            " AND seq > $2 ORDER BY seq LIMIT $3",
            session_id,
            after,
            REPLAY_LIMIT,
        )
        for row in rows:
            reply = OutboundMessage(
                message_id=row["id"],
                conversation_id=row["conversation_id"],
                channel=Channel.WEBCHAT,
                customer_address=session_id,
                text=row["text"],
                seq=row["seq"],
                created_at=row["created_at"],
                attachments=_attachments.decode(row["attachments"]),
            )
            yield row["seq"], _encoder.encode(reply_frame(reply)).decode()
        if len(rows) < REPLAY_LIMIT:
            return
        after = rows[-1]["seq"]
