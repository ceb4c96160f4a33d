"""Who gets a conversation: eligibility, choice and the queue drain, pure and replaceable.

An agent is eligible for a ticket when they have room, speak its language, work its
channel, belong to its team (a transfer to a team, or the complaint team) or else know its
category, and are not the agent it is moving away from. Among the eligible, the customer's
sticky agent comes first, then the least loaded, then the longest idle. The queue drains
most urgent first, oldest first within a priority. No I/O here: the router fetches the
candidates, calls these functions, and stores what they decide.
"""

from datetime import datetime

import msgspec

from domain.policy import DEFAULT_POLICY, Policy, skill_fallback_open
from domain.priority import rank


class AgentSlot(msgspec.Struct, frozen=True):
    """An online agent as the policy sees it; an empty skill, language or channel set means any."""

    agent_id: str
    capacity: int
    load: int
    skills: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    teams: frozenset[str] = frozenset()
    idle_since: datetime | None = None
    """When the agent last became free or last got a conversation; None ranks as idle longest."""

    @property
    def free(self) -> int:
        return max(self.capacity - self.load, 0)


class Ticket(msgspec.Struct, frozen=True):
    """A conversation waiting for an agent; empty language or channel means any agent will do."""

    conversation_id: str
    priority: str
    queued_at: datetime
    exclude_agent: str | None = None
    category: str = "other"
    language: str = ""
    channel: str = ""
    team: str | None = None
    sticky_agent: str | None = None
    """The customer's previous agent, set by the caller only within the stickiness window."""


def queue_order(ticket: Ticket) -> tuple[int, datetime, str]:
    """Sort key of the queue: most urgent first, then first come first served."""
    return (rank(ticket.priority), ticket.queued_at, ticket.conversation_id)


def target_team(ticket: Ticket, policy: Policy = DEFAULT_POLICY) -> str | None:
    """The team that must take the ticket: the one it was transferred to, or the complaint team."""
    if ticket.team is not None:
        return ticket.team
    return policy.complaint_team if ticket.category == "complaint" else None


def _covers(offered: frozenset[str], wanted: str) -> bool:
    return not offered or not wanted or wanted in offered


def eligible(agent: AgentSlot, ticket: Ticket, policy: Policy = DEFAULT_POLICY, need_skill: bool = True) -> bool:
    """Whether the agent may take the ticket now; team membership stands in for the skill check."""
    if agent.free == 0 or agent.agent_id == ticket.exclude_agent:
        return False
    if not (_covers(agent.languages, ticket.language) and _covers(agent.channels, ticket.channel)):
        return False
    team = target_team(ticket, policy)
    if team is not None:
        return team in agent.teams
    return not need_skill or _covers(agent.skills, ticket.category)


def _rank(agent: AgentSlot) -> tuple[float, float, int, str]:
    """Least relative load, then longest idle, then fewest open chats, then id for determinism."""
    idle = agent.idle_since.timestamp() if agent.idle_since else float("-inf")
    return (agent.load / agent.capacity, idle, agent.load, agent.agent_id)


def candidates(
    ticket: Ticket, agents: list[AgentSlot], now: datetime | None = None, policy: Policy = DEFAULT_POLICY
) -> list[AgentSlot]:
    """Eligible agents; without a skilled one, after the fallback wait, anyone otherwise eligible."""
    skilled = [agent for agent in agents if eligible(agent, ticket, policy)]
    if skilled or not skill_fallback_open(ticket.priority, ticket.queued_at, now, policy):
        return skilled
    return [agent for agent in agents if eligible(agent, ticket, policy, need_skill=False)]


def choose_agent(
    ticket: Ticket, agents: list[AgentSlot], now: datetime | None = None, policy: Policy = DEFAULT_POLICY
) -> AgentSlot | None:
    """The sticky agent when eligible, else the best-ranked eligible agent; None when nobody can."""
    pool = candidates(ticket, agents, now, policy)
    if not pool:
        return None
    sticky = next((agent for agent in pool if agent.agent_id == ticket.sticky_agent), None)
    return sticky or min(pool, key=_rank)


def next_offer(
    ticket: Ticket,
    agents: list[AgentSlot],
    declined: frozenset[str],
    now: datetime | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> str | None:
    """Who to offer the ticket to next, skipping agents who declined or let an offer expire."""
    chosen = choose_agent(ticket, [agent for agent in agents if agent.agent_id not in declined], now, policy)
    return chosen.agent_id if chosen else None


def plan_assignments(
    tickets: list[Ticket], agents: list[AgentSlot], now: datetime | None = None, policy: Policy = DEFAULT_POLICY
) -> list[tuple[str, str]]:
    """(conversation_id, agent_id) pairs for as much of the queue as capacity and eligibility allow.

    A ticket nobody can take is skipped, so it never blocks a later one that somebody can.
    Without `now` the skill fallback stays closed, since no ticket's wait is known.
    """
    # Agents planned here stop being idle at the latest instant the inputs know of.
    stamp = now or max([t.queued_at for t in tickets] + [a.idle_since for a in agents if a.idle_since], default=None)
    open_slots = {agent.agent_id: agent for agent in agents if agent.free > 0}
    plan = []
    for ticket in sorted(tickets, key=queue_order):
        if not open_slots:
            break
        chosen = choose_agent(ticket, list(open_slots.values()), now, policy)
        if chosen is None:
            continue
        planned = msgspec.structs.replace(chosen, load=chosen.load + 1, idle_since=stamp)
        if planned.free:
            open_slots[chosen.agent_id] = planned
        else:
            del open_slots[chosen.agent_id]
        plan.append((ticket.conversation_id, chosen.agent_id))
    return plan


def free_capacity(agents: list[AgentSlot]) -> int:
    """Open chat slots across the given agents; an agent over capacity counts as none."""
    return sum(agent.free for agent in agents)
