"""The assignment policy: who takes a conversation, and how the queue drains into capacity."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from domain.assignment import AgentSlot, Ticket, choose_agent, free_capacity, plan_assignments

pytestmark = pytest.mark.unit

T0 = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def ticket(conversation_id: str, priority: str = "normal", minute: int = 0, exclude: str | None = None) -> Ticket:
    return Ticket(conversation_id, priority, T0 + timedelta(minutes=minute), exclude)


def chosen_id(agents: list[AgentSlot], exclude: str | None = None) -> str | None:
    chosen = choose_agent(ticket("conv", exclude=exclude), agents)
    return chosen and chosen.agent_id


@pytest.mark.parametrize(
    ("agents", "expected"),
    [
        ([AgentSlot("busy", 4, 2), AgentSlot("roomy", 10, 3)], "roomy"),  # 0.5 vs 0.3: relative load wins
        ([AgentSlot("big", 4, 2), AgentSlot("small", 2, 1)], "small"),  # both 0.5: fewer open chats wins
        ([AgentSlot("bob", 3, 1), AgentSlot("alice", 3, 1)], "alice"),  # identical: lowest id wins
        ([AgentSlot("idle", 5, 0), AgentSlot("other", 1, 0)], "idle"),  # both 0.0 and 0 chats: id decides
        ([AgentSlot("full", 2, 2), AgentSlot("nearly", 3, 2)], "nearly"),
        ([AgentSlot("zero", 0, 0), AgentSlot("some", 5, 4)], "some"),  # zero capacity is never chosen
        ([AgentSlot("over", 2, 5), AgentSlot("some", 5, 4)], "some"),  # over capacity is never chosen
    ],
)
def test_choose_agent_picks_least_relative_load_with_ties_by_load_then_id(agents, expected):
    assert chosen_id(agents) == expected


def test_choose_agent_skips_the_excluded_agent_even_if_least_loaded():
    assert chosen_id([AgentSlot("previous", 5, 0), AgentSlot("next", 5, 4)], exclude="previous") == "next"


@pytest.mark.parametrize(
    ("agents", "exclude"),
    [
        ([], None),
        ([AgentSlot("full", 2, 2), AgentSlot("zero", 0, 0)], None),
        ([AgentSlot("only", 3, 0)], "only"),
        ([AgentSlot("only", 3, 0), AgentSlot("full", 1, 1)], "only"),
    ],
    ids=["nobody", "all-full", "only-agent-excluded", "excluded-and-full"],
)
def test_choose_agent_returns_none_when_nobody_is_free(agents, exclude):
    assert chosen_id(agents, exclude) is None


def test_plan_never_assigns_beyond_capacity():
    plan = plan_assignments([ticket(f"c{i}", minute=i) for i in range(5)], [AgentSlot("a", 3, 1)])
    assert plan == [("c0", "a"), ("c1", "a")]


def test_plan_serves_urgent_then_high_then_normal_then_low():
    tickets = [
        ticket("low", "low", 0),
        ticket("normal", "normal", 1),
        ticket("urgent", "urgent", 2),
        ticket("high", "high", 3),
    ]
    plan = plan_assignments(tickets, [AgentSlot("a", 3, 0)])
    assert [conversation for conversation, _ in plan] == ["urgent", "high", "normal"]


def test_plan_is_first_come_first_served_within_a_priority():
    tickets = [ticket("late", minute=9), ticket("early", minute=1), ticket("middle", minute=5)]
    plan = plan_assignments(tickets, [AgentSlot("a", 2, 0)])
    assert [conversation for conversation, _ in plan] == ["early", "middle"]


def test_plan_spreads_load_across_equal_agents():
    agents = [AgentSlot("a", 5, 0), AgentSlot("b", 5, 0), AgentSlot("c", 5, 0)]
    plan = plan_assignments([ticket(f"c{i}", minute=i) for i in range(6)], agents)
    assert Counter(agent for _, agent in plan) == {"a": 2, "b": 2, "c": 2}


def test_plan_fills_in_proportion_to_capacity():
    agents = [AgentSlot("senior", 6, 0), AgentSlot("junior", 2, 0)]
    plan = plan_assignments([ticket(f"c{i}", minute=i) for i in range(4)], agents)
    assert Counter(agent for _, agent in plan) == {"senior": 3, "junior": 1}


def test_plan_honours_each_tickets_excluded_agent():
    tickets = [ticket("moved", minute=0, exclude="a"), ticket("fresh", minute=1)]
    plan = plan_assignments(tickets, [AgentSlot("a", 5, 0), AgentSlot("b", 5, 3)])
    assert plan == [("moved", "b"), ("fresh", "a")]


def test_plan_with_no_agents_or_no_tickets_is_empty():
    assert plan_assignments([ticket("c1")], []) == []
    assert plan_assignments([], [AgentSlot("a", 5, 0)]) == []


@pytest.mark.parametrize(
    ("agents", "expected"),
    [
        ([], 0),
        ([AgentSlot("a", 3, 1), AgentSlot("b", 2, 0)], 4),
        ([AgentSlot("full", 2, 2), AgentSlot("zero", 0, 0)], 0),
        ([AgentSlot("over", 2, 5), AgentSlot("b", 3, 0)], 3),  # over capacity counts as 0, not -3
    ],
    ids=["nobody", "sums-free-slots", "full-and-zero", "over-capacity-not-negative"],
)
def test_free_capacity(agents, expected):
    assert free_capacity(agents) == expected
