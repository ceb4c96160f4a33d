"""WeChat callbacks in every mode: authenticated, decrypted, normalized; hostile ones refused."""

import base64
import struct
from datetime import UTC, datetime

import pytest
from wechatpy import parse_message
from wechatpy.crypto.base import WeChatCipher

from contracts import MessageKind
from services.wechat_adapter.callbacks import open_callback
from services.wechat_adapter.crypto import CallbackRefused, seal, sign, verify_url
from services.wechat_adapter.normalize import MEDIA_PREFIX, normalize, welcome_reply
from shared.config import WeChatAccount
from tests.wechat import OFFICIAL_ID, account, callback, event_xml, message_xml, open_reply, text_xml

pytestmark = pytest.mark.unit

MODES = ["plain", "compatible", "safe"]
OPENID = "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
AT = 1_409_735_668
MENU = {"HUMAN": "human", "FAQ_RESET": "faq:password_reset"}


def opened(acc: WeChatAccount, xml: str) -> dict[str, str]:
    query, body = callback(acc, xml)
    return open_callback(acc, query, body)


def test_tencents_published_sample_decrypts_in_compatible_mode():
    # Tencent's WXBizMsgCrypt demo values: token, key, app id, signature and ciphertext.
    sample = WeChatAccount(
        name="sample",
        app_id="wx2c2769f8efd9abc2",
        app_secret="x",
        token="spamtest",
        aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        mode="compatible",
    )
    body = (
        b"<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZ"
        b"f0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><!"
        b"[CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[hyzAe4OzmOMbd6TvGdIOO6uBm"
        b"dJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn"
        b"896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPh"
        b"RjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYY"
        b"I1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=]]></E"
        b"ncrypt></xml>"
    )
    query = {
        "timestamp": "1409735669",
        "nonce": "1320562132",
        "encrypt_type": "aes",
        "msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
    }
    message = normalize(sample, open_callback(sample, query, body))
    assert (message.text, message.channel_message_id, message.customer_address) == (
        "abcdteT",
        "6054768590064713728",
        OPENID,
    )
    assert message.received_at == datetime(2014, 9, 3, 9, 14, 28, tzinfo=UTC)


def test_url_check_echoes_only_when_signed_with_our_token():
    acc = account("plain")
    query = {"timestamp": "1409735669", "nonce": "42", "echostr": "4389103294932"}
    assert verify_url(acc, query | {"signature": sign(acc.token, "1409735669", "42")}) == "4389103294932"
    with pytest.raises(CallbackRefused) as refused:
        verify_url(acc, query | {"signature": sign("someone-else", "1409735669", "42")})
    assert refused.value.status == 403


@pytest.mark.parametrize("mode", MODES)
def test_text_in_every_mode_normalizes_with_msgid_as_the_channel_id(mode):
    acc = account(mode)
    xml = text_xml(OPENID, "我的转账还没到账，急！", 6054768590064713728, AT)
    message = normalize(acc, opened(acc, xml))
    assert (message.channel, message.channel_message_id, message.customer_address, message.account) == (
        "wechat",
        "6054768590064713728",
        OPENID,
        "wallet",
    )
    assert (message.kind, message.text) == (MessageKind.TEXT, "我的转账还没到账，急！")
    reference = parse_message(xml)  # wechatpy's own reading of the same document
    assert (message.customer_address, int(message.received_at.timestamp()), int(message.channel_message_id)) == (
        reference.source,
        reference.time,
        reference.id,
    )


