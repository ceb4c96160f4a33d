"""Hostile mail: header bombs and costly MIME refused with an SMTP code, anything else read without raising."""

import base64
import os
import random
import tracemalloc
from pathlib import Path

import msgspec
import pytest

from services.email_adapter.parse import MAX_HEADERS, MAX_MULTIPARTS, MAX_PARTS, MailRefused, ParsedMail, parse_mail
from services.email_adapter.parts import MAX_DEPTH

pytestmark = pytest.mark.unit

MAIL = Path(__file__).parents[1] / "data" / "mail"
SNIPPETS = [
    b"=?",
    b"?=",
    b"=?gb2312?B?",
    b"\r\n",
    b"\r\n\r\n",
    b"--",
    b"boundary=",
    b";",
    b'"',
    b"\\",
    b"<>",
    b"@",
    b"%",
    b"\xff",
    b"\x80",
    b"\x00",
    b"<![",
    b"*0*=",
    b"''",
    b"=\r\n",
    b"Content-Type: multipart/mixed; boundary=x\r\n",
    b"Content-Type: message/rfc822\r\n\r\n",
    b"--x\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Transfer-Encoding: x-uuencode\r\n",
    b"Content-Disposition: attachment; filename*0*=x''%ZZ\r\n",
    b"Content-Type: message/delivery-status\r\n\r\n",
    b"Content-Type: multipart/report; boundary=r\r\n",
]


def refused(raw: bytes, **limits) -> MailRefused:
    with pytest.raises(MailRefused) as caught:
        parse_mail(raw, **limits)
    return caught.value


def nested(depth: int) -> bytes:
    opening = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(depth))
    closing = b"".join(b"--b%d--\r\n" % i for i in reversed(range(depth)))
    return b"From: a@example.com\r\n" + opening + b"Content-Type: text/plain\r\n\r\nthe deepest text\r\n" + closing


def test_thousands_of_header_fields_are_refused():
    bomb = refused(b"".join(b"X%d: 1\r\n" % i for i in range(3000)) + b"\r\nbody")  # 3000 fields in 29 KB
    assert (bomb.code, bomb.reply) == (552, f"552 5.3.4 Message header has more than {MAX_HEADERS} fields")


@pytest.mark.parametrize(
    "header",
    [b"Subject: " + b"a" * 1_000_000, b"Subject: " + b"a\r\n " * 300_000, b"To: " + b"x@y.example, " * 100_000],
)
def test_a_megabyte_header_is_refused(header: bytes):
    assert refused(header + b"\r\n\r\nbody").code == 552


def test_header_limits_are_configurable_and_exact():
    at_limit = b"Subject: " + b"a" * 89 + b"\r\n"  # 100 bytes
    assert parse_mail(at_limit + b"\r\nbody", max_header_bytes=100).text == "body"
    assert refused(b"X: y\r\n" + at_limit + b"\r\nbody", max_header_bytes=100).code == 552
    assert parse_mail(b"A: 1\r\nB: 2\r\n\r\nbody", max_headers=2).text == "body"
    assert refused(b"A: 1\r\nB: 2\r\nC: 3\r\n\r\nbody", max_headers=2).code == 552


def test_a_large_body_after_headers_without_a_blank_line_is_not_a_header_bomb():
    assert parse_mail(b"Subject: hi\r\n" + b"z" * 200_000).subject == "hi"


def test_multiparts_nested_deeper_than_the_limit_are_left_unread():
    assert "the deepest text" in parse_mail(nested(MAX_DEPTH - 1)).text
    assert parse_mail(nested(MAX_DEPTH + 5)).text == ""


def test_more_multipart_sections_than_the_parser_can_afford_are_refused():
    # The stdlib parser tests every line against every open boundary: cost grows with nesting.
    assert refused(nested(MAX_MULTIPARTS + 1)).code == 554


def test_a_part_bomb_is_refused():
    # policy.default parses each part's Content-Type several times: 200,000 tiny parts took minutes.
    parts = b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" * (MAX_PARTS + 1)
    raw = b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" + parts + b"--b--\r\n"
    assert refused(raw).code == 554


RFC822_BOMB = b"Content-Type: message/rfc822\r\n\r\n"


