"""What the WeChat sender makes of errcodes and outbound messages."""

from datetime import UTC, datetime

import pytest

from contracts import Attachment, Channel, OutboundMessage, WeChatTemplateMessage
from services.wechat_adapter.delivery import (
    Outcome,
    image_message,
    is_image,
    outcome,
    template_message,
    text_message,
    wechat_media_id,
    with_links,
)

pytestmark = pytest.mark.unit
AT = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("errcode", "expected"),
    [
        (40001, Outcome.TOKEN_INVALID),
        (42001, Outcome.TOKEN_INVALID),
        (40014, Outcome.TOKEN_INVALID),
        (45015, Outcome.WINDOW_CLOSED),
        (-1, Outcome.RATE_LIMITED),
        (45009, Outcome.RATE_LIMITED),
        (45011, Outcome.RATE_LIMITED),
        (40003, Outcome.PERMANENT),
        (43004, Outcome.PERMANENT),
        (45047, Outcome.PERMANENT),
        (40007, Outcome.PERMANENT),
    ],
)
def test_errcodes_map_to_what_the_sender_does(errcode, expected):
    assert outcome(errcode) == expected


def test_customer_service_payloads():
    assert text_message("o1", "您好") == {"touser": "o1", "msgtype": "text", "text": {"content": "您好"}}
    assert image_message("o1", "m1") == {"touser": "o1", "msgtype": "image", "image": {"media_id": "m1"}}


def test_media_refs_and_links_for_what_wechat_cannot_carry():
    assert wechat_media_id("wechat-media:abc") == "abc" and wechat_media_id("https://x/y.png") is None
    assert is_image("image/png; charset=binary") and not is_image("application/pdf")
    reply = OutboundMessage(
        "m",
        "c",
        Channel.WECHAT,
        "o1",
        "见附件",
        1,
        AT,
        attachments=(Attachment("https://files/a.pdf", "application/pdf"),),
    )
    assert with_links(reply, ["https://files/a.pdf"]) == "见附件\nhttps://files/a.pdf"
    assert with_links(reply, []) == "见附件"


def test_template_payload_wraps_each_value_and_leaves_out_an_empty_url():
    message = WeChatTemplateMessage("m", "wallet", "o1", "TPL", {"first": "预审通过"}, AT)
    assert template_message(message) == {"touser": "o1", "template_id": "TPL", "data": {"first": {"value": "预审通过"}}}
