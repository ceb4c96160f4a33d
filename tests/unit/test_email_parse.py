"""Inbound mail parsing: the written corpus read as a person reads it, threading and attachment details."""

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path

import msgspec
import pytest
import yaml

from services.email_adapter.parse import SYNTHETIC_ID_DOMAIN, ParsedMail, parse_mail

pytestmark = pytest.mark.unit

MAIL = Path(__file__).parents[1] / "data" / "mail"


class ExpectedFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    filename: str
    content_type: str
    size: int
    sha256: str
    content_id: str | None = None


class ExpectedDsn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    original_message_id: str | None
    recipients: list[str]
    action: str
    status: str
    diagnostic: str


class Expected(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename={"sender": "from"}):
    """One entry of tests/data/mail/expected.yaml."""

    sender: str
    date: datetime | None
    message_id: str | None
    subject: str | None = None
    subject_has: list[str] = []
    from_name: str = ""
    to: list[str] = []
    in_reply_to: list[str] = []
    references: list[str] = []
    new_text: str | None = None
    new_text_has: list[str] = []
    new_text_lacks: list[str] = []
    text_has: list[str] = []
    attachments: list[ExpectedFile] = []
    auto_submitted: bool = False
    dsn: ExpectedDsn | None = None
    token: str | None = None


@cache
def expectations() -> dict[str, Expected]:
    return msgspec.convert(yaml.safe_load((MAIL / "expected.yaml").read_text(encoding="utf-8")), dict[str, Expected])


def parsed(name: str) -> ParsedMail:
    return parse_mail((MAIL / name).read_bytes())


def mail(*headers: str, body: str = "body", content_type: str = "text/plain; charset=utf-8") -> bytes:
    head = [*headers, "From: a@example.com", f"Content-Type: {content_type}"]
    return ("\r\n".join(head) + "\r\n\r\n" + body).encode()


def test_every_sample_has_an_expectation():
    assert {path.name for path in MAIL.glob("*.eml")} == set(expectations())


@pytest.mark.parametrize("name", sorted(expectations()))
def test_sample_reads_as_a_person_reads_it(name: str):
    want, got = expectations()[name], parsed(name)
    assert (got.from_address, got.from_name, list(got.to)) == (want.sender, want.from_name, want.to)
    assert got.subject == want.subject if want.subject is not None else all(s in got.subject for s in want.subject_has)
    assert got.date == want.date
    assert got.message_id == want.message_id if want.message_id else got.message_id.endswith(SYNTHETIC_ID_DOMAIN)
    assert (list(got.in_reply_to), list(got.references)) == (want.in_reply_to, want.references)
    if want.new_text is not None:
        assert got.new_text == want.new_text
    assert [s for s in want.new_text_has if s not in got.new_text] == []
    assert [s for s in want.new_text_lacks if s in got.new_text] == []
    assert [s for s in want.text_has if s not in got.text] == []
    files = [
        ExpectedFile(a.filename, a.content_type, a.size, hashlib.sha256(a.data).hexdigest(), a.content_id)
        for a in got.attachments
    ]
    assert files == want.attachments
    assert got.auto_submitted is want.auto_submitted
    assert got.conversation_token == want.token
    dsn = got.dsn and ExpectedDsn(
        got.dsn.original_message_id, list(got.dsn.recipients), got.dsn.action, got.dsn.status, got.dsn.diagnostic
    )
    assert dsn == want.dsn
    assert "\ufffd" not in got.text + got.from_name  # every body and name in the corpus is decodable
    msgspec.json.encode(got)  # no lone surrogates: the edge can log and publish what it reads


def test_a_missing_message_id_is_the_same_for_the_same_bytes_and_differs_otherwise():
    raw = (MAIL / "no_message_id.eml").read_bytes()
    assert parse_mail(raw).message_id == parse_mail(raw).message_id
    assert parse_mail(raw).message_id != parse_mail(raw + b"\nP.S. one more line\n").message_id


def test_the_quoted_history_stays_in_text_while_new_text_drops_it():
    got = parsed("gmail_reply_zh.eml")
    assert got.new_text in got.text and len(got.text) > len(got.new_text)


