"""Decoding bus payloads: malformed ones are rejected, newer writers' extra fields are ignored."""

from datetime import UTC, datetime

import msgspec
import pytest

from contracts import (
    AgentCommand,
    AgentEvent,
    Attachment,
    Channel,
    ConversationResolved,
    InboundMessage,
    MessageKind,
    OutboundMessage,
    SendReply,
    SetAgentStatus,
)

pytestmark = pytest.mark.unit

AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
REPLY = SendReply("cmd-1", "agent-1", AT, conversation_id="conv-1", text="好的")
STATUS = SetAgentStatus("cmd-2", "agent-1", AT, status="online")
INBOUND = InboundMessage(Channel.WEBCHAT, "s1:c1", "s1", AT, text="你好", attachments=(Attachment("f-1", "image/png"),))
OUTBOUND = OutboundMessage("msg-1", "conv-1", Channel.WEBCHAT, "s1", "您好", 1, AT)
RESOLVED = ConversationResolved("conv-1", "agent-1", AT)


def payload(sample, **changes) -> bytes:
    """The sample's JSON with fields replaced (or removed, when the new value is `...`)."""
    fields = msgspec.to_builtins(sample) | changes
    return msgspec.json.encode({key: value for key, value in fields.items() if value is not ...})


@pytest.mark.parametrize(
    ("data", "decode_as"),
    [
        (payload(RESOLVED), AgentCommand),
        (payload(REPLY), AgentEvent),
        (payload(REPLY, type="delete_everything"), AgentCommand),
        (payload(INBOUND, type="outbound_message"), InboundMessage),
        (payload(REPLY, type=...), AgentCommand),
        (payload(RESOLVED, type=...), AgentEvent),
    ],
    ids=[
        "event-as-command",
        "command-as-event",
        "unknown-command",
        "outbound-tag-on-inbound",
        "untagged-command",
        "untagged-event",
    ],
)
def test_decoding_rejects_a_wrong_or_missing_tag(data, decode_as):
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(data, type=decode_as)


@pytest.mark.parametrize(
    ("data", "decode_as"),
    [
        (payload(REPLY, conversation_id=...), AgentCommand),
        (payload(REPLY, issued_at=...), AgentCommand),
        (payload(INBOUND, channel_message_id=...), InboundMessage),
        (payload(OUTBOUND, seq=...), OutboundMessage),
        (payload(RESOLVED, agent_id=...), AgentEvent),
    ],
    ids=["reply-conversation", "reply-issued-at", "inbound-channel-message-id", "outbound-seq", "event-agent"],
)
def test_decoding_rejects_a_missing_required_field(data, decode_as):
    with pytest.raises(msgspec.ValidationError, match="missing required field"):
        msgspec.json.decode(data, type=decode_as)


@pytest.mark.parametrize(
    ("data", "decode_as"),
    [
        (payload(OUTBOUND, seq="1"), OutboundMessage),
        (payload(INBOUND, channel="telegram"), InboundMessage),
        (payload(INBOUND, kind="hologram"), InboundMessage),
        (payload(INBOUND, attachments="f-1"), InboundMessage),
        (payload(REPLY, issued_at="yesterday"), AgentCommand),
        (payload(REPLY, text=42), AgentCommand),
        (payload(STATUS, status="busy"), AgentCommand),
    ],
    ids=[
        "seq-string",
        "unknown-channel",
        "unknown-kind",
        "attachments-string",
        "bad-datetime",
        "text-int",
        "unknown-status",
    ],
)
def test_decoding_rejects_a_wrong_type_or_value(data, decode_as):
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(data, type=decode_as)


@pytest.mark.parametrize(
    ("sample", "decode_as"),
    [(REPLY, AgentCommand), (RESOLVED, AgentEvent), (INBOUND, InboundMessage), (OUTBOUND, OutboundMessage)],
    ids=["command", "event", "inbound", "outbound"],
)
def test_old_reader_ignores_fields_added_by_a_newer_writer(sample, decode_as):
    data = payload(sample, sentiment="angry", routing_hints={"tier": "gold"}, 新字段="值")
    assert msgspec.json.decode(data, type=decode_as) == sample


def test_old_reader_ignores_new_fields_inside_attachments():
    attachment = msgspec.to_builtins(INBOUND.attachments[0]) | {"checksum": "sha256:abc"}
    data = payload(INBOUND, attachments=[attachment])
    assert msgspec.json.decode(data, type=InboundMessage) == INBOUND


def test_new_reader_fills_defaults_for_fields_an_older_writer_did_not_send():
    minimal = (
        b'{"type":"inbound_message","channel":"sms","channel_message_id":"m1",'
        b'"customer_address":"+8613800000000","received_at":"2025-01-02T03:04:05Z"}'
    )
    message = msgspec.json.decode(minimal, type=InboundMessage)
    assert (message.text, message.kind, message.attachments, message.locale) == ("", MessageKind.TEXT, (), "")


def test_transfer_without_target_decodes_as_back_to_queue():
    data = (
        b'{"type":"transfer_conversation","command_id":"c","agent_id":"a",'
        b'"issued_at":"2025-01-02T03:04:05Z","conversation_id":"conv-1"}'
    )
    transfer = msgspec.json.decode(data, type=AgentCommand)
    assert (transfer.to_agent_id, transfer.note) == (None, "")
