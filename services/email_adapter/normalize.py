"""A parsed mail as the router's `InboundMessage` (pure): only what the customer newly wrote."""

from datetime import datetime

from contracts import EMAIL_ATTACHMENT_REF, Attachment, Channel, InboundMessage, MessageKind
from services.email_adapter.parse import ParsedMail

ATTACHMENT_PREFIX = EMAIL_ATTACHMENT_REF
AUTO_REPLY = "auto_reply"


def normalize(mail: ParsedMail, attachment_ids: list[str], at: datetime, sender_warning: str = "") -> InboundMessage:
    """Auto-generated mail (out-of-office, bulk) becomes an event that opens no conversation;
    `sender_warning` is the failed sender check (sender_auth.py), "" for a verified sender."""
    details = {"subject": mail.subject}
    if mail.in_reply_to:
        details["in_reply_to"] = mail.in_reply_to[0]
    if mail.conversation_token:
        details["conversation_token"] = mail.conversation_token
    if mail.auto_submitted:
        details["event"] = AUTO_REPLY
    return InboundMessage(
        channel=Channel.EMAIL,
        channel_message_id=mail.message_id,
        customer_address=mail.from_address,
        received_at=at,
        text=mail.new_text or mail.text,
        customer_name=mail.from_name,
        kind=MessageKind.EVENT if mail.auto_submitted else MessageKind.TEXT,
        attachments=tuple(
            Attachment(ATTACHMENT_PREFIX + ref, a.content_type, a.filename, a.size)
            for ref, a in zip(attachment_ids, mail.attachments, strict=True)
        ),
        details=details,
        sender_warning=sender_warning,
    )


def accepts(recipient: str, addresses: str) -> bool:
    """Whether mail to `recipient` is ours: a listed address, or any address at a listed `@domain`."""
    recipient = recipient.strip().lower()
    for entry in (e.strip().lower() for e in addresses.split(",") if e.strip()):
        if recipient == entry or (entry.startswith("@") and recipient.endswith(entry)):
            return True
    return False
