"""Every bus contract survives a msgspec JSON round trip, Chinese text included."""

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Union

import msgspec
import pytest

from contracts import (
    BUS_TYPES,
    AgentCommand,
    AgentEvent,
    AgentStatus,
    Attachment,
    Channel,
    CommandRejected,
    ConversationAssigned,
    ConversationResolved,
    ConversationUnassigned,
    CustomerMessageReceived,
    InboundMessage,
    MessageKind,
    OutboundMessage,
    ResolveConversation,
    SendReply,
    SetAgentStatus,
    TransferConversation,
    message_uuid,
)

pytestmark = pytest.mark.unit

AT = datetime(2025, 3, 14, 9, 26, 53, 589_793, tzinfo=UTC)
BEIJING = datetime(2025, 3, 14, 17, 26, 53, tzinfo=timezone(timedelta(hours=8)))
EVENT = {"conversation_id": "conv-1", "agent_id": "agent-1", "occurred_at": AT}
COMMAND = {"command_id": "cmd-1", "agent_id": "agent-1", "issued_at": BEIJING}

SAMPLES = [
    InboundMessage(
        channel=Channel.WECHAT,
        channel_message_id="wx-123",
        customer_address="openid-abc",
        received_at=BEIJING,
        text="我的余额不对，请帮我查一下",
        customer_name="王小明",
        kind=MessageKind.IMAGE,
        attachments=(Attachment("media-9", "image/png", "截图.png", 2048), Attachment("media-10")),
        locale="zh-CN",
        account="wallet-cn",
    ),
    OutboundMessage("msg-1", "conv-1", Channel.WEBCHAT, "sess-1", "您好，已为您处理退款", 3, AT, "agent-1"),
    SendReply(**COMMAND, conversation_id="conv-1", text="请稍等，我们正在核实"),
    ResolveConversation(**COMMAND, conversation_id="conv-1"),
    TransferConversation(**COMMAND, conversation_id="conv-1", to_agent_id="agent-2", note="转给财务组"),
    SetAgentStatus(**COMMAND, status=AgentStatus.AWAY),
    ConversationAssigned(**EVENT, channel=Channel.SMS, customer_address="+8613800000000", customer_name="李雷",
                         priority="urgent", category="refund", reason="transfer", preview="退款没到账"),
    CustomerMessageReceived(**EVENT, message_id="msg-2", channel=Channel.EMAIL, text="还在吗？", kind="text"),
    ConversationUnassigned(**EVENT, reason="agent_offline"),
    ConversationResolved(**EVENT),
    CommandRejected(**EVENT, command_id="cmd-1", reason="conversation_resolved"),
]


def decode_type(sample):
    """The type a consumer decodes this payload with: its union where the bus carries one."""
    if isinstance(sample, (SendReply, ResolveConversation, TransferConversation, SetAgentStatus)):
        return AgentCommand
    if isinstance(sample, (InboundMessage, OutboundMessage)):
        return type(sample)
    return AgentEvent


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: type(s).__name__)
def test_contract_round_trips_through_json(sample):
    decoded = msgspec.json.decode(msgspec.json.encode(sample), type=decode_type(sample))
    assert type(decoded) is type(sample)
    assert decoded == sample


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: type(s).__name__)
def test_contract_decodes_through_union_of_every_bus_type(sample):
    decoded = msgspec.json.decode(msgspec.json.encode(sample), type=Union[BUS_TYPES])
    assert decoded == sample


def test_every_bus_payload_carries_a_distinct_type_tag():
    tags = [msgspec.json.decode(msgspec.json.encode(sample))["type"] for sample in SAMPLES]
    assert len(set(tags)) == len(SAMPLES)


def test_chinese_text_travels_as_utf8_not_escapes():
    encoded = msgspec.json.encode(SAMPLES[0])
    assert "我的余额不对".encode() in encoded
    assert msgspec.json.decode(encoded, type=InboundMessage).customer_name == "王小明"


def test_timezone_offset_survives_round_trip():
    decoded = msgspec.json.decode(msgspec.json.encode(SAMPLES[0]), type=InboundMessage)
    assert decoded.received_at.utcoffset() == timedelta(hours=8)
    assert decoded.received_at == BEIJING


def test_message_uuid_is_a_stable_uuid5():
    first = message_uuid(Channel.WECHAT, "wx-123")
    assert first == message_uuid(Channel.WECHAT, "wx-123")
    assert uuid.UUID(first).version == 5


@pytest.mark.parametrize("channel_message_id", ["6054768590064713728", "sess:客户端-1", "", "<a@b>" * 50])
def test_message_uuid_equals_the_standard_librarys_uuid5(channel_message_id):
    from contracts.messages import MESSAGE_NAMESPACE

    for channel in Channel:
        expected = str(uuid.uuid5(MESSAGE_NAMESPACE, f"{channel}:{channel_message_id}"))
        assert message_uuid(channel, channel_message_id) == expected


def test_message_uuid_differs_by_channel_for_the_same_channel_message_id():
    ids = {message_uuid(channel, "42") for channel in Channel}
    assert len(ids) == len(Channel)


def test_message_uuid_differs_by_channel_message_id():
    assert message_uuid(Channel.SMS, "42") != message_uuid(Channel.SMS, "43")


def test_message_uuid_is_the_same_for_a_channel_and_its_string_value():
    assert message_uuid(Channel.EMAIL, "m-1") == message_uuid("email", "m-1")


def test_inbound_message_id_is_derived_from_channel_and_channel_message_id_and_survives_decoding():
    sample = SAMPLES[0]
    decoded = msgspec.json.decode(msgspec.json.encode(sample), type=InboundMessage)
    assert sample.message_id == message_uuid(Channel.WECHAT, "wx-123")
    assert decoded.message_id == sample.message_id
