"""SMS core: provider signatures (checked with Twilio's own validator), normalizing, keywords."""

import time
from datetime import UTC, datetime

import pytest
from twilio.request_validator import RequestValidator

from contracts import MessageKind
from services.sms_adapter.consent import Consent, consent_keyword
from services.sms_adapter.normalize import confirmation, normalize
from services.sms_adapter.providers import Generic, InboundSms, SendFailed, Twilio, WebhookRefused
from tests.sms_provider import generic_webhook, twilio_webhook

pytestmark = pytest.mark.unit

TWILIO = Twilio("AC123", "12345", "https://api.twilio.com")
URL = "https://support.example.com/sms/inbound?tenant=wallet"
PARAMS = {
    "MessageSid": "SM1",
    "From": "+8613800138000",
    "To": "+8610690000",
    "Body": "我的转账没到账",
    "NumSegments": "1",
}
AT = datetime(2026, 11, 24, tzinfo=UTC)


def test_twilios_published_example_signature():
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    assert TWILIO.signature(url, list(params.items())) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_a_webhook_signed_by_twilios_validator_is_accepted_and_read():
    body, headers = twilio_webhook(URL, PARAMS, token="12345")
    params = TWILIO.verify(URL, headers, body, time.time())
    sms = TWILIO.inbound(params)
    assert (sms.provider_id, sms.sender, sms.recipient, sms.text) == (
        "SM1",
        "+8613800138000",
        "+8610690000",
        "我的转账没到账",
    )
    assert RequestValidator("12345").validate(URL, PARAMS, headers["X-Twilio-Signature"])


@pytest.mark.parametrize("tamper", ["url", "parameter", "signature", "token"])
def test_tampered_twilio_webhooks_are_forbidden(tamper):
    body, headers = twilio_webhook(URL, PARAMS, token="other-token" if tamper == "token" else "12345")
    url = URL.replace("wallet", "attacker") if tamper == "url" else URL
    if tamper == "parameter":
        body = body.replace(b"SM1", b"SM2")
    if tamper == "signature":
        headers["X-Twilio-Signature"] = headers["X-Twilio-Signature"][:-4] + "AAA="
    with pytest.raises(WebhookRefused) as refused:
        TWILIO.verify(url, headers, body, time.time())
    assert refused.value.status == 403


def test_generic_webhooks_need_the_right_hmac_and_a_fresh_timestamp():
    provider = Generic("generic-provider-secret-1234", "")
    body, headers = generic_webhook({"id": "g1", "from": "13800138000", "text": "hi"})
    assert provider.inbound(provider.verify("", headers, body, time.time())).provider_id == "g1"
    for bad in (
        generic_webhook({"id": "g1", "from": "13800138000", "text": "hi"}, secret="wrong-secret-wrong-secret"),
        generic_webhook({"id": "g1", "from": "13800138000", "text": "hi"}, timestamp=time.time() - 301),
        generic_webhook({"id": "g1", "from": "13800138000", "text": "hi"}, timestamp=time.time() + 301),
        (body + b" ", headers),
    ):
        with pytest.raises(WebhookRefused) as refused:
            provider.verify("", bad[1], bad[0], time.time())
        assert refused.value.status == 403


def test_generic_payloads_are_validated():
    provider = Generic("s" * 20, "")
    with pytest.raises(WebhookRefused):
        provider.inbound({"text": "no id or sender"})
    sms = provider.inbound(
        {"id": "g2", "from": "+8613800138000", "text": "第一段", "part": {"ref": "r1", "index": 1, "total": 2}}
    )
    assert (sms.part.ref, sms.part.total) == ("r1", 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("STOP", Consent.OPT_OUT),
        ("stop.", Consent.OPT_OUT),
        (" Unsubscribe ", Consent.OPT_OUT),
        ("退订", Consent.OPT_OUT),
        ("TD", Consent.OPT_OUT),
        ("ｔｄ", Consent.OPT_OUT),
        ("START", Consent.OPT_IN),
        ("订阅", Consent.OPT_IN),
        ("HELP", Consent.HELP),
        ("please stop sending", None),
        ("我要退订会员吗？怎么操作", None),
        ("", None),
    ],
)
def test_consent_keywords_in_english_and_chinese(text, expected):
    assert consent_keyword(text) == expected


def test_a_keyword_becomes_a_consent_event_with_one_confirmation_and_a_message_does_not():
    sms = InboundSms("SM9", "+8613800138000", "+8610690000", "退订")
    stop = normalize(sms, "+8613800138000", "退订", "SM9", AT)
    assert (stop.kind, stop.details["event"]) == (MessageKind.EVENT, "opt_out")
    reply = confirmation(stop)
    assert reply.purpose == "consent" and "退订" in reply.text and reply.customer_address == "+8613800138000"
    assert confirmation(normalize(sms, "+8613800138000", "退订", "SM9", AT)).message_id == reply.message_id
    question = normalize(sms, "+8613800138000", "怎么退订会员", "SM10", AT)
    assert question.kind == MessageKind.TEXT and confirmation(question) is None


def test_provider_answers_to_a_send():
    assert Twilio.sent(201, b'{"sid": "SM1", "status": "queued"}') == "SM1"
    with pytest.raises(SendFailed) as permanent:
        Twilio.sent(400, b'{"code": 21211, "message": "invalid To"}')
    assert permanent.value.permanent and "21211" in permanent.value.reason
    for status in (429, 500, 503):
        with pytest.raises(SendFailed) as transient:
            Twilio.sent(status, b"busy")
        assert not transient.value.permanent
    assert Generic.sent(200, b'{"id": "g1"}') == "g1"
    with pytest.raises(SendFailed) as refused:
        Generic.sent(422, b'{"error": "blacklisted", "code": "E42"}')
    assert refused.value.permanent and "blacklisted" in refused.value.reason
