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
    ApplicationPreapproved,
    Attachment,
    CallbackAssigned,
    CallbackCommand,
    CallbackDue,
    CallbackOutcome,
    CallbackOverdue,
    CallbackUpdated,
    Channel,
    ClaimCallback,
    CommandRejected,
    ConversationAssigned,
    ConversationClosed,
    ConversationResolved,
    ConversationUnassigned,
    CreateCallback,
    CustomerMessageReceived,
    InboundMessage,
    MessageKind,
    OutboundMessage,
    RecordCallbackOutcome,
    ReportStreams,
    ResolveConversation,
    SendReply,
    SetAgentStatus,
    SlaWarning,
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
    ConversationAssigned(
        **EVENT,
        channel=Channel.SMS,
        customer_address="+8613800000000",
        customer_name="李雷",
        priority="urgent",
        category="refund",
        reason="transfer",
        preview="退款没到账",
        note="客户是VIP，请优先处理",
    ),
    CustomerMessageReceived(**EVENT, message_id="msg-2", channel=Channel.EMAIL, text="还在吗？", kind="text"),
    ConversationUnassigned(**EVENT, reason="agent_offline"),
    ConversationResolved(**EVENT),
    CommandRejected(**EVENT, command_id="cmd-1", reason="conversation_resolved"),
    ReportStreams("cmd-3", "replica-1", 7, BEIJING, streams={"agent-1": AT, "agent-2": BEIJING}, expires_in_s=1.5),
    SlaWarning(**EVENT, kind="first_response", priority="urgent", category="security", due_at=BEIJING),
    ConversationClosed(
        conversation_id="conv-1",
        channel=Channel.WECHAT,
        customer_address="openid-abc",
        resolved_at=BEIJING,
        category="loan",
        language="zh",
        agent_id="agent-1",
    ),
    ApplicationPreapproved(
        application_id="APP-1",
        application_type="loan",
        approved_at=BEIJING,
        channel=Channel.SMS,
        customer_address="+8613800000000",
        customer_id="W-42",
        customer_name="王小明",
        details={"额度": "50000 元", "期限": "12 个月"},
    ),
    CreateCallback(
        **COMMAND,
        callback_id="cb-1",
        channel="sms",
        customer_address="+8613800000000",
        reason="回访：确认退款到账",
        due_at=BEIJING,
        conversation_id="conv-1",
        note="下午方便",
    ),
    ClaimCallback(**COMMAND, callback_id="cb-1"),
    RecordCallbackOutcome(
        **COMMAND,
        callback_id="cb-1",
        outcome=CallbackOutcome.RESCHEDULE,
        note="客户在开会",
        reschedule_at=BEIJING + timedelta(hours=3),
    ),
    CallbackAssigned(
        **EVENT,
        callback_id="cb-1",
        due_at=BEIJING,
        reason="贷款预审通过",
        how="due",
        channel="sms",
        customer_address="+8613800000000",
        customer_name="王小明",
        category="loan",
    ),
    CallbackDue(
        **EVENT,
        callback_id="cb-1",
        due_at=BEIJING,
        reason="贷款预审通过",
        channel="sms",
        customer_address="+8613800000000",
        attempts=1,
    ),
    CallbackOverdue(**EVENT, callback_id="cb-1", due_at=BEIJING, reason="贷款预审通过", overdue_since=AT),
    CallbackUpdated(
        **EVENT,
        callback_id="cb-1",
        due_at=BEIJING,
        reason="贷款预审通过",
        state="closed",
        outcome="unreachable",
        attempts=3,
    ),
]


def decode_type(sample):
    """The type a consumer decodes this payload with: its union where the bus carries one."""
    if isinstance(sample, (SendReply, ResolveConversation, TransferConversation, SetAgentStatus, ReportStreams)):
        return AgentCommand
    if isinstance(sample, (InboundMessage, OutboundMessage, ConversationClosed, ApplicationPreapproved)):
        return type(sample)
    if isinstance(sample, (CreateCallback, ClaimCallback, RecordCallbackOutcome)):
        return CallbackCommand
    return AgentEvent


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: type(s).__name__)
def test_contract_round_trips_through_json(sample):
    decoded = msgspec.json.decode(msgspec.json.encode(sample), type=decode_type(sample))
    assert type(decoded) is type(sample)
    assert decoded == sample


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: type(s).__name__)
def test_contract_decodes_through_union_of_every_bus_type(sample):
    union = Union[BUS_TYPES]  # noqa: UP007  built from a tuple at runtime: `X | Y` cannot unpack one
    decoded = msgspec.json.decode(msgspec.json.encode(sample), type=union)
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


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"channel": "sms"},
        {"customer_address": "+8613800000000"},
    ],
)
def test_a_preapproval_must_name_its_customer(fields):
    body = {
        "type": "application_preapproved",
        "application_id": "APP-1",
        "application_type": "loan",
        "approved_at": "2026-03-02T10:00:00+08:00",
        **fields,
    }
    with pytest.raises(msgspec.ValidationError, match="name the customer"):
        msgspec.json.decode(msgspec.json.encode(body), type=ApplicationPreapproved)


def test_a_refused_callback_command_names_the_callback_and_older_readers_default_it():
    refused = CommandRejected(
        **EVENT | {"conversation_id": ""}, command_id="cmd-2", reason="callback_closed", callback_id="cb-1"
    )
    assert msgspec.json.decode(msgspec.json.encode(refused), type=AgentEvent) == refused
    old_shape = {"type": "command_rejected", **EVENT, "command_id": "cmd-1", "reason": "conversation_resolved"}
    assert msgspec.json.decode(msgspec.json.encode(old_shape), type=AgentEvent).callback_id == ""
