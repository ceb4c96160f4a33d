"""Customer messages as they cross the bus: inbound from channels, outbound to them."""

import hashlib
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal

import msgspec

MESSAGE_NAMESPACE = uuid.UUID("5b0c3f8e-8a4e-4f4b-9d0e-2f7d1c4e6a10")
_NAMESPACE_BYTES = MESSAGE_NAMESPACE.bytes


class Channel(StrEnum):
    WEBCHAT = "webchat"
    WECHAT = "wechat"
    EMAIL = "email"
    SMS = "sms"


Category = Literal["account", "transaction", "payment", "loan", "security", "feature", "complaint", "other"]
"""What a request is about: the router decides it, agents are skilled in it, statistics group by it."""


class MessageKind(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    VOICE = "voice"
    VIDEO = "video"
    FILE = "file"
    LOCATION = "location"
    LINK = "link"
    EVENT = "event"
    UNSUPPORTED = "unsupported"


WECHAT_MEDIA_REF = "wechat-media:"
"""Attachment refs of a customer's WeChat media: the MediaId follows; the WeChat adapter holds the bytes."""
EMAIL_ATTACHMENT_REF = "email-attachment:"
"""Attachment refs of a file a customer mailed: its id follows; the email adapter holds the bytes."""


class Attachment(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """A file kept outside the bus, referenced by its store id or the channel's media id."""

    ref: str
    content_type: str = ""
    name: str = ""
    size: int | None = None


class InboundMessage(msgspec.Struct, frozen=True, tag="inbound_message", tag_field="type"):
    """A customer message normalized from any channel; `channel_message_id` dedupes it."""

    channel: Channel
    channel_message_id: str
    customer_address: str
    received_at: datetime
    text: str = ""
    customer_name: str = ""
    kind: MessageKind = MessageKind.TEXT
    attachments: tuple[Attachment, ...] = ()
    locale: str = ""
    account: str = ""
    details: dict[str, str] = {}
    """Channel facts kept for the record: an event's name and key, an unhandled type's fields."""
    sender_warning: str = ""
    """Set when the sender could not be verified (an email failing DMARC: "spf=fail dkim=none dmarc=fail"):
    never auto-answered, never joined to another conversation, shown to the agent."""

    @property
    def message_id(self) -> str:
        return message_uuid(self.channel, self.channel_message_id)


BROADCAST_PURPOSE = "broadcast"
SURVEY_PURPOSE = "survey"


class OutboundMessage(msgspec.Struct, frozen=True, tag="outbound_message", tag_field="type"):
    """A message to deliver to a customer; `seq` orders it among that customer's replies."""

    message_id: str
    conversation_id: str
    channel: Channel
    customer_address: str
    text: str
    seq: int
    created_at: datetime
    agent_id: str | None = None
    attachments: tuple[Attachment, ...] = ()
    account: str = ""
    purpose: str = ""
    """Why it is sent when not a reply: "consent" (an opt-out confirmation goes out regardless),
    "broadcast", "survey"."""
    subject: str = ""
    """Email: the subject of a message that starts no thread (a broadcast)."""
    html: str = ""
    """Email: an HTML alternative to `text`."""
    unsubscribe_url: str = ""
    """Email: where List-Unsubscribe points (RFC 8058 one-click)."""


def message_uuid(channel: str, channel_message_id: str) -> str:
    """The stable message id: the same channel message always maps to the same id.

    `uuid.uuid5` spelled out (SHA-1 of namespace and name, version and variant bits set):
    the same value at a third of the cost, on every inbound message's hot path.
    """
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + f"{channel}:{channel_message_id}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class DeliveryStatus(StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"


class DeliveryReported(msgspec.Struct, frozen=True, tag="delivery_reported", tag_field="type"):
    """What a channel adapter learned about an outbound message; `reason` is machine-readable."""

    message_id: str
    channel: Channel
    status: DeliveryStatus
    occurred_at: datetime
    conversation_id: str = ""
    reason: str = ""
    detail: str = ""


class WeChatTemplateMessage(msgspec.Struct, frozen=True, tag="wechat_template", tag_field="type"):
    """A WeChat template message (allowed outside the 48-hour window), e.g. from the notifier."""

    message_id: str
    account: str
    openid: str
    template_id: str
    data: dict[str, str]
    created_at: datetime
    url: str = ""
