"""Who gets a conversation: the first assignment policy, pure and replaceable.

Online agents with free capacity take conversations least-loaded first; the queue drains
in priority order, oldest first within a priority. No I/O here: the router fetches the
candidates, calls these functions, and stores what they decide.
"""

from datetime import datetime

import msgspec

PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


class AgentSlot(msgspec.Struct, frozen=True):
    """An online agent as the policy sees it."""

    agent_id: str
    capacity: int
    load: int
    skills: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()

    @property
    def free(self) -> int:
        return max(self.capacity - self.load, 0)


class Ticket(msgspec.Struct, frozen=True):
    """A conversation waiting for an agent."""

    conversation_id: str
    priority: str
    queued_at: datetime
    exclude_agent: str | None = None


def queue_order(ticket: Ticket) -> tuple[int, datetime, str]:
    """Sort key of the queue: most urgent first, then first come first served."""
    return (PRIORITY_RANK.get(ticket.priority, len(PRIORITY_RANK)), ticket.queued_at, ticket.conversation_id)


def choose_agent(ticket: Ticket, agents: list[AgentSlot]) -> AgentSlot | None:
    """The agent with free capacity and the lowest relative load; ties go to fewer open chats."""
    candidates = [a for a in agents if a.free > 0 and a.agent_id != ticket.exclude_agent]
    if not candidates:
        return None
    return min(candidates, key=lambda a: (a.load / a.capacity, a.load, a.agent_id))


def plan_assignments(tickets: list[Ticket], agents: list[AgentSlot]) -> list[tuple[str, str]]:
    """(conversation_id, agent_id) pairs for as much of the queue as capacity allows."""
    slots = {agent.agent_id: agent for agent in agents}
    plan = []
    for ticket in sorted(tickets, key=queue_order):
        chosen = choose_agent(ticket, list(slots.values()))
        if chosen is None:
            continue
        slots[chosen.agent_id] = msgspec.structs.replace(chosen, load=chosen.load + 1)
        plan.append((ticket.conversation_id, chosen.agent_id))
    return plan


def free_capacity(agents: list[AgentSlot]) -> int:
    return sum(agent.free for agent in agents)
