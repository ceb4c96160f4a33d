"""Satisfaction surveys in the router: send the notifier's question as the conversation's last
message, and take a 1-5 reply (or the survey page's answer) as the rating, not a new request."""

import re
import unicodedata
import uuid
from datetime import timedelta

import asyncpg

from contracts import InboundMessage, RecordSurveyAnswer, SendSurvey
from contracts.messages import SURVEY_PURPOSE
from services.router import store
from services.router.dispatch import send_to_customer
from shared.outbox import Outbox

ANSWER_WINDOW = timedelta(days=3)
"""How long after the question a bare 1-5 counts as its answer."""
CHINESE = dict(zip("一二三四五", "12345", strict=True))
RATING = re.compile(r"^(?:([1-5])\s*(?:分|星|stars?|/\s*5)?|(★{1,5}|⭐{1,5}))[\s.!。！]*$", re.I)
THANKS = {"zh": "感谢您的评价！", "en": "Thank you for your rating!"}


def rating(text: str) -> int | None:
    """The score a message gives when it is only a rating: "5", "５分", "四星", "★★★"; else None.

    Only a bare rating counts: "3 days ago my transfer…" is a request, not a 3.
    """
    folded = unicodedata.normalize("NFKC", text).strip()
    folded = "".join(CHINESE.get(c, c) for c in folded)
    match = RATING.match(folded)
    if match is None:
        return None
    return int(match.group(1)) if match.group(1) else len(match.group(2))


async def send(conn: asyncpg.Connection, command: SendSurvey, outbox: Outbox) -> None:
    """Ask once, only in a resolved conversation not yet rated, to a customer we may still reach."""
    conversation = await store.lock_conversation(conn, command.conversation_id)
    if conversation is None or conversation.status != "resolved":
        return
    rated = await conn.fetchval(
        "SELECT true FROM csat_responses WHERE conversation_id = $1", uuid.UUID(conversation.id)
    )
    if rated or not await store.contact_reachable(conn, conversation.channel, conversation.customer_address):
        return
    await send_to_customer(
        conn,
        conversation,
        command.command_id,
        command.text,
        outbox,
        details={"purpose": SURVEY_PURPOSE},
        purpose=SURVEY_PURPOSE,
    )


async def record(conn: asyncpg.Connection, conversation_id: str, score: int, comment: str = "") -> bool:
    """Store the rating once (a second answer changes nothing); True when this one was stored."""
    return bool(
        await conn.fetchval(
            "INSERT INTO csat_responses (conversation_id, channel, agent_id, score, comment)"
            " SELECT id, channel, agent_id, $2, $3 FROM conversations WHERE id = $1 AND status = 'resolved'"
            " ON CONFLICT DO NOTHING RETURNING true",
            uuid.UUID(conversation_id),
            score,
            comment,
        )
    )


async def record_answer(conn: asyncpg.Connection, command: RecordSurveyAnswer) -> None:
    await record(conn, command.conversation_id, command.score, command.comment)


async def answer(conn: asyncpg.Connection, message: InboundMessage, language: str, outbox: Outbox) -> bool:
    """When the customer, with nothing open, replies a bare rating to a recent survey: store the
    message in the surveyed conversation, record the rating, thank them. True when handled."""
    score = rating(message.text)
    if score is None:
        return False
    row = await conn.fetchrow(
        "SELECT c.id::text AS id FROM conversations c JOIN messages m ON m.conversation_id = c.id"
        " WHERE c.channel = $1 AND c.customer_address = $2 AND c.status = 'resolved'"
        " AND m.direction = 'out' AND m.details->>'purpose' = $3 AND m.created_at > $4"
        " AND NOT EXISTS (SELECT 1 FROM csat_responses r WHERE r.conversation_id = c.id)"
        " ORDER BY m.created_at DESC LIMIT 1",
        message.channel.value,
        message.customer_address,
        SURVEY_PURPOSE,
        message.received_at - ANSWER_WINDOW,
    )
    if row is None:
        return False
    if not await store.insert_inbound(conn, message, row["id"]):
        return True  # a redelivered answer: stored the first time
    await record(conn, row["id"], score)
    conversation = await store.lock_conversation(conn, row["id"])
    reply_id = str(uuid.uuid5(uuid.UUID(message.message_id), "survey_thanks"))
    await send_to_customer(
        conn, conversation, reply_id, THANKS.get(language, THANKS["zh"]), outbox, details={"bot": "survey_thanks"}
    )
    return True
