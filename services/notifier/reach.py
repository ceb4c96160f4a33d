"""What a broadcast does for one recipient (pure): skip with a reason, hold for quiet hours, or
the message to send on their channel."""

import uuid
import zoneinfo
from datetime import datetime, time, timedelta

import msgspec

from contracts import Channel, OutboundMessage, WeChatTemplateMessage
from contracts.broadcasts import PUSH_CHANNELS, Content, EmailContent, SmsContent, WeChatContent
from contracts.messages import BROADCAST_PURPOSE

WECHAT_WINDOW = timedelta(hours=48)
NAMESPACE = uuid.UUID("0f5b8c8e-3c4e-4a8f-9d3a-6a1f3c2b9e71")


class Recipient(msgspec.Struct, frozen=True):
    """One person as the audience query found them: the contact to reach and what we know of it."""

    key: str
    channel: str
    address: str
    account: str = ""
    customer_id: str | None = None
    reachable: bool = True
    last_inbound_at: datetime | None = None
    timezone: str = ""


class QuietHours(msgspec.Struct, frozen=True):
    start: time = time(21, 0)
    end: time = time(8, 0)
    default_timezone: str = "Asia/Shanghai"


def message_id(broadcast_id: str, recipient_key: str) -> str:
    """The same broadcast to the same person always has the same id: a resend is a duplicate."""
    return str(uuid.uuid5(NAMESPACE, f"{broadcast_id}:{recipient_key}"))


def channel_content(content: Content, channel: str) -> WeChatContent | EmailContent | SmsContent | None:
    """What the broadcast says on one of PUSH_CHANNELS; None when it says nothing there."""
    parts: dict[str, WeChatContent | EmailContent | SmsContent | None] = {
        "wechat": content.wechat,
        "email": content.email,
        "sms": content.sms,
    }
    return parts[channel]


def skip_reason(recipient: Recipient, content: Content, now: datetime) -> str | None:
    """Why the recipient gets nothing, or None."""
    if recipient.channel not in PUSH_CHANNELS:
        return "no_push_channel"
    part = channel_content(content, recipient.channel)
    if part is None:
        return "no_content_for_channel"
    if not recipient.reachable:
        return "opted_out"
    if isinstance(part, WeChatContent) and not part.template_id and not window_open(recipient, now):
        return "window_closed"
    return None


def window_open(recipient: Recipient, now: datetime) -> bool:
    """WeChat customer-service messages may go out within 48 hours of the customer's last message."""
    return recipient.last_inbound_at is not None and now - recipient.last_inbound_at < WECHAT_WINDOW


def held_until(recipient: Recipient, now: datetime, quiet: QuietHours) -> datetime | None:
    """For an SMS in the customer's quiet hours, when it may go; else None (send now)."""
    if recipient.channel != "sms":
        return None
    try:
        zone = zoneinfo.ZoneInfo(recipient.timezone or quiet.default_timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(quiet.default_timezone)
    local = now.astimezone(zone)
    clock = local.time()
    overnight = quiet.start > quiet.end
    inside = (clock >= quiet.start or clock < quiet.end) if overnight else (quiet.start <= clock < quiet.end)
    if not inside:
        return None
    day = local.date() + timedelta(days=1) if overnight and clock >= quiet.start else local.date()
    return datetime.combine(day, quiet.end, tzinfo=zone)


def message(
    broadcast_id: str, recipient: Recipient, content: Content, now: datetime, unsubscribe_url: str = ""
) -> OutboundMessage | WeChatTemplateMessage:
    """What goes on the recipient's channel (call only for a recipient `skip_reason` lets through)."""
    mid = message_id(broadcast_id, recipient.key)
    part = channel_content(content, recipient.channel)
    if part is None:
        raise ValueError(f"the broadcast says nothing on {recipient.channel}: skip_reason skips this recipient")
    if isinstance(part, WeChatContent) and part.template_id and not (part.text and window_open(recipient, now)):
        return WeChatTemplateMessage(
            message_id=mid,
            account=recipient.account,
            openid=recipient.address,
            template_id=part.template_id,
            data=part.template_data,
            created_at=now,
            url=part.url,
        )
    email = part if isinstance(part, EmailContent) else None
    return OutboundMessage(
        message_id=mid,
        conversation_id="",
        channel=Channel(recipient.channel),
        customer_address=recipient.address,
        text=part.text,
        seq=0,
        created_at=now,
        account=recipient.account,
        purpose=BROADCAST_PURPOSE,
        subject=email.subject if email else "",
        html=email.html if email else "",
        unsubscribe_url=unsubscribe_url if email else "",
    )