MEDIA_CASES = [
    (
        "image",
        {"PicUrl": "http://mmbiz.qpic.cn/x.jpg", "MediaId": "img-1", "MsgId": 1},
        MessageKind.IMAGE,
        "",
        "image/jpeg",
    ),
    (
        "voice",
        {"MediaId": "voice-1", "Format": "amr", "Recognition": "我要退款", "MsgId": 2},
        MessageKind.VOICE,
        "我要退款",
        "audio/amr",
    ),
    ("voice", {"MediaId": "voice-2", "Format": "speex", "MsgId": 3}, MessageKind.VOICE, "", "audio/speex"),
    ("video", {"MediaId": "video-1", "ThumbMediaId": "thumb-1", "MsgId": 4}, MessageKind.VIDEO, "", "video/mp4"),
    ("shortvideo", {"MediaId": "sv-1", "ThumbMediaId": "thumb-2", "MsgId": 5}, MessageKind.VIDEO, "", "video/mp4"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("msg_type", "fields", "kind", "text", "content_type"), MEDIA_CASES)
def test_media_messages_carry_their_media_id_by_reference(mode, msg_type, fields, kind, text, content_type):
    acc = account(mode)
    message = normalize(acc, opened(acc, message_xml(OPENID, msg_type, AT, **fields)))
    assert (message.kind, message.text, message.channel_message_id) == (kind, text, str(fields["MsgId"]))
    [attachment] = message.attachments
    assert (attachment.ref, attachment.content_type) == (MEDIA_PREFIX + fields["MediaId"], content_type)


def test_location_link_and_file_messages_keep_what_an_agent_needs():
    acc = account("safe")
    location = normalize(
        acc,
        opened(
            acc,
            message_xml(
                OPENID,
                "location",
                AT,
                Location_X="31.2304",
                Location_Y="121.4737",
                Scale="15",
                Label="上海市黄浦区",
                MsgId=6,
            ),
        ),
    )
    assert location.kind == MessageKind.LOCATION and "上海市黄浦区" in location.text and "31.2304" in location.text
    assert location.details["Location_Y"] == "121.4737"
    link = normalize(
        acc,
        opened(
            acc,
            message_xml(
                OPENID, "link", AT, Title="转账截图说明", Description="见链接", Url="https://example.com/t/1", MsgId=7
            ),
        ),
    )
    assert link.kind == MessageKind.LINK and link.text.splitlines() == [
        "转账截图说明",
        "见链接",
        "https://example.com/t/1",
    ]
    file = normalize(
        acc,
        opened(
            acc,
            message_xml(
                OPENID,
                "file",
                AT,
                Title="流水.pdf",
                Description="",
                FileKey="fk-9",
                FileMd5="abc",
                FileTotalLen="20480",
                MsgId=8,
            ),
        ),
    )
    assert (file.kind, file.text, file.channel_message_id) == (MessageKind.FILE, "流水.pdf", "8")
    assert (file.attachments[0].name, file.attachments[0].size) == ("流水.pdf", 20480)


def test_a_type_we_do_not_handle_is_kept_with_its_fields_not_dropped():
    acc = account("safe")
    message = normalize(
        acc,
        opened(
            acc, message_xml(OPENID, "miniprogrampage", AT, AppId="wxapp", Title="账单", PagePath="pages/bill", MsgId=9)
        ),
    )
    assert (message.kind, message.text, message.channel_message_id) == (
        MessageKind.UNSUPPORTED,
        "[miniprogrampage]",
        "9",
    )
    assert message.details | {} == {
        "MsgType": "miniprogrampage",
        "AppId": "wxapp",
        "Title": "账单",
        "PagePath": "pages/bill",
        "MsgId": "9",
    }


EVENT_CASES = [
    ("subscribe", {}, {"event": "subscribe"}),
    (
        "subscribe",
        {"EventKey": "qrscene_123", "Ticket": "T1"},
        {"event": "subscribe", "EventKey": "qrscene_123", "Ticket": "T1"},
    ),
    ("unsubscribe", {}, {"event": "unsubscribe"}),
    ("SCAN", {"EventKey": "123", "Ticket": "T2"}, {"event": "scan", "EventKey": "123", "Ticket": "T2"}),
    ("CLICK", {"EventKey": "HUMAN"}, {"event": "click", "EventKey": "HUMAN", "intent": "human"}),
    ("CLICK", {"EventKey": "FAQ_RESET"}, {"event": "click", "EventKey": "FAQ_RESET", "intent": "faq:password_reset"}),
    ("CLICK", {"EventKey": "UNMAPPED"}, {"event": "click", "EventKey": "UNMAPPED"}),
    ("VIEW", {"EventKey": "https://wallet.example/help"}, {"event": "view", "EventKey": "https://wallet.example/help"}),
    (
        "LOCATION",
        {"Latitude": "23.137466", "Longitude": "113.352425", "Precision": "119.385040"},
        {"event": "location", "Latitude": "23.137466", "Longitude": "113.352425", "Precision": "119.385040"},
    ),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("event", "fields", "details"), EVENT_CASES)
def test_events_are_identified_by_sender_time_and_event(mode, event, fields, details):
    acc = account(mode, menu=MENU)
    message = normalize(acc, opened(acc, event_xml(OPENID, event, AT, **fields)))
    assert message.kind == MessageKind.EVENT
    assert message.channel_message_id == f"{OPENID}:{AT}:{event}"
    assert message.details == details


def test_the_same_event_retried_keeps_its_id_and_a_later_one_gets_another():
    acc = account("plain")
    first, retried, later = (normalize(acc, opened(acc, event_xml(OPENID, "subscribe", t))) for t in (AT, AT, AT + 1))
    assert first.message_id == retried.message_id != later.message_id


@pytest.mark.parametrize("mode", MODES)
def test_subscribe_gets_the_configured_welcome_as_a_passive_reply_wechat_can_read(mode):
    acc = account(mode, welcome="欢迎关注钱包客服！回复「人工」联系客服。")
    fields = opened(acc, event_xml(OPENID, "subscribe", AT))
    sealed = open_reply(acc, seal(acc, welcome_reply(acc, fields)))  # decrypts with the account's own key
    reply = parse_message(sealed)
    assert (reply.type, reply.content, reply.source, reply.target) == (
        "text",
        "欢迎关注钱包客服！回复「人工」联系客服。",
        OFFICIAL_ID,
        OPENID,
    )
    assert welcome_reply(acc, opened(acc, text_xml(OPENID, "hi", 1, AT))) is None
    assert welcome_reply(account(mode), fields) is None


def refused(acc: WeChatAccount, query: dict, body: bytes) -> CallbackRefused:
    with pytest.raises(CallbackRefused) as caught:
        normalize(acc, open_callback(acc, query, body))
    return caught.value


@pytest.mark.parametrize("mode", MODES)
def test_a_wrong_signature_is_forbidden(mode):
    acc = account(mode)
    query, body = callback(acc, text_xml(OPENID, "hi", 10))
    key = "signature" if mode == "plain" else "msg_signature"
    assert refused(acc, query | {key: "0" * 40}, body).status == 403
    assert refused(acc, query | {"timestamp": "1"}, body).status == 403


def test_a_different_app_id_in_the_ciphertext_is_forbidden():
    acc = account("safe")
    impostor = account("safe", app_id="wxsomeoneelse")
    query, body = callback(impostor, text_xml(OPENID, "hi", 11))
    assert refused(acc, query, body).reason == "app id mismatch"


def test_mode_downgrades_are_refused():
    safe, plain = account("safe"), account("plain")
    assert refused(safe, *callback(plain, text_xml(OPENID, "hi", 12))).status == 403
    assert refused(plain, *callback(safe, text_xml(OPENID, "hi", 13))).status == 403


def _signed_ciphertext(acc: WeChatAccount, plaintext: bytes) -> tuple[dict, bytes]:
    encrypted = base64.b64encode(WeChatCipher(base64.b64decode(acc.aes_key + "=")).encrypt(plaintext)).decode()
    query = {
        "timestamp": "1",
        "nonce": "2",
        "encrypt_type": "aes",
        "msg_signature": sign(acc.token, "1", "2", encrypted),
    }
    return query, f"<xml><Encrypt>{encrypted}</Encrypt></xml>".encode()


@pytest.mark.parametrize(
    ("plaintext", "reason"),
    [
        (b"r" * 16 + b"x" * 15 + b"\x00", "bad AES padding"),
        (b"r" * 16 + b"x" * 15 + b"\x21", "bad AES padding"),
        (b"r" * 16 + b"x" * 13 + b"\x01\x03\x03", "bad AES padding"),
        (b"r" * 16 + struct.pack(">I", 999) + b"<xml/>" + b"\x06" * 6, "decrypted length prefix out of range"),
    ],
)
def test_ciphertexts_that_decrypt_to_garbage_are_bad_requests(plaintext, reason):
    acc = account("safe")
    caught = refused(acc, *_signed_ciphertext(acc, plaintext))
    assert (caught.status, caught.reason) == (400, reason)


def test_ciphertext_that_is_not_base64_or_not_whole_blocks_is_a_bad_request():
    acc = account("safe")
    for encrypted in ("not base64 at all!", base64.b64encode(b"x" * 17).decode()):
        query = {
            "timestamp": "1",
            "nonce": "2",
            "encrypt_type": "aes",
            "msg_signature": sign(acc.token, "1", "2", encrypted),
        }
        assert refused(acc, query, f"<xml><Encrypt>{encrypted}</Encrypt></xml>".encode()).status == 400


BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml><Content>&lol3;</Content></xml>'
)
HOSTILE = [
    BOMB,
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>',
    '<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/evil.dtd"><xml><Content>hi</Content></xml>',
    "<xml><Content>unclosed</xml>",
    "not xml at all",
    "",
    "<notxml><MsgType>text</MsgType></notxml>",
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("document", HOSTILE)
def test_hostile_or_malformed_xml_is_a_bad_request_in_every_mode(mode, document):
    acc = account(mode)
    query, body = callback(acc, document)
    assert refused(acc, query, body).status == 400


@pytest.mark.parametrize(
    "document",
    [
        "<xml><MsgType>text</MsgType><CreateTime>1</CreateTime></xml>",
        f"<xml><FromUserName>{OPENID}</FromUserName><CreateTime>1</CreateTime></xml>",
        f"<xml><FromUserName>{OPENID}</FromUserName><MsgType>text</MsgType><CreateTime>soon</CreateTime></xml>",
        f"<xml><FromUserName>{OPENID}</FromUserName><MsgType>text</MsgType><CreateTime>99999999999999999</CreateTime></xml>",
    ],
)
def test_documents_missing_what_every_callback_has_are_bad_requests(document):
    acc = account("plain")
    assert refused(acc, *callback(acc, document)).status == 400


def test_nested_event_details_are_kept_as_flat_text():
    acc = account("plain")
    xml = (
        f"<xml><ToUserName>{OFFICIAL_ID}</ToUserName><FromUserName>{OPENID}</FromUserName><CreateTime>{AT}"
        "</CreateTime><MsgType>event</MsgType><Event>scancode_waitmsg</Event><EventKey>SCAN_BILL</EventKey>"
        "<ScanCodeInfo><ScanType>qrcode</ScanType><ScanResult>RD-1042</ScanResult></ScanCodeInfo></xml>"
    )
    fields = opened(acc, xml)
    assert fields["ScanCodeInfo"] == "ScanType=qrcode ScanResult=RD-1042"
    message = normalize(acc, fields)
    assert (message.kind, message.details["event"], message.details["EventKey"]) == (
        MessageKind.EVENT,
        "scancode_waitmsg",
        "SCAN_BILL",
    )
