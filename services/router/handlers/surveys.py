"""Satisfaction surveys in the router: send the notifier's question as the conversation's last
message, and take a 1-5 reply (or the survey page's answer) as the rating, not a new request."""

import re
import unicodedata
import uuid
from datetime import timedelta

import asyncpg

from contracts import InboundMessage, RecordSurveyAnswer, SendSurvey
from contracts.messages import SURVEY_PURPOSE
from services.router.db.uow import RouterUnitOfWork
from services.router.handlers.dispatch import send_to_customer

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


async def send(uow: RouterUnitOfWork, command: SendSurvey) -> None:
    """Ask once, only in a resolved conversation not yet rated, to a customer we may still reach."""
    conversation = await uow.conversations.lock_conversation(command.conversation_id)
    if conversation is None or conversation.status != "resolved":
        return
    rated = await uow.conn.fetchval(
        "SELECT true FROM csat_responses WHERE conversation_id = $1", uuid.UUID(conversation.id)
    )
    if rated or not await uow.conversations.contact_reachable(conversation.channel, conversation.customer_address):
        return
    await send_to_customer(
        uow,
        conversation,
        command.command_id,
        command.text,
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


async def answer(uow: RouterUnitOfWork, message: InboundMessage, language: str) -> bool:
    """When the customer, with nothing open, replies a bare rating to a recent survey: store the
    message in the surveyed conversation, record the rating, thank them. True when handled."""
    score = rating(message.text)
    if score is None:
        return False
    surveyed = await uow.conversations.surveyed_unrated(
        message.channel.value, message.customer_address, message.received_at - ANSWER_WINDOW
    )
    if surveyed is None:
        return False
    if not await uow.conversations.insert_inbound(message, surveyed):
        return True  # a redelivered answer: stored the first time
    await record(uow.conn, surveyed, score)
    conversation = await uow.conversations.lock_conversation(surveyed)
    assert conversation is not None, "found above, in this transaction"
    reply_id = str(uuid.uuid5(uuid.UUID(message.message_id), "survey_thanks"))
    await send_to_customer(
        uow, conversation, reply_id, THANKS.get(language, THANKS["zh"]), details={"bot": "survey_thanks"}
    )
    return True
