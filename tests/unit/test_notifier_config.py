"""The notifier's callback settings: defaults, overrides, and errors that name the variable."""

from datetime import timedelta

import pytest

from services.notifier.config import load_callback_config
from shared.config import ConfigError, load_settings

pytestmark = pytest.mark.unit


def test_defaults_follow_up_transactions_loans_and_complaints_a_day_later():
    config = load_callback_config(load_settings({}))
    assert config.rules == {name: timedelta(hours=24) for name in ("transaction", "loan", "complaint")}
    assert config.preapproval_due == timedelta(hours=2)
    assert config.retry_schedule == (timedelta(hours=2), timedelta(days=1))
    assert (config.no_answer_limit, config.overdue_grace) == (3, timedelta(hours=1))
    assert config.hours.timezone == "Asia/Shanghai"


def test_overrides_are_parsed():
    config = load_callback_config(
        load_settings(
            {
                "RELAYDESK_CALLBACK_RULES": '{"complaint": "30m", "security": 90}',
                "RELAYDESK_CALLBACK_PREAPPROVAL_DUE": "4h",
                "RELAYDESK_CALLBACK_RETRY_SCHEDULE": "10m, 1h ,1d",
                "RELAYDESK_CALLBACK_NO_ANSWER_LIMIT": "5",
                "RELAYDESK_CALLBACK_OVERDUE_GRACE": "15m",
            }
        )
    )
    assert config.rules == {"complaint": timedelta(minutes=30), "security": timedelta(seconds=90)}
    assert config.retry_schedule == (timedelta(minutes=10), timedelta(hours=1), timedelta(days=1))
    assert (config.preapproval_due, config.no_answer_limit, config.overdue_grace) == (
        timedelta(hours=4),
        5,
        timedelta(minutes=15),
    )


def test_an_empty_rule_set_turns_follow_ups_off():
    assert load_callback_config(load_settings({"RELAYDESK_CALLBACK_RULES": "{}"})).rules == {}


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RELAYDESK_CALLBACK_RULES", '{"loan": "soon"}'),
        ("RELAYDESK_CALLBACK_RULES", '{"loan": -5}'),
        ("RELAYDESK_CALLBACK_RULES", "loan=24h"),
        ("RELAYDESK_CALLBACK_PREAPPROVAL_DUE", "2 hours"),
        ("RELAYDESK_CALLBACK_RETRY_SCHEDULE", "2h,,1d"),
        ("RELAYDESK_CALLBACK_RETRY_SCHEDULE", ""),
        ("RELAYDESK_CALLBACK_OVERDUE_GRACE", "0"),
        ("RELAYDESK_CALLBACK_NO_ANSWER_LIMIT", "0"),
        ("RELAYDESK_SCHEDULER_INTERVAL", "0"),
        ("RELAYDESK_NOTIFIER_PORT", "70000"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(variable, value):
    with pytest.raises(ConfigError, match=variable):
        load_callback_config(load_settings({variable: value}))
