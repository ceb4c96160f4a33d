"""WeChat callback XML to `InboundMessage` (pure): every message type and event, none dropped."""

from datetime import UTC, datetime
from typing import NoReturn
from xml.parsers import expat

from msgspec.structs import replace
from wechatpy.replies import TextReply

from contracts import WECHAT_MEDIA_REF, Attachment, Channel, InboundMessage, MessageKind
from services.wechat_adapter.crypto import CallbackRefused
from shared.config import WeChatAccount

MEDIA_PREFIX = WECHAT_MEDIA_REF
"""Attachment refs of media kept on WeChat's side, fetched by MediaId when needed."""
HUMAN = "human"
FAQ_PREFIX = "faq:"
MEDIA_KINDS = {
    "image": (MessageKind.IMAGE, "image/jpeg"),
    "voice": (MessageKind.VOICE, "audio/amr"),
    "video": (MessageKind.VIDEO, "video/mp4"),
    "shortvideo": (MessageKind.VIDEO, "video/mp4"),
}


class _Refused(Exception):
    pass


def _refuse(*_: object) -> NoReturn:
    raise _Refused


def parse_xml(body: bytes) -> dict[str, str]:
    """The fields of a `<xml>` callback document; DTDs, entities and malformed XML refused.

    Straight on expat, without building a tree: a callback is one flat level of fields
    (nested ones, as in a few events, are kept as `tag=value` text), and any DOCTYPE or
    entity declaration is refused outright, so no expansion or external fetch can happen.
    """
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = parser.UnparsedEntityDeclHandler = _refuse
    fields: dict[str, str] = {}
    depth = 0
    text: list[str] = []
    nested: list[str] = []
    root: list[str] = []

    def start(tag: str, _attributes: dict) -> None:
        nonlocal depth
        depth += 1
        if depth == 1:
            root.append(tag)
        text.clear()

    def end(tag: str) -> None:
        nonlocal depth
        if depth == 2:
            fields[tag] = " ".join(nested) if nested else "".join(text).strip()
            nested.clear()
        elif depth > 2:
            nested.append(f"{tag}={''.join(text).strip()}")
        text.clear()
        depth -= 1

    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text.append
    try:
        parser.Parse(body, True)
    except _Refused:
        raise CallbackRefused(400, "DTDs and entities are not accepted") from None
    except expat.ExpatError as exc:
        raise CallbackRefused(400, f"unreadable XML: {expat.errors.messages[exc.code]}") from None
    if root != ["xml"]:
        raise CallbackRefused(400, "root element is not <xml>")
    return fields


def normalize(account: WeChatAccount, fields: dict[str, str]) -> InboundMessage:
    """One callback as the router's `InboundMessage`; unknown types are kept as `unsupported`."""
    openid, msg_type = fields.get("FromUserName", ""), fields.get("MsgType", "").lower()
    if not openid or not msg_type:
        raise CallbackRefused(400, "FromUserName and MsgType are required")
    try:
        received_at = datetime.fromtimestamp(int(fields.get("CreateTime", "")), UTC)
    except (ValueError, OverflowError, OSError):
        raise CallbackRefused(400, "CreateTime is not a timestamp") from None
    message = InboundMessage(
        channel=Channel.WECHAT,
        channel_message_id=_channel_id(fields, openid, msg_type),
        customer_address=openid,
        received_at=received_at,
        account=account.name,
    )
    return _fill(message, account, msg_type, fields)


def _channel_id(fields: dict[str, str], openid: str, msg_type: str) -> str:
    if msg_type != "event" and fields.get("MsgId"):
        return fields["MsgId"]
    # Events carry no MsgId; WeChat's own dedup advice is sender + time (+ event).
    return f"{openid}:{fields.get('CreateTime', '')}:{fields.get('Event', msg_type)}"


def _fill(message: InboundMessage, account: WeChatAccount, msg_type: str, f: dict[str, str]) -> InboundMessage:
    if msg_type == "text":
        return replace(message, text=f.get("Content", ""))
    if msg_type in MEDIA_KINDS:
        kind, content_type = MEDIA_KINDS[msg_type]
        if msg_type == "voice" and f.get("Format"):
            content_type = f"audio/{f['Format'].lower()}"
        details = {k: f[k] for k in ("PicUrl", "ThumbMediaId", "Format") if f.get(k)}
        media = (Attachment(MEDIA_PREFIX + f["MediaId"], content_type),) if f.get("MediaId") else ()
        return replace(message, kind=kind, text=f.get("Recognition", ""), attachments=media, details=details)
    if msg_type == "location":
        text = f"{f.get('Label', '')} ({f.get('Location_X', '')}, {f.get('Location_Y', '')})".strip()
        details = {k: f[k] for k in ("Location_X", "Location_Y", "Scale", "Label") if f.get(k)}
        return replace(message, kind=MessageKind.LOCATION, text=text, details=details)
    if msg_type == "link":
        text = "\n".join(p for p in (f.get("Title"), f.get("Description"), f.get("Url")) if p)
        return replace(message, kind=MessageKind.LINK, text=text, details={"Url": f.get("Url", "")})
    if msg_type == "file":
        name = f.get("Title", "")
        size = int(f["FileTotalLen"]) if f.get("FileTotalLen", "").isdigit() else None
        ref = MEDIA_PREFIX + f.get("FileKey", "")
        details = {k: f[k] for k in ("FileKey", "FileMd5", "Description") if f.get(k)}
        return replace(
            message, kind=MessageKind.FILE, text=name, attachments=(Attachment(ref, "", name, size),), details=details
        )
    if msg_type == "event":
        return _event(message, account, f)
    kept = {k: v for k, v in f.items() if k not in ("ToUserName", "FromUserName", "CreateTime")}
    return replace(message, kind=MessageKind.UNSUPPORTED, text=f"[{msg_type}]", details=kept)


def _event(message: InboundMessage, account: WeChatAccount, f: dict[str, str]) -> InboundMessage:
    event = f.get("Event", "").lower()
    details = {
        "event": event,
        **{k: f[k] for k in ("EventKey", "Ticket", "Latitude", "Longitude", "Precision") if f.get(k)},
    }
    text = ""
    if event == "click" and (intent := account.menu.get(f.get("EventKey", ""))):
        details["intent"] = intent
        text = "转人工 / talk to a person" if intent == HUMAN else intent.removeprefix(FAQ_PREFIX)
    elif event == "view":
        text = f.get("EventKey", "")
    return replace(message, kind=MessageKind.EVENT, text=text, details=details)


def welcome_reply(account: WeChatAccount, fields: dict[str, str]) -> str | None:
    """The passive reply XML greeting a new follower, when the account has a welcome."""
    if not account.welcome or fields.get("MsgType") != "event" or fields.get("Event", "").lower() != "subscribe":
        return None
    reply = TextReply(content=account.welcome)
    reply.source, reply.target = fields.get("ToUserName", ""), fields["FromUserName"]
    return reply.render()
