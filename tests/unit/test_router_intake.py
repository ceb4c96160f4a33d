"""The intake decision: FAQ answers, closed-hours notices and who waits for a person."""

import pytest

from services.router.domain.intake import Intake, decide, menu_intent, words_of

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("status", "self_service", "wants_person", "open_now", "notice_sent", "expected"),
    [
        # A new self-service question in business hours: the FAQ answers, nobody else is needed.
        (None, True, False, True, False, Intake(answer_from_faq=True, needs_person=False)),
        # The same outside business hours: the FAQ answers, the notice goes out, people get it later.
        (None, True, False, False, False, Intake(answer_from_faq=True, closed_notice=True, needs_person=True)),
        # Money lost, angry or asking for a human: the FAQ answer is not the end of it.
        (None, True, True, True, False, Intake(answer_from_faq=True, needs_person=True)),
        # Not self-service: a person, and the notice when closed.
        (None, False, False, True, False, Intake(needs_person=True)),
        (None, False, False, False, False, Intake(closed_notice=True, needs_person=True)),
        # A follow-up to a bot answer goes to a person; the FAQ does not answer twice.
        ("bot", True, False, True, False, Intake(needs_person=True)),
        ("bot", False, False, False, False, Intake(closed_notice=True, needs_person=True)),
        # Already waiting: one notice per conversation, never a second.
        ("queued", True, False, False, True, Intake(needs_person=True)),
        ("queued", False, False, False, False, Intake(closed_notice=True, needs_person=True)),
        # With an agent: straight to them, whatever the hour.
        ("assigned", True, False, False, False, Intake(needs_person=True)),
    ],
)
def test_decide(status, self_service, wants_person, open_now, notice_sent, expected):
    assert decide(status, self_service, wants_person, open_now, notice_sent) == expected


def test_only_the_customers_own_words_are_triaged():
    assert words_of("text", "怎么绑卡") == "怎么绑卡"
    assert words_of("voice", "我要退款") == "我要退款"  # WeChat's transcript
    assert words_of("location", "上海市 (31.2, 121.4)") == ""
    assert words_of("unsupported", "[miniprogrampage]") == ""


def test_menu_intents():
    assert menu_intent({"intent": "human"}) == (True, None)
    assert menu_intent({"intent": "faq:card-bind"}) == (False, "card-bind")
    assert menu_intent({"event": "click"}) == (False, None)


def test_a_preview_is_never_cut_inside_a_number():
    from services.router.handlers.dispatch import PREVIEW_CHARS, preview
    from shared.pii import mask

    card = "4111 1111 1111 1111"
    text = "我的卡" + "很" * (PREVIEW_CHARS - 10) + card  # the cut would fall inside the card number
    shown = preview(text)
    assert len(shown) <= PREVIEW_CHARS + 1 and shown.endswith("…") and "4111" not in shown
    assert "1111" not in mask(shown)
    assert preview("短消息 4111 1111 1111 1111") == "短消息 4111 1111 1111 1111"  # whole: masked downstream
