"""Delivery status notifications (RFC 3464) read from a multipart/report (pure)."""

from email.message import Message
from email.parser import BytesHeaderParser

import msgspec

from services.email_adapter.headers import header_text, message_ids, raw_header
from services.email_adapter.parts import PARSE_POLICY, as_sent, payload_bytes

STATUS_TYPES = ("message/delivery-status", "message/global-delivery-status")
ORIGINAL_TYPES = ("message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers")


class Dsn(msgspec.Struct, frozen=True):
    """What a bounce says about a mail we sent: `action` failed/delayed/delivered…, `status` like 5.1.1."""

    original_message_id: str | None
    recipients: tuple[str, ...]
    action: str
    status: str
    diagnostic: str


def parse_dsn(msg: Message) -> Dsn | None:
    """The report in a multipart/report; report-type=delivery-status mail, else None."""
    if msg.get_content_type() != "multipart/report" or not msg.is_multipart():
        return None
    children = [child for child in msg.get_payload() if isinstance(child, Message)]
    status = next((child for child in children if child.get_content_type() in STATUS_TYPES), None)
    if status is None:
        return None  # a read receipt or another kind of report
    blocks = _field_blocks(status)
    recipients = [
        block for block in blocks if raw_header(block, "Final-Recipient") or raw_header(block, "Original-Recipient")
    ]
    # The first recipient that failed says most about the bounce; others may only be delayed.
    main = next((block for block in recipients if _field(block, "Action").lower() == "failed"), None)
    main = main or (recipients[0] if recipients else Message())
    original = next((child for child in children if child.get_content_type() in ORIGINAL_TYPES), None)
    return Dsn(
        original_message_id=_original_id(original) if original is not None else None,
        recipients=tuple(dict.fromkeys(_recipient(block) for block in recipients if _recipient(block))),
        action=_field(main, "Action").lower(),
        status=_field(main, "Status"),
        diagnostic=_field(main, "Diagnostic-Code"),
    )


def _field_blocks(status: Message) -> list[Message]:
    """The per-message and per-recipient field groups of a delivery-status part."""
    if status.get_content_type() == "message/delivery-status" and status.is_multipart():
        return [block for block in status.get_payload() if isinstance(block, Message)]  # split by the parser
    # message/global-delivery-status (UTF-8 fields) is parsed as if it were a mail: read its text again.
    if status.is_multipart() and isinstance(inner := status.get_payload(0), Message):
        text = as_sent(inner) or b""
    else:
        text = payload_bytes(status)
    parser = BytesHeaderParser(policy=PARSE_POLICY)
    text = text.replace(b"\r\n", b"\n")
    return [parser.parsebytes(block.strip() + b"\n") for block in text.split(b"\n\n") if block.strip()]


def _field(block: Message, name: str) -> str:
    """A DSN field's value without its type prefix ("rfc822;", "smtp;")."""
    value = header_text(block, name)
    kind, separator, rest = value.partition(";")
    return rest.strip() if separator and kind.strip().replace("-", "").isalnum() else value


def _recipient(block: Message) -> str:
    return (_field(block, "Final-Recipient") or _field(block, "Original-Recipient")).strip("<> ").lower()


def _original_id(original: Message) -> str | None:
    if original.is_multipart() and isinstance(inner := original.get_payload(0), Message):
        headers = inner
    else:  # text/rfc822-headers: the original's header section as the body
        headers = BytesHeaderParser(policy=PARSE_POLICY).parsebytes(payload_bytes(original))
    ids = message_ids(raw_header(headers, "Message-ID"))
    return ids[0] if ids else None
