"""SLA targets per priority: due times, breaches, and overrides from configuration."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.sla import (
    DEFAULT_TARGETS,
    PRIORITIES,
    Breach,
    SlaConfigError,
    breach,
    first_response_due,
    load_sla_targets,
    parse_duration,
    resolution_due,
)

pytestmark = pytest.mark.unit

T0 = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
FIRST_RESPONSE = {
    "urgent": timedelta(minutes=2),
    "high": timedelta(minutes=5),
    "normal": timedelta(minutes=30),
    "low": timedelta(hours=4),
}
RESOLUTION = {
    "urgent": timedelta(hours=4),
    "high": timedelta(hours=8),
    "normal": timedelta(hours=24),
    "low": timedelta(hours=72),
}


@pytest.mark.parametrize("priority", PRIORITIES)
def test_default_due_times_per_priority(priority):
    assert first_response_due(priority, T0) == T0 + FIRST_RESPONSE[priority]
    assert resolution_due(priority, T0) == T0 + RESOLUTION[priority]
    assert FIRST_RESPONSE[priority] < RESOLUTION[priority]


def test_unknown_priority_is_held_to_the_normal_targets():
    assert first_response_due("whenever", T0) == T0 + FIRST_RESPONSE["normal"]
    assert resolution_due("", T0) == T0 + RESOLUTION["normal"]


@pytest.mark.parametrize("priority", PRIORITIES)
def test_first_response_on_time_or_exactly_at_the_due_time_is_no_breach(priority):
    due = T0 + FIRST_RESPONSE[priority]
    assert breach("first_response", priority, T0, due - timedelta(seconds=1), due + timedelta(days=9)) is None
    assert breach("first_response", priority, T0, due, due + timedelta(days=9)) is None


@pytest.mark.parametrize("priority", PRIORITIES)
def test_late_first_response_is_a_closed_breach(priority):
    due = T0 + FIRST_RESPONSE[priority]
    late = breach("first_response", priority, T0, due + timedelta(seconds=90), due + timedelta(days=1))
    assert late == Breach("first_response", priority, due, timedelta(seconds=90), still_open=False)


@pytest.mark.parametrize("priority", PRIORITIES)
def test_unanswered_past_due_is_an_open_breach_and_before_due_is_none(priority):
    due = T0 + FIRST_RESPONSE[priority]
    assert breach("first_response", priority, T0, None, due) is None
    waiting = breach("first_response", priority, T0, None, due + timedelta(minutes=1))
    assert waiting == Breach("first_response", priority, due, timedelta(minutes=1), still_open=True)


@pytest.mark.parametrize("priority", PRIORITIES)
def test_resolution_breach_uses_the_resolution_target(priority):
    due = T0 + RESOLUTION[priority]
    assert breach("resolution", priority, T0, None, due - timedelta(seconds=1)) is None
    assert breach("resolution", priority, T0, due + timedelta(hours=1), due + timedelta(hours=2)).late_by == timedelta(
        hours=1
    )


def test_overrides_merge_over_the_defaults():
    targets = load_sla_targets({"first_response": {"urgent": "90s", "low": 7200}, "resolution": {"high": "1.5d"}})
    assert targets.target("first_response", "urgent") == timedelta(seconds=90)
    assert targets.target("first_response", "low") == timedelta(hours=2)
    assert targets.target("first_response", "high") == FIRST_RESPONSE["high"]
    assert targets.target("resolution", "high") == timedelta(hours=36)
    assert breach("first_response", "urgent", T0, None, T0 + timedelta(seconds=100), targets) is not None
    assert DEFAULT_TARGETS.target("first_response", "urgent") == FIRST_RESPONSE["urgent"]  # defaults untouched


def test_empty_configuration_keeps_the_defaults():
    assert load_sla_targets(None) == DEFAULT_TARGETS
    assert load_sla_targets({}) == DEFAULT_TARGETS


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30s", 30), ("2m", 120), (" 4h ", 14400), ("1d", 86400), ("45", 45), (12.5, 12.5), (3, 3)],
)
def test_durations_parse_from_seconds_or_units(text, expected):
    assert parse_duration(text) == timedelta(seconds=expected)


@pytest.mark.parametrize(
    "raw",
    [
        {"first_reply": {"urgent": 60}},
        {"first_response": {"critical": 60}},
        {"first_response": ["urgent", 60]},
        {"first_response": {"urgent": "soon"}},
        {"first_response": {"urgent": "2w"}},
        {"first_response": {"urgent": 0}},
        {"first_response": {"urgent": -5}},
        {"first_response": {"urgent": True}},
        {"first_response": {"urgent": None}},
    ],
    ids=[
        "unknown-kind",
        "unknown-priority",
        "not-a-mapping",
        "not-a-duration",
        "unknown-unit",
        "zero",
        "negative",
        "bool",
        "null",
    ],
)
def test_bad_overrides_are_refused_with_a_clear_error(raw):
    with pytest.raises(SlaConfigError):
        load_sla_targets(raw)
