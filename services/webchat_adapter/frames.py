"""Visitor frames: decode and check what the browser sends, normalize it for the bus."""

from datetime import datetime
from typing import Annotated

import msgspec

from contracts import Channel, InboundMessage, OutboundMessage
from services.webchat_adapter.session import VisitorSession

ClientId = Annotated[str, msgspec.Meta(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")]


class FrameError(Exception):
    """A frame the adapter refuses; `code` goes back to the visitor in an error frame."""

    def __init__(self, code: str, message: str, client_id: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.client_id = code, message, client_id

    def frame(self) -> dict:
        error = {"type": "error", "code": self.code, "message": self.message}
        return error | ({"client_id": self.client_id} if self.client_id else {})


class SendMessage(msgspec.Struct, frozen=True, tag="message", tag_field="type"):
    client_id: ClientId
    text: str


MAX_SEQ = 2**63 - 1
"""Reply seqs are PostgreSQL bigints."""


class Resume(msgspec.Struct, frozen=True, tag="resume", tag_field="type"):
    after_seq: Annotated[int, msgspec.Meta(ge=0, le=MAX_SEQ)] = 0


class Ping(msgspec.Struct, frozen=True, tag="ping", tag_field="type"):
    pass


ClientFrame = SendMessage | Resume | Ping
_decoder = msgspec.json.Decoder(ClientFrame)


def decode_frame(data: str, max_text: int) -> ClientFrame:
    """The frame, or FrameError saying what is wrong with it."""
    try:
        frame = _decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise FrameError("invalid_frame", str(exc)) from None
    except msgspec.DecodeError:
        raise FrameError("invalid_json", "Frames must be JSON objects.") from None
    if isinstance(frame, SendMessage):
        if not frame.text.strip():
            raise FrameError("empty_text", "The message is empty.", frame.client_id)
        if len(frame.text) > max_text:
            raise FrameError("text_too_long", f"Messages are limited to {max_text} characters.", frame.client_id)
    return frame


def to_inbound(frame: SendMessage, session: VisitorSession, received_at: datetime) -> InboundMessage:
    """The bus message; the session and client id make a retried send the same message."""
    return InboundMessage(
        channel=Channel.WEBCHAT,
        channel_message_id=f"{session.session_id}:{frame.client_id}",
        customer_address=session.session_id,
        received_at=received_at,
        text=frame.text,
        customer_name=session.name,
        locale=session.locale,
    )


def reply_frame(message: OutboundMessage) -> dict:
    return {
        "type": "message",
        "id": message.message_id,
        "seq": message.seq,
        "text": message.text,
        "from": "agent" if message.agent_id else "bot",
        "sent_at": message.created_at.isoformat(),
        "attachments": [
            {"url": a.ref, "name": a.name, "content_type": a.content_type, "size": a.size} for a in message.attachments
        ],
    }
