"""Mail text decoding: GB labels read as GB18030, lying and unknown charsets fall back, HTML read as text."""

import base64
import random

import pytest

from services.email_adapter.charsets import decode_bytes, decode_header
from services.email_adapter.html_text import html_to_text

pytestmark = pytest.mark.unit

RARE = "朱镕基、王喆、刘䶮、𠀀、㐀、鿕、€"
"""镕 and 喆 are GBK, not GB2312; 䶮, 𠀀 and 㐀 are GB18030 only; 鿕 is a recent CJK addition."""
HOSTILE_LABELS = [
    None,
    "",
    "us-ascii",
    "utf-8",
    "x-unknown",
    "big5",
    "iso-8859-1",
    "base64",
    "rot13",
    "idna",
    "punycode",
    "utf-7",
    "unicode_escape",
    "raw-unicode-escape",
    "zlib",
    "../../etc/passwd",
    "x" * 200,
    "utf-16",
    '"gbk"',
    "gb2312\udc80",
]


@pytest.mark.parametrize("label", ["gb2312", "GB2312", "gbk", "x-gbk", "cp936", "GB18030", "euc-cn", "csGB2312"])
def test_gb_labels_are_read_as_gb18030(label: str):
    assert decode_bytes(RARE.encode("gb18030"), label) == RARE


@pytest.mark.parametrize("label", HOSTILE_LABELS)
def test_valid_gb18030_never_comes_out_with_replacement_characters(label: str | None):
    rng = random.Random(repr(label))
    # Any valid GB18030, not only Chinese: random code points from the BMP's CJK and beyond.
    text = "".join(
        chr(
            rng.choice(
                [
                    rng.randint(0x4E00, 0x9FFF),
                    rng.randint(0x3400, 0x4DBF),
                    rng.randint(0x20000, 0x2A6DF),
                    rng.randint(0x20, 0x7E),
                ]
            )
        )
        for _ in range(200)
    )
    decoded = decode_bytes(text.encode("gb18030"), label)
    assert "\ufffd" not in decoded
    decoded.encode("utf-8")  # and no lone surrogates


@pytest.mark.parametrize("label", HOSTILE_LABELS)
def test_undecodable_bytes_never_raise_and_never_leave_surrogates(label: str | None):
    decoded = decode_bytes(bytes(range(256)) + b"\\udc80 +2D0- \xff\xfe\x00\xd8", label)
    decoded.encode("utf-8")


def test_a_utf8_body_labelled_gbk_still_reads_when_gb18030_cannot():
    assert decode_bytes("退款 😭".encode(), "gbk") == "退款 😭"


def test_latin1_labels_read_windows_1252_punctuation():
    assert decode_bytes("“50 €” – déjà".encode("cp1252"), "iso-8859-1") == "“50 €” – déjà"


def test_big5_with_hong_kong_characters():
    text = "儲值失敗，款項已扣；香港字：嘅咗"
    assert decode_bytes(text.encode("big5hkscs"), "big5") == text


def word(text: str, label: str, codec: str | None = None) -> str:
    return f"=?{label}?B?{base64.b64encode(text.encode(codec or label)).decode()}?="


def test_header_words_split_inside_a_character_are_joined_before_decoding():
    data = "提现失败".encode("gbk")
    split = f"=?GBK?B?{base64.b64encode(data[:3]).decode()}?=\r\n =?GBK?B?{base64.b64encode(data[3:]).decode()}?="
    assert decode_header(split) == "提现失败"


def test_header_words_in_different_charsets_and_plain_text_between_them():
    value = f"Re: {word('朱镕', 'gb2312', 'gbk')} {word('儲值', 'big5')}  and {word('Müller', 'iso-8859-1')}"
    assert decode_header(value) == "Re: 朱镕儲值  and Müller"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=?utf-8?B?5Lit5paH?= =?utf-8?B?@@@?=", "中文"),  # nothing left of the broken word
        ("=?utf-8?Q?broken=ZZ?=", "broken=ZZ"),
        ("=?utf-8?B?5Lit5?=", "=?utf-8?B?5Lit5?="),  # no padding can repair it: shown as written
        ("=?utf-8?X?abc?=", "=?utf-8?X?abc?="),
        ("=?no-such-charset?Q?=E6=8F=90=E7=8E=B0?=", "提现"),
        ("=?gbk*zh-cn?B?zOHP1g==?=", "提现"),  # RFC 2231 language tag
        ("plain \udcb3\udce4\udcd6\udcb5", "plain 充值"),  # raw 8-bit GBK, kept by the parser as surrogates
    ],
)
def test_malformed_and_unusual_words_are_read_as_well_as_they_can_be(value: str, expected: str):
    assert decode_header(value) == expected


def test_html_keeps_the_readable_text_only():
    html = """<html><head><title>T</title><style>p { color: red }</style></head><body>
    <script>var hidden = 1;</script><p>您好&#xff0c;&nbsp;金额&nbsp;&yen;5&amp;6&lt;7&gt;</p>
    <div>第一行<br>第二行<br/><br>第三行</div><ul><li>one</li><li>two</li></ul>
    <table><tr><th>时间</th><th>金额</th></tr><tr><td>12:00</td><td>128.00</td></tr></table>
    <pre>  keep   its
  spacing</pre><hr></body></html>"""
    assert html_to_text(html) == (
        "您好， 金额 ¥5&6<7>\n\n第一行\n第二行\n\n第三行\n\n- one\n- two\n\n"
        "时间 | 金额\n12:00 | 128.00\n\n  keep   its\n  spacing\n\n" + "_" * 32
    )


def test_html_blockquotes_come_out_quoted():
    html = "<p>new</p><blockquote><p>old</p><blockquote>older</blockquote></blockquote>after"
    assert html_to_text(html) == "new\n\n> old\n>\n> > older\n\nafter"


@pytest.mark.parametrize(
    "html",
    [
        "<head><title>never closed<body><p>the message</p>",
        "<p><![if !supportLists]>1.<![endif]>the message</p>",
        "<![foo bar>the message",
        "<p>the message<!-- unterminated comment",
        "<script/>the message",
    ],
)
def test_broken_html_still_yields_the_message(html: str):
    assert "the message" in html_to_text(html)
