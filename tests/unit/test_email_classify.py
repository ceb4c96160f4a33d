"""Machine-written mail (auto-replies, bounces, bulk) is recognised; a customer's own mail is not."""

from email import policy
from email.parser import BytesParser

import pytest

from services.email_adapter.classify_mail import is_auto_generated
from services.email_adapter.parse import parse_mail

pytestmark = pytest.mark.unit


def message(*headers: str, content_type: str = "text/plain; charset=utf-8", body: str = "hello"):
    raw = "\r\n".join([*headers, f"Content-Type: {content_type}"]) + "\r\n\r\n" + body
    return BytesParser(policy=policy.default).parsebytes(raw.encode())


CUSTOMER = ("From: Zhang Wei <zhang.wei@163.com>", "Subject: 提现失败")


@pytest.mark.parametrize(
    "headers",
    [
        ("Auto-Submitted: auto-replied",),
        ("Auto-Submitted: auto-generated; owner-email=it@corp.example",),
        ("Auto-Submitted: auto-notified",),
        ("Precedence: bulk",),
        ("Precedence: junk",),
        ("Precedence: list",),
        ("Precedence: auto_reply",),
        ("X-Autoreply: yes",),
        ("X-Autorespond: vacation",),
        ("X-Auto-Response-Suppress: OOF",),
        ("X-Auto-Response-Suppress: DR, RN, NRN, OOF, AutoReply",),
        ("X-Auto-Response-Suppress: All",),
        ("Return-Path: <>",),
        ("Return-Path: < >",),
        ("X-Failed-Recipients: someone@163.com",),
    ],
)
def test_machine_headers_mark_a_mail_auto_generated(headers: tuple[str, ...]):
    assert is_auto_generated(message(*CUSTOMER, *headers))


@pytest.mark.parametrize(
    "sender",
    [
        "MAILER-DAEMON@mx.163.com",
        "Mail Delivery System <mailer-daemon@qq.com>",
        "postmaster@outlook.com",
        "MAILER-DAEMON",
    ],
)
def test_mail_from_the_mail_system_is_auto_generated(sender: str):
    assert is_auto_generated(message(f"From: {sender}", "Subject: hello"))


@pytest.mark.parametrize(
    "subject",
    [
        "Automatic reply: [#RD-1042] 提现失败",
        "Auto-Reply: your message",
        "AutoReply: hi",
        "Out of Office: Re: refund",
        "Out of office",
        "Out of Office AutoReply: hi",
        "自动回复: 提现失败",
        "自动回复：提现失败",
        "Undeliverable: refund",
        "Delivery Status Notification (Failure)",
        "Undelivered Mail Returned to Sender",
        "Mail delivery failed: returning message to sender",
        "系统退信",
        "退信：您发送的邮件被退回",
        "=?utf-8?B?6Ieq5Yqo5Zue5aSN77ya5o+Q546w5aSx6LSl?=",
    ],
)
def test_auto_reply_and_bounce_subjects_mark_a_mail_auto_generated(subject: str):
    assert is_auto_generated(message("From: someone@corp.example", f"Subject: {subject}"))


@pytest.mark.parametrize(
    "headers",
    [
        (),
        ("Auto-Submitted: no",),
        ("Precedence: first-class",),
        ("Return-Path: <zhang.wei@163.com>",),
        ("X-Auto-Response-Suppress: DR, RN",),
    ],
)
@pytest.mark.parametrize(
    "subject",
    [
        "提现失败",
        "Re: Automatic reply settings in your app",
        "Auto-reply not working in the app",
        "退信了怎么办",
        "My out of office money transfer",
        "Fwd: Undeliverable: I got this when writing to my bank",
    ],
)
def test_a_customers_mail_is_not_auto_generated(headers: tuple[str, ...], subject: str):
    assert not is_auto_generated(message("From: Zhang Wei <zhang.wei@163.com>", f"Subject: {subject}", *headers))


def test_a_read_receipt_is_a_machine_report_but_not_a_bounce():
    body = (
        "--r\r\nContent-Type: text/plain\r\n\r\nYour message was read.\r\n--r\r\n"
        "Content-Type: message/disposition-notification\r\n\r\nFinal-Recipient: rfc822; a@b.example\r\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\r\n\r\n--r--\r\n"
    )
    raw = (
        "From: a@b.example\r\nSubject: Read: refund\r\nContent-Type: multipart/report; "
        f"report-type=disposition-notification; boundary=r\r\n\r\n{body}"
    ).encode()
    got = parse_mail(raw)
    assert (got.auto_submitted, got.dsn, got.text) == (True, None, "Your message was read.")


def test_a_global_dsn_with_utf8_fields_and_no_original_message():
    status = (
        "Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; slow@example.com\r\nAction: delayed\r\n"
        "Status: 4.4.7\r\n\r\nFinal-Recipient: utf-8; 用户@例子.中国\r\nAction: FAILED\r\n"
        "Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 找不到该用户\r\n"
    )
    raw = (
        "From: MAILER-DAEMON@mx.example\r\nSubject: failure\r\nContent-Type: multipart/report; "
        "report-type=delivery-status; boundary=r\r\n\r\n--r\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--r\r\n"
        f"Content-Type: message/global-delivery-status\r\n\r\n{status}--r--\r\n"
    ).encode()
    dsn = parse_mail(raw).dsn
    assert dsn is not None
    assert (dsn.original_message_id, dsn.recipients, dsn.action, dsn.status, dsn.diagnostic) == (
        None,
        ("slow@example.com", "用户@例子.中国"),
        "failed",
        "5.1.1",
        "550 找不到该用户",
    )


def test_an_empty_envelope_sender_marks_a_plain_mail_as_auto_generated():
    from services.email_adapter.parse import parse_mail

    raw = b"From: someone@example.cn\r\nTo: support@wallet.example\r\nSubject: hello\r\nMessage-ID: <x@y>\r\n\r\nhi\r\n"
    assert parse_mail(raw, return_path="").auto_submitted
    assert not parse_mail(raw, return_path="someone@example.cn").auto_submitted
    assert not parse_mail(raw).auto_submitted
