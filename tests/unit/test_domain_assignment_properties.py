"""Property checks of plan_assignments over a few hundred seeded random agent pools and queues."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from domain.assignment import AgentSlot, Ticket, free_capacity, plan_assignments

pytestmark = pytest.mark.unit

SEEDS = range(400)
PRIORITIES = ["urgent", "high", "normal", "low"]
T0 = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def random_pool(rng: random.Random) -> list[AgentSlot]:
    agents = []
    for number in range(rng.randint(0, 6)):
        capacity = rng.randint(0, 6)
        agents.append(AgentSlot(f"agent-{number}", capacity, rng.randint(0, capacity)))
    return agents


def random_queue(rng: random.Random) -> list[Ticket]:
    return [
        Ticket(f"conv-{number}", rng.choice(PRIORITIES), T0 + timedelta(seconds=rng.randint(0, 50)))
        for number in range(rng.randint(0, 25))
    ]


def queue_position(ticket: Ticket) -> tuple:
    """The documented order: priority, then arrival, then id for a stable tie-break."""
    return PRIORITIES.index(ticket.priority), ticket.queued_at, ticket.conversation_id


def test_random_plan_respects_capacity_and_fills_what_it_can():
    for seed in SEEDS:
        rng = random.Random(seed)
        agents, tickets = random_pool(rng), random_queue(rng)

        plan = plan_assignments(tickets, agents)

        assigned = Counter(agent_id for _, agent_id in plan)
        for agent in agents:
            assert agent.load + assigned[agent.agent_id] <= agent.capacity, f"seed {seed}: {agent} over capacity"
        assert len(plan) == min(len(tickets), free_capacity(agents)), f"seed {seed}: wrong number planned"
        assert len({conversation for conversation, _ in plan}) == len(plan), f"seed {seed}: planned twice"
        assert set(assigned) <= {agent.agent_id for agent in agents}, f"seed {seed}: unknown agent"


def test_random_plan_takes_the_head_of_the_queue_in_order():
    for seed in SEEDS:
        rng = random.Random(seed)
        agents, tickets = random_pool(rng), random_queue(rng)

        plan = plan_assignments(tickets, agents)

        head = [ticket.conversation_id for ticket in sorted(tickets, key=queue_position)[: len(plan)]]
        assert [conversation for conversation, _ in plan] == head, f"seed {seed}"


def test_random_plan_keeps_equal_agents_within_one_of_each_other():
    for seed in SEEDS:
        rng = random.Random(seed)
        capacity = rng.randint(1, 8)
        agents = [AgentSlot(f"agent-{number}", capacity, 0) for number in range(rng.randint(1, 5))]
        tickets = random_queue(rng)

        assigned = Counter(agent_id for _, agent_id in plan_assignments(tickets, agents))

        counts = [assigned[agent.agent_id] for agent in agents]
        assert max(counts) - min(counts) <= 1, f"seed {seed}: {counts}"