@pytest.mark.parametrize(
    "raw",
    [
        b"From: a@example.com\r\n" + RFC822_BOMB * 2000 + b"\r\ndeep",  # too deep for the parser
        b"From: a@example.com\r\n" + RFC822_BOMB * 400 + b"\r\ndeep",  # parsed, but too deep to write back out
        # policy.default even honours an encoded Content-Type: no literal to count beforehand
        b"From: a@example.com\r\n" + b"Content-Type: =?utf-8?B?bWVzc2FnZS9yZmM4MjI=?=\r\n\r\n" * 2000 + b"\r\ndeep",
        # inside a multipart that declared no boundary, read again with the one guessed from its body
        b"From: a@example.com\r\nContent-Type: multipart/mixed\r\n\r\n"
        b"--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x\r\n" + RFC822_BOMB * 2000 + b"\r\ndeep\r\n--x--\r\n",
        # in a report's status fields
        b"From: a@example.com\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n"
        b"--r\r\nContent-Type: message/global-delivery-status\r\n\r\n" + RFC822_BOMB * 400 + b"x\r\n--r--\r\n",
    ],
)
def test_messages_nested_hundreds_deep_are_refused(raw: bytes):
    assert refused(raw).reply == "554 5.6.0 Message parts nested too deep"


@pytest.mark.parametrize(
    "part",
    [
        # "name*=" beside "name*0*=": the stdlib's decode_params compares None with 0
        b"Content-Type: text/plain; charset*=utf-8''x; charset*0*=y\r\n"
        b"Content-Disposition: inline; filename*=a; filename*0*=b\r\n\r\nthe text\r\n",
        b"Content-Disposition: inline; filename*\r\n\r\nthe text\r\n",  # policy.default's parser: IndexError
        # 8-bit bytes in base64 make get_payload() look the charset up, and a NUL in it is a ValueError
        b'Content-Type: text/plain; charset="utf\x00-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        b"dGhlIHRleHQ=\xff\r\n",
    ],
)
def test_parameters_the_standard_library_trips_over_are_survived(part: bytes):
    assert parse_mail(b"From: a@example.com\r\n" + part).text == "the text"


def test_an_attached_mail_the_standard_library_cannot_write_back_is_left_out():
    inner = b"Subject: broken\r\nContent-Type: multipart/mixed\r\n\r\n\xd6\xd0\xce\xc4 8-bit, no boundary\r\n"
    raw = (
        b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain"
        b"\r\n\r\nsee the attached mail\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"--b--\r\n"
    )
    got = parse_mail(raw)
    assert (got.text, got.attachments) == ("see the attached mail", ())


def test_a_content_type_the_standard_library_cannot_parse_is_refused():
    # policy.default's parameter parser raises IndexError inside the feedparser for "charset*" alone.
    assert (
        refused(b"From: a@example.com\r\nContent-Type: text/plain; charset*\r\n\r\ntext").reply
        == "554 5.6.0 Unreadable MIME structure (IndexError)"
    )


def mutated(raw: bytes, rng: random.Random) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 12)):
        at = rng.randrange(len(data) + 1)
        match rng.randrange(5):
            case 0 if data:
                data[min(at, len(data) - 1)] = rng.randrange(256)
            case 1:
                data[at:at] = rng.choice(SNIPPETS)
            case 2:
                del data[at : at + rng.randint(1, 40)]
            case 3:
                del data[at:]
            case _:
                start = rng.randrange(len(data) + 1)
                data[at:at] = data[start : start + rng.randint(1, 300)]
    return bytes(data)


def test_mangled_mail_is_read_or_refused_never_crashes():
    rng = random.Random(20240603)
    samples = [path.read_bytes() for path in sorted(MAIL.glob("*.eml"))]
    outcomes = {"parsed": 0, "refused": 0}
    for _ in range(1500):
        raw = mutated(rng.choice(samples), rng) if rng.random() < 0.9 else rng.randbytes(rng.randint(0, 3000))
        try:
            mail = parse_mail(raw)
        except MailRefused:
            outcomes["refused"] += 1
            continue
        assert isinstance(mail, ParsedMail)
        msgspec.json.encode(mail)  # valid Unicode throughout: no lone surrogates
        outcomes["parsed"] += 1
    assert outcomes["parsed"] > 1000


def test_a_big_attachment_is_parsed_without_copies_of_the_whole_mail():
    data = os.urandom(6_000_000)
    raw = (
        b"From: a@example.com\r\nMessage-ID: <big@example.com>\r\nContent-Type: multipart/mixed; boundary=b\r\n"
        b"\r\n--b\r\nContent-Type: text/plain\r\n\r\nstatement attached\r\n--b\r\nContent-Type: application/pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(data).replace(b"\n", b"\r\n") + b"--b--\r\n"
    )
    tracemalloc.start()
    try:
        mail = parse_mail(raw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert mail.attachments[0].data == data
    # The stdlib parser keeps a body as a list of lines, then joins it (~2.7x the mail at its peak);
    # parsebytes() would add a full decoded copy and a StringIO on top (~7.7x).
    assert peak < 3.5 * len(raw)
