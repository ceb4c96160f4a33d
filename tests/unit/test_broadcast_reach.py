"""What a broadcast does for one recipient: skip reasons, quiet hours, the message per channel."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec
import pytest

from contracts import OutboundMessage, WeChatTemplateMessage
from contracts.broadcasts import Audience, Content, EmailContent, SmsContent, WeChatContent
from services.agent_api.http.broadcast_routes import estimate
from services.notifier import reach
from services.notifier.reach import QuietHours, Recipient

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai
EVERYTHING = Content(
    wechat=WeChatContent(text="新功能上线", template_id="TPL1", template_data={"first": "您好"}),
    email=EmailContent(subject="Fee change", text="Fees change on 1 Dec.", html="<p>Fees</p>"),
    sms=SmsContent(text="【钱包】手续费调整，回T退订"),
)


def person(channel: str, **fields) -> Recipient:
    return Recipient(key=f"{channel}:x", channel=channel, address="x", **fields)


@pytest.mark.parametrize(
    ("recipient", "content", "reason"),
    [
        (person("webchat"), EVERYTHING, "no_push_channel"),
        (person("sms"), Content(email=EVERYTHING.email), "no_content_for_channel"),
        (person("sms", reachable=False), EVERYTHING, "opted_out"),
        (person("email", reachable=False), EVERYTHING, "opted_out"),
        (
            person("wechat", last_inbound_at=NOW - timedelta(hours=49)),
            Content(wechat=WeChatContent(text="hi")),
            "window_closed",
        ),
        (person("wechat", last_inbound_at=NOW - timedelta(hours=47)), Content(wechat=WeChatContent(text="hi")), None),
        (person("wechat"), EVERYTHING, None),
        (person("sms"), EVERYTHING, None),
    ],
)
def test_who_is_skipped_and_why(recipient, content, reason):
    assert reach.skip_reason(recipient, content, NOW) == reason


@pytest.mark.parametrize(
    ("utc", "zone", "until"),
    [
        ("2026-11-24T06:00", "Asia/Shanghai", None),  # 14:00 there
        ("2026-11-24T13:30", "Asia/Shanghai", "2026-11-25T08:00"),  # 21:30 there: next morning
        ("2026-11-24T23:00", "Asia/Shanghai", "2026-11-25T08:00"),  # 07:00 there: this morning
        ("2026-11-24T00:00", "Asia/Shanghai", None),  # 08:00 there: quiet hours over
        ("2026-11-24T13:30", "Europe/London", None),  # 13:30 in London
        ("2026-11-24T13:30", "", "2026-11-25T08:00"),  # no zone: the default's
        ("2026-11-24T13:30", "Not/AZone", "2026-11-25T08:00"),  # a bad zone: the default's
    ],
)
def test_sms_waits_out_quiet_hours_in_the_customers_own_zone(utc, zone, until):
    now = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    held = reach.held_until(person("sms", timezone=zone), now, QuietHours())
    expected = None if until is None else datetime.fromisoformat(until).replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    assert held == expected


def test_quiet_hours_within_one_day_and_other_channels():
    lunch = QuietHours(start=time(12, 0), end=time(14, 0))
    assert reach.held_until(person("sms"), NOW - timedelta(hours=1), lunch) is not None  # 13:00 there
    assert reach.held_until(person("sms"), NOW, lunch) is None  # 14:00 there
    assert reach.held_until(person("email"), NOW.replace(hour=14), QuietHours()) is None


def test_wechat_uses_the_template_unless_the_window_is_open_and_there_is_text():
    closed = reach.message("b1", person("wechat", account="main"), EVERYTHING, NOW)
    assert isinstance(closed, WeChatTemplateMessage) and (closed.template_id, closed.openid) == ("TPL1", "x")
    recent = person("wechat", account="main", last_inbound_at=NOW - timedelta(hours=1))
    open_window = reach.message("b1", recent, EVERYTHING, NOW)
    assert isinstance(open_window, OutboundMessage) and open_window.text == "新功能上线"
    assert open_window.account == "main" and open_window.purpose == "broadcast"


def test_email_carries_subject_html_and_unsubscribe_link_and_ids_are_stable():
    mail = reach.message("b1", person("email"), EVERYTHING, NOW, "https://n.example/unsubscribe/t")
    assert (mail.subject, mail.html, mail.unsubscribe_url) == (
        "Fee change",
        "<p>Fees</p>",
        "https://n.example/unsubscribe/t",
    )
    sms = reach.message("b1", person("sms"), EVERYTHING, NOW, "https://ignored")
    assert sms.unsubscribe_url == "" and sms.text == EVERYTHING.sms.text
    assert reach.message_id("b1", "k") == reach.message_id("b1", "k") != reach.message_id("b2", "k")


def test_sms_estimate_counts_parts_and_cost():
    long = Content(sms=SmsContent(text="钱" * 71))
    assert estimate(long, 0.05)["sms"] == {"encoding": "ucs2", "segments": 2, "cost_per_message": 0.1}
    assert estimate(long, 0.05, 1000)["sms"]["cost"] == 100.0
    assert estimate(Content(email=EVERYTHING.email), 0.05) == {}


@pytest.mark.parametrize(
    ("audience", "message"),
    [
        ({"kind": "channel"}, "needs 'channels'"),
        ({"kind": "tag"}, "needs 'tags'"),
        ({"kind": "customers"}, "needs 'customer_ids'"),
        ({"kind": "category", "category": "loan"}, "'from' before 'to'"),
        (
            {"kind": "category", "category": "loan", "from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z"},
            "'from' before 'to'",
        ),
        ({"kind": "planet"}, "Invalid enum value"),
    ],
)
def test_audiences_that_name_nobody_are_refused(audience, message):
    with pytest.raises(msgspec.ValidationError, match=message):
        msgspec.convert(audience, Audience)


def test_content_needs_a_channel_and_wechat_needs_something_to_say():
    with pytest.raises(msgspec.ValidationError, match="at least one"):
        msgspec.convert({}, Content)
    with pytest.raises(msgspec.ValidationError, match="text"):
        msgspec.convert({"wechat": {"url": "https://x"}}, Content)


def test_an_empty_quiet_window_never_holds():
    never = QuietHours(start=time(0, 0), end=time(0, 0))
    assert all(reach.held_until(person("sms"), NOW + timedelta(hours=h), never) is None for h in range(24))
