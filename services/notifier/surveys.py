"""Satisfaction surveys: asked after a resolution, on the customer's own channel, through the
router (so the question is the conversation's last message and a 1-5 reply is its answer);
web chat and email also get a link to a page with five buttons."""

import html
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from aiohttp import web

from contracts import ConversationClosed, RecordSurveyAnswer, SendSurvey
from contracts.topology import AGENT_COMMAND_KEY
from services.notifier.deps import NotifierDeps
from services.notifier.scheduler import Job, schedule
from shared.broker import publish
from shared.uow import UnitOfWork

SEND = "survey.send"
LINKED = ("webchat", "email")
ASK = {
    "zh": "您好，您的问题已处理完毕。请回复数字 1-5 为本次服务评分（5 为非常满意）。",
    "en": "Your request has been resolved. Please rate our service by replying 1-5 (5 = excellent).",
}
LINK = {"zh": "也可以在这里评分：{link}", "en": "Or rate us here: {link}"}


def question(channel: str, language: str, link: str) -> str:
    """The survey's words in the conversation's language (both when unknown), with the link where
    the channel shows one."""
    languages = [language] if language in ASK else ["zh", "en"]
    lines = [ASK[lang] + (f" {LINK[lang].format(link=link)}" if channel in LINKED else "") for lang in languages]
    return "\n".join(lines)


async def plan(conn: asyncpg.Connection, closed: ConversationClosed, delay: timedelta) -> None:
    """Schedule the survey of a resolved conversation, once however often the resolution arrives."""
    await conn.execute(
        "INSERT INTO surveys (conversation_id, token, channel, language) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT DO NOTHING",
        uuid.UUID(closed.conversation_id),
        secrets.token_urlsafe(16),
        closed.channel.value,
        closed.language,
    )
    await schedule(
        conn,
        SEND,
        f"{SEND}:{closed.conversation_id}",
        closed.resolved_at + delay,
        {"conversation_id": closed.conversation_id},
    )


async def on_send(uow: UnitOfWork, job: Job, public_url: str) -> datetime | None:
    """Ask the router to send the question (it skips a reopened, rated or unreachable conversation)."""
    row = await uow.conn.fetchrow(
        "SELECT token, channel, language FROM surveys WHERE conversation_id = $1",
        uuid.UUID(job.payload["conversation_id"]),
    )
    if row is None:
        return None
    link = f"{public_url}/survey/{row['token']}"
    command = SendSurvey(
        command_id=str(uuid.uuid5(uuid.UUID(job.payload["conversation_id"]), SEND)),
        issued_at=uow.now,
        conversation_id=job.payload["conversation_id"],
        text=question(row["channel"], row["language"], link),
    )
    uow.outbox.add(AGENT_COMMAND_KEY, command)
    return None


PAGE = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><meta name="viewport"
content="width=device-width,initial-scale=1"><title>评价 / Rate us</title><style>body{{font:16px system-ui;
max-width:28rem;margin:3rem auto;padding:0 1rem}}button{{font-size:1.4rem;margin:.2rem;padding:.4rem .9rem}}
textarea{{width:100%;height:5rem}}</style></head><body>{body}</body></html>"""
FORM = """<h1>请为本次服务评分 / How did we do?</h1><form method="post">
<p>{buttons}</p><p><label>意见（可选）/ Comments (optional)<br><textarea name="comment" maxlength="1000">
</textarea></label></p></form>"""


async def page(request: web.Request) -> web.Response:
    """`GET /survey/{token}`: five buttons; `POST` records the choice through the router."""
    row = await NotifierDeps.of(request).pool.fetchrow(
        "SELECT conversation_id::text FROM surveys WHERE token = $1", request.match_info["token"][:64]
    )
    if row is None:
        return _html("<h1>找不到该调查 / Survey not found</h1>", 404)
    if request.method == "GET":
        buttons = "".join(f'<button name="score" value="{n}">{n}</button>' for n in range(1, 6))
        return _html(FORM.format(buttons=buttons))
    form = await request.post()
    score, comment = str(form.get("score", "")), str(form.get("comment", "")).strip()[:1000]
    if score not in {"1", "2", "3", "4", "5"}:
        return _html("<h1>请选择 1-5 / Please choose 1-5</h1>", 400)
    if "\x00" in comment:  # PostgreSQL text cannot hold it: the router would dead-letter the answer
        return _html("<h1>意见中有无效字符 / The comment contains an invalid character (NUL)</h1>", 400)
    answer = RecordSurveyAnswer(
        command_id=str(uuid.uuid4()),
        issued_at=datetime.now(UTC),
        conversation_id=row["conversation_id"],
        score=int(score),
        comment=comment,
    )
    await publish(NotifierDeps.of(request).broker, answer, AGENT_COMMAND_KEY, message_id=answer.command_id)
    return _html(f"<h1>感谢您的评价！/ Thank you!</h1><p>{html.escape(score)} / 5</p>")


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(
        text=PAGE.format(body=body),
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={"Cache-Control": "no-store"},  # CSP, framing and nosniff: shared/http.py page_headers
    )


def register(app: web.Application) -> None:
    app.router.add_get("/survey/{token}", page)
    app.router.add_post("/survey/{token}", page)