@pytest.mark.parametrize(
    ("subject", "token"),
    [
        ("Re: [#RD-1042] 提现失败", "RD-1042"),
        ("回复：[#rd-ab12cd] 银行卡", "RD-AB12CD"),
        ("=?utf-8?B?5Zue5aSN77yaWyNSRC0wMEZGXSDmj5DnjrA=?=", "RD-00FF"),
        ("RD-1042 without brackets", None),
        ("[#RD-123] too short", None),
        ("[#RD-1234567890123] too long", None),
        ("[#RD-１０４２] full-width digits", None),
        ("[#RD-10 42] a space", None),
    ],
)
def test_conversation_token_comes_from_the_subject(subject: str, token: str | None):
    assert parse_mail(mail(f"Subject: {subject}")).conversation_token == token


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mon, 3 Jun 2024 10:00:00 +0800", datetime(2024, 6, 3, 2, 0, tzinfo=UTC)),
        ("Mon, 3 Jun 2024 10:00:00 -0000", datetime(2024, 6, 3, 10, 0, tzinfo=UTC)),
        ("3 Jun 2024 10:00 GMT", datetime(2024, 6, 3, 10, 0, tzinfo=UTC)),
        ("yesterday at noon", None),
        ("Mon, 3 Jun 99999 10:00:00 +0800", None),
    ],
)
def test_dates_are_aware_or_none(value: str, expected: datetime | None):
    got = parse_mail(mail(f"Date: {value}")).date
    assert got == expected and (got is None or got.tzinfo is not None)


def test_dates_keep_the_senders_offset():
    got = parse_mail(mail("Date: Mon, 3 Jun 2024 10:00:00 +0800")).date
    assert got.utcoffset() == timedelta(hours=8) and got.tzinfo == timezone(timedelta(hours=8))


def test_thread_ids_come_from_every_field_occurrence_and_fold():
    raw = mail("In-Reply-To: <a@x> (comment)", "References: <root@x>\r\n\t<a@x>\r\n <b@x> junk", "Message-ID: plain@x")
    got = parse_mail(raw)
    assert (got.in_reply_to, got.references, got.message_id) == (("a@x",), ("root@x", "a@x", "b@x"), "plain@x")


def test_recipients_and_encoded_display_names():
    raw = mail(
        'To: "=?gb2312?B?zfWGtA==?=" <Wang.Zhe@Example.COM>, undisclosed-recipients:;, b@example.com', "Subject: x"
    )
    raw = raw.replace(b"From: a@example.com", b"From: =?GBK?B?1uzpRg==?= <ZhuRong@Example.com>")
    got = parse_mail(raw)
    assert got.to == ("wang.zhe@example.com", "b@example.com")
    assert (got.from_address, got.from_name) == ("zhurong@example.com", "朱镕")


def test_a_message_attached_as_a_file_keeps_its_bytes():
    inner = (
        "Subject: =?utf-8?B?5o+Q546w?=\r\nMessage-ID: <inner@bank.example>\r\nReferences: <a@x>\r\n <b@x>\r\n"
        f"X-Long: {'word ' * 30}\r\n\r\nforwarded body\r\n"
    )
    body = (
        f"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n"
        f"{inner}--b--\r\n"
    )
    got = parse_mail(mail(body=body, content_type="multipart/mixed; boundary=b"))
    [attached] = got.attachments
    assert (attached.filename, attached.content_type, got.text) == ("提现.eml", "message/rfc822", "see attached")
    assert attached.data == inner.encode().removesuffix(b"\r\n")  # that line end belongs to the boundary


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ('attachment; filename="../../etc/passwd"', "passwd"),
        ('attachment; filename="C:\\\\Users\\\\me\\\\statement.pdf"', "statement.pdf"),
        ("attachment; filename*=utf-8''%E5%AF%B9%E8%B4%A6%0A%0D.pdf", "对账.pdf"),
        ("attachment; filename*=gb2312''%E9%46.pdf", "镕.pdf"),
    ],
)
def test_attachment_names_are_decoded_and_made_safe(disposition: str, expected: str):
    body = f"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: {disposition}\r\n\r\n%PDF-1.4\r\n--b--\r\n"
    [attached] = parse_mail(mail(body=body, content_type="multipart/mixed; boundary=b")).attachments
    assert attached.filename == expected


def test_html_is_read_when_the_plain_alternative_is_empty_and_signatures_are_no_files():
    body = (
        "--a\r\nContent-Type: text/plain\r\n\r\n \r\n--a\r\nContent-Type: text/html\r\n\r\n"
        "<p>only &lt;here&gt;</p>\r\n--a--\r\n"
    )
    signed = (
        f"--s\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n{body}--s\r\n"
        "Content-Type: application/pgp-signature; name=signature.asc\r\n\r\n-----BEGIN PGP SIGNATURE-----\r\n"
        "--s--\r\n"
    )
    got = parse_mail(mail(body=signed, content_type="multipart/signed; protocol=application/pgp-signature; boundary=s"))
    assert (got.text, got.attachments) == ("only <here>", ())


def test_html_quotes_are_stripped_like_plain_ones():
    html = (
        '<div dir="ltr">New answer</div><div class="gmail_quote"><div class="gmail_attr">On Mon, 3 Jun 2024 at '
        '10:00, S &lt;s@x.example&gt; wrote:<br></div><blockquote class="gmail_quote"><p>Old question</p>'
        "</blockquote></div>"
    )
    got = parse_mail(mail(body=html, content_type="text/html; charset=utf-8"))
    assert (got.new_text, "> Old question" in got.text) == ("New answer", True)
