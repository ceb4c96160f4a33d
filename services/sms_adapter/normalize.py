"""An inbound SMS as the router's `InboundMessage`, and the confirmation a keyword earns (pure)."""

import uuid
from datetime import datetime

from msgspec.structs import replace

from contracts import Attachment, Channel, InboundMessage, MessageKind, OutboundMessage
from services.sms_adapter.consent import CONFIRMATIONS, Consent, consent_keyword
from services.sms_adapter.providers import InboundSms

CONSENT_PURPOSE = "consent"


def normalize(sms: InboundSms, sender: str, text: str, channel_id: str, at: datetime) -> InboundMessage:
    """A keyword-only message (STOP, 退订, START…) is a consent event for the router, not a request."""
    message = InboundMessage(
        channel=Channel.SMS,
        channel_message_id=channel_id,
        customer_address=sender,
        received_at=at,
        text=text,
        attachments=tuple(Attachment(url, content_type) for url, content_type in sms.media),
        details={"to": sms.recipient} if sms.recipient else {},
    )
    if consent := consent_keyword(text):
        details = {**message.details, "event": consent.value, "keyword": text.strip()}
        return replace(message, kind=MessageKind.EVENT, details=details)
    return message


def confirmation(message: InboundMessage) -> OutboundMessage | None:
    """The one reply a consent keyword gets; its id derives from the keyword message's, so a
    provider's retry of the webhook cannot make a second one."""
    event = message.details.get("event")
    if message.kind != MessageKind.EVENT or event is None:
        return None
    return OutboundMessage(
        message_id=str(uuid.uuid5(uuid.UUID(message.message_id), CONSENT_PURPOSE)),
        conversation_id="",
        channel=Channel.SMS,
        customer_address=message.customer_address,
        text=CONFIRMATIONS[Consent(event)],
        seq=0,
        created_at=message.received_at,
        purpose=CONSENT_PURPOSE,
    )
