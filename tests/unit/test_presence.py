"""Presence rules, stream counting on a replica, SLA warning leads and a socket's duplicate filter."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.policy import Policy, arrival_sets_online, presence_change, warning_lead
from services.agent_api.stream.presence import StreamCounts

pytestmark = pytest.mark.unit

T0 = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("before", "connected", "change"),
    [
        ("absent", True, "arrived"),  # first stream anywhere: a new session
        ("lingering", True, "returned"),  # back within the grace: nobody notices
        ("connected", False, "left"),  # last stream gone: the grace starts
        ("connected", True, None),  # another tab, another replica
        ("absent", False, None),
        ("lingering", False, None),  # still gone: the sweeper decides when the grace is over
    ],
)
def test_what_a_change_in_streams_means(before, connected, change):
    assert presence_change(before, connected) == change


def test_a_status_chosen_after_the_stream_opened_outranks_the_new_session():
    assert arrival_sets_online(None, T0)
    assert arrival_sets_online(T0 - timedelta(hours=8), T0)  # yesterday's "away" does not stick
    assert not arrival_sets_online(T0 + timedelta(seconds=1), T0)  # "away" set while the stream opened


def test_streams_are_counted_per_agent_and_only_the_first_and_last_matter():
    counts = StreamCounts()
    assert counts.opened("a", T0) is True
    assert counts.opened("a", T0 + timedelta(minutes=5)) is False
    assert counts.opened("b", T0 + timedelta(minutes=1)) is True
    assert counts.streams() == {"a": T0, "b": T0 + timedelta(minutes=1)}  # since the first one
    assert counts.closed("a") is False
    assert counts.streams() == {"a": T0, "b": T0 + timedelta(minutes=1)}
    assert counts.closed("a") is True
    assert counts.streams() == {"b": T0 + timedelta(minutes=1)}
    assert counts.opened("a", T0 + timedelta(minutes=9)) is True
    assert counts.streams()["a"] == T0 + timedelta(minutes=9)


@pytest.mark.parametrize(
    ("ratio", "lead"), [(0.8, timedelta(minutes=6)), (0.5, timedelta(minutes=15)), (1, timedelta())]
)
def test_the_warning_goes_out_when_the_share_of_the_target_has_passed(ratio, lead):
    assert warning_lead(timedelta(minutes=30), Policy(sla_warning_ratio=ratio)) == lead
