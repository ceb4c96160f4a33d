"""What to send WeChat for an outbound message, and what its errcodes mean (pure)."""

from enum import StrEnum

from contracts import OutboundMessage, WeChatTemplateMessage
from services.wechat_adapter.normalize import MEDIA_PREFIX


class Outcome(StrEnum):
    TOKEN_INVALID = "token_invalid"
    WINDOW_CLOSED = "window_closed"
    RATE_LIMITED = "rate_limited"
    PERMANENT = "permanent"


TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
"""Invalid, malformed or expired access token: refresh once and retry."""
RATE_ERRCODES = frozenset({-1, 45009, 45011})
"""System busy, daily quota, per-minute quota: back off and retry."""
WINDOW_ERRCODE = 45015
"""The customer has not written in 48 h: customer-service messages are refused."""


def outcome(errcode: int) -> Outcome:
    if errcode in TOKEN_ERRCODES:
        return Outcome.TOKEN_INVALID
    if errcode == WINDOW_ERRCODE:
        return Outcome.WINDOW_CLOSED
    if errcode in RATE_ERRCODES:
        return Outcome.RATE_LIMITED
    return Outcome.PERMANENT


def text_message(openid: str, text: str) -> dict:
    return {"touser": openid, "msgtype": "text", "text": {"content": text}}


def image_message(openid: str, media_id: str) -> dict:
    return {"touser": openid, "msgtype": "image", "image": {"media_id": media_id}}


def wechat_media_id(ref: str) -> str | None:
    """The MediaId of an attachment already on WeChat's side, else None."""
    return ref.removeprefix(MEDIA_PREFIX) if ref.startswith(MEDIA_PREFIX) else None


def is_image(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() in ("image/jpeg", "image/jpg", "image/png", "image/gif")


def with_links(message: OutboundMessage, unsent: list[str]) -> str:
    """The reply text, with links to attachments WeChat cannot carry as messages."""
    return "\n".join([message.text, *unsent]) if unsent else message.text


def template_message(message: WeChatTemplateMessage) -> dict:
    body = {
        "touser": message.openid,
        "template_id": message.template_id,
        "data": {key: {"value": value} for key, value in message.data.items()},
    }
    if message.url:
        body["url"] = message.url
    return body
