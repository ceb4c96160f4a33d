"""Visitor frames: decoding and its error codes, mapping to the bus, and the reply frame."""

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from contracts import Attachment, Channel, OutboundMessage
from services.webchat_adapter.frames import (
    FrameError,
    Ping,
    Resume,
    SendMessage,
    decode_frame,
    reply_frame,
    to_inbound,
)
from services.webchat_adapter.session import VisitorSession

pytestmark = pytest.mark.unit

MAX = 10
AT = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SESSION = VisitorSession("a" * 32, 1_900_000_000, "张伟", "zh-CN")


def error_of(data: str, max_text: int = MAX) -> FrameError:
    with pytest.raises(FrameError) as caught:
        decode_frame(data, max_text)
    return caught.value


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ('{"type":"message","client_id":"c-1","text":"你好"}', SendMessage("c-1", "你好")),
        ('{"type":"message","client_id":"A_z.0:9-x","text":"hi"}', SendMessage("A_z.0:9-x", "hi")),
        ('{"type":"resume","after_seq":7}', Resume(7)),
        ('{"type":"resume"}', Resume(0)),
        ('{"type":"ping"}', Ping()),
    ],
)
def test_decode_frame_accepts_valid_frames(data, expected):
    assert decode_frame(data, MAX) == expected


@pytest.mark.parametrize("data", ["", "not json", "{", '{"type":"ping"} trailing', "\ufeff{}"], ids=repr)
def test_non_json_is_invalid_json(data):
    assert error_of(data).code == "invalid_json"


@pytest.mark.parametrize(
    "data",
    [
        "[]",
        '"ping"',
        "{}",
        '{"type":"shout","text":"hi"}',
        '{"type":"message","text":"hi"}',
        '{"type":"message","client_id":"","text":"hi"}',
        '{"type":"message","client_id":"has space","text":"hi"}',
        '{"type":"message","client_id":"路径/斜杠","text":"hi"}',
        '{"type":"message","client_id":"' + "x" * 129 + '","text":"hi"}',
        '{"type":"message","client_id":"c1"}',
        '{"type":"message","client_id":"c1","text":5}',
        '{"type":"resume","after_seq":-1}',
        '{"type":"resume","after_seq":"3"}',
    ],
    ids=[
        "array",
        "string",
        "no-type",
        "unknown-type",
        "missing-client-id",
        "empty-client-id",
        "space-in-client-id",
        "chinese-slash-client-id",
        "client-id-too-long",
        "missing-text",
        "text-not-string",
        "negative-after-seq",
        "after-seq-string",
    ],
)
def test_structurally_wrong_frame_is_invalid_frame(data):
    error = error_of(data)
    assert error.code == "invalid_frame"
    assert error.frame()["type"] == "error"


@pytest.mark.parametrize("text", ["", " ", "\n\t ", "\u3000"], ids=repr)
def test_blank_text_is_empty_text_and_names_the_client_id(text):
    error = error_of(msgspec.json.encode({"type": "message", "client_id": "c-7", "text": text}).decode())
    assert (error.code, error.client_id) == ("empty_text", "c-7")
    assert error.frame() == {"type": "error", "code": "empty_text", "message": error.message, "client_id": "c-7"}


@pytest.mark.parametrize("after", ["9223372036854775808", "99999999999999999999", "1" + "0" * 400], ids=len)
def test_an_after_seq_beyond_a_bigint_is_invalid_frame_naming_the_bound(after):
    error = error_of('{"type":"resume","after_seq":' + after + "}")
    assert error.code == "invalid_frame"
    assert "9223372036854775807" in error.message


def test_the_largest_bigint_after_seq_is_accepted():
    assert decode_frame('{"type":"resume","after_seq":9223372036854775807}', MAX) == Resume(2**63 - 1)


def test_text_over_the_limit_is_text_too_long_and_names_the_client_id():
    error = error_of('{"type":"message","client_id":"c-8","text":"' + "x" * (MAX + 1) + '"}')
    assert (error.code, error.client_id) == ("text_too_long", "c-8")
    assert str(MAX) in error.message
    assert error.frame()["client_id"] == "c-8"


@pytest.mark.parametrize("text", ["x" * MAX, "余" * MAX, "😀" * MAX], ids=["ascii", "chinese", "emoji"])
def test_text_exactly_at_the_limit_counts_characters_not_bytes(text):
    assert (
        decode_frame(msgspec.json.encode({"type": "message", "client_id": "c", "text": text}).decode(), MAX).text
        == text
    )


def test_chinese_text_one_character_over_the_limit_is_refused():
    data = msgspec.json.encode({"type": "message", "client_id": "c", "text": "余" * (MAX + 1)}).decode()
    assert error_of(data).code == "text_too_long"


def test_error_frame_without_client_id_omits_the_key():
    assert "client_id" not in error_of("nope").frame()


def test_retried_frame_maps_to_the_same_message_id():
    frame = SendMessage("retry-1", "余额不对")
    first = to_inbound(frame, SESSION, AT)
    retry = to_inbound(frame, SESSION, AT + timedelta(seconds=30))
    assert first.message_id == retry.message_id


def test_same_client_id_in_different_sessions_maps_to_different_messages():
    other = msgspec.structs.replace(SESSION, session_id="b" * 32)
    frame = SendMessage("c-1", "hi")
    assert to_inbound(frame, SESSION, AT).message_id != to_inbound(frame, other, AT).message_id


def test_different_client_ids_in_one_session_map_to_different_messages():
    assert (
        to_inbound(SendMessage("c-1", "hi"), SESSION, AT).message_id
        != to_inbound(SendMessage("c-2", "hi"), SESSION, AT).message_id
    )


def test_to_inbound_carries_session_details_onto_the_bus_message():
    message = to_inbound(SendMessage("c-1", "我要退款"), SESSION, AT)
    assert (message.channel, message.customer_address, message.text) == (
        Channel.WEBCHAT,
        SESSION.session_id,
        "我要退款",
    )
    assert (message.customer_name, message.locale, message.received_at) == ("张伟", "zh-CN", AT)


def test_reply_frame_shape():
    receipt = Attachment(ref="https://files.example/f/k/r.png", content_type="image/png", name="r.png", size=9)
    message = OutboundMessage(
        "msg-1", "conv-1", Channel.WEBCHAT, SESSION.session_id, "已退款", 4, AT, "agent-1", attachments=(receipt,)
    )
    frame = reply_frame(message)
    assert frame == {
        "type": "message",
        "id": "msg-1",
        "seq": 4,
        "text": "已退款",
        "from": "agent",
        "sent_at": frame["sent_at"],
        "attachments": [{"url": receipt.ref, "name": "r.png", "content_type": "image/png", "size": 9}],
    }
    assert datetime.fromisoformat(frame["sent_at"]) == AT
    assert msgspec.json.decode(msgspec.json.encode(frame)) == frame
