"""Replies composed to thread in the customer's mail client."""

from email import policy
from email.parser import BytesParser

import pytest

from services.email_adapter.compose import (
    MAX_REFERENCES,
    File,
    Thread,
    compose,
    compose_broadcast,
    reply_subject,
    smtp_message_id,
)

pytestmark = pytest.mark.unit
CONVERSATION = "1a2b3c4d-0000-4000-8000-000000000000"


def roundtrip(mail):
    return BytesParser(policy=policy.default).parsebytes(mail.as_bytes())


def test_a_reply_threads_and_survives_the_wire():
    thread = Thread("m2@example.cn", "Re: 提现未到账", ("m1@example.cn",))
    mail = roundtrip(
        compose(
            "钱包客服 <support@wallet.example>",
            "li@example.cn",
            "您好，\n\n已处理。",
            CONVERSATION,
            "42",
            thread,
            (File("回执.pdf", "application/pdf", b"%PDF"),),
        )
    )
    assert mail["Subject"] == "Re: 提现未到账 [#RD-1A2B3C4D]"
    assert (mail["In-Reply-To"], mail["References"]) == ("<m2@example.cn>", "<m1@example.cn> <m2@example.cn>")
    assert mail["Message-ID"] == "<rd-42@wallet.example>" and mail["Reply-To"] == "support@wallet.example"
    assert mail.get_body(("plain",)).get_content().replace("\r\n", "\n").strip() == "您好，\n\n已处理。"
    assert "<p>已处理。</p>" in mail.get_body(("html",)).get_content()
    [attachment] = list(mail.iter_attachments())
    assert (attachment.get_filename(), attachment.get_content()) == ("回执.pdf", b"%PDF")


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("提现未到账", "Re: 提现未到账 [#RD-1A2B3C4D]"),
        ("Re: RE: 回复：提现", "Re: 提现 [#RD-1A2B3C4D]"),
        ("Re: 提现 [#RD-1A2B3C4D]", "Re: 提现 [#RD-1A2B3C4D]"),
        ("", "Re: 您的咨询 / Your request [#RD-1A2B3C4D]"),
    ],
)
def test_subjects_get_one_prefix_and_one_token(subject, expected):
    assert reply_subject(Thread("x@y", subject), CONVERSATION) == expected


def test_the_same_reply_always_has_the_same_message_id_and_long_threads_are_trimmed():
    thread = Thread("last@x", "s", tuple(f"m{n}@x" for n in range(40)))
    first = compose("support@wallet.example", "a@b", "t", CONVERSATION, "7", thread)
    assert smtp_message_id(first) == smtp_message_id(
        compose("support@wallet.example", "a@b", "t", CONVERSATION, "7", thread)
    )
    ids = first["References"].split()
    assert len(ids) == MAX_REFERENCES and ids[0] == "<m0@x>" and ids[-1] == "<last@x>"


def test_a_broadcast_mail_is_bulk_with_one_click_unsubscribe_and_no_thread():
    mail = compose_broadcast(
        "Wallet <support@wallet.example>",
        "li@example.com",
        "手续费调整 / Fee change",
        "Fees change on 1 December.",
        "<p>Fees <b>change</b></p>",
        "m-1",
        "https://n.example/unsubscribe/tok",
    )
    parsed = roundtrip(mail)
    assert (parsed["Subject"], parsed["Precedence"]) == ("手续费调整 / Fee change", "bulk")
    assert parsed["List-Unsubscribe"] == "<https://n.example/unsubscribe/tok>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["In-Reply-To"] is None and parsed["Message-ID"] == "<rd-m-1@wallet.example>"
    assert parsed.get_body(("html",)).get_content() == "<p>Fees <b>change</b></p>\n"
    plain = compose_broadcast("support@wallet.example", "li@example.com", "s", "t", "", "m-2", "")
    assert plain["List-Unsubscribe"] is None and "<p>t</p>" in plain.get_body(("html",)).get_content()
