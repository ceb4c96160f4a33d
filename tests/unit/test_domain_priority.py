"""Priorities: one order, and a conversation's priority only rises (SQL: tests/integration/test_priority_sql.py)."""

import pytest

from domain.priority import PRIORITIES, more_urgent, rank

pytestmark = pytest.mark.unit


def test_priority_only_rises():
    assert more_urgent("normal", "urgent") == "urgent"
    assert more_urgent("urgent", "low") == "urgent"
    assert more_urgent("low", "high") == "high"
    assert more_urgent("normal", "normal") == "normal"


def test_the_queue_drains_most_pressing_first_and_unknown_priorities_last():
    assert sorted(["low", "mystery", "urgent", "normal", "high"], key=rank) == [*PRIORITIES, "mystery"]
