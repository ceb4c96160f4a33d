"""A simulated busy wallet-support day through the real assignment policy and two baselines.

Discrete events (arrivals, chats ending, skill-fallback wake-ups) over one staffed day; the same
seeded arrival stream goes through (a) services.router's plan_assignments with the default
Policy, (b) round robin and (c) "least busy agent", both first-in-first-out and blind to
priority, skills, languages and channels. No broker, no database.
"""

import argparse
import heapq
import math
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import msgspec

from domain.assignment import AgentSlot, Ticket, eligible, plan_assignments
from domain.policy import DEFAULT_POLICY, Policy
from domain.priority import PRIORITIES
from domain.sla import DEFAULT_TARGETS, breach

DAY = datetime(2025, 6, 2, tzinfo=UTC)  # a Monday
OPEN_H, CLOSE_H = 8, 22
# Share of the peak arrival rate per hour: a late-morning and an evening peak, a lunch dip.
HOURLY = {
    8: 0.45,
    9: 0.75,
    10: 1.0,
    11: 1.0,
    12: 0.75,
    13: 0.6,
    14: 0.65,
    15: 0.65,
    16: 0.6,
    17: 0.6,
    18: 0.7,
    19: 0.95,
    20: 1.0,
    21: 0.7,
}
CATEGORIES = {
    "transaction": 0.25,
    "payment": 0.15,
    "account": 0.15,
    "feature": 0.20,
    "loan": 0.10,
    "security": 0.05,
    "complaint": 0.05,
    "other": 0.05,
}
# Share of each category that is high priority (money lost, charged twice); the rest as listed.
HIGH_SHARE = {"transaction": 0.4, "payment": 0.2}
BASE_PRIORITY = {
    "security": "urgent",
    "account": "urgent",
    "complaint": "high",
    "transaction": "normal",
    "payment": "normal",
    "loan": "normal",
    "feature": "low",
    "other": "low",
}
SERVICE_MEDIAN_MIN = {
    "transaction": 12,
    "payment": 10,
    "account": 14,
    "feature": 6,
    "loan": 15,
    "security": 18,
    "complaint": 20,
    "other": 8,
}
SERVICE_SIGMA = 0.5
REPLY_MEDIAN_S, REPLY_SIGMA = 20, 0.5
LANGUAGES = {"zh": 0.85, "en": 0.15}
CHANNELS = {"wechat": 0.45, "webchat": 0.35, "email": 0.12, "sms": 0.08}
OFF_SKILL_SLOWDOWN = 1.6
SENSITIVITY = (1.0, 1.3)  # slowdowns re-run for the urgent/high comparison
ARRIVE, FINISH, WAKE = 0, 1, 2  # event kinds; at one instant a slot frees before a wake-up looks
SKILLS_ONLY = Policy(complaint_team=None)  # judges skill alone: complaint-team routing is not a skill
ZH, BOTH, CHAT = frozenset({"zh"}), frozenset({"zh", "en"}), frozenset({"wechat", "webchat"})
# (id prefix, how many, capacity, skills, languages per agent, channels, teams): 20 agents, 60 slots.
ROSTER = [
    ("complaint", 3, 3, {"complaint", "transaction", "payment"}, [BOTH, BOTH, ZH], frozenset(), {"complaints"}),
    ("security", 4, 3, {"security", "account"}, [BOTH, ZH, ZH, BOTH], frozenset(), set()),
    ("payments", 5, 3, {"transaction", "payment"}, [ZH, ZH, ZH, ZH, BOTH], frozenset(), set()),
    ("loans", 2, 3, {"loan", "account"}, [ZH, BOTH], frozenset(), set()),
    ("senior", 3, 4, set(), [BOTH, BOTH, ZH], frozenset(), set()),
    ("junior", 3, 2, {"feature", "other"}, [ZH, ZH, BOTH], CHAT, set()),
]


class Chat(msgspec.Struct):
    """One customer request and, once simulated, what happened to it."""

    ticket: Ticket
    arrived: float
    service_s: float
    reply_s: float
    assigned: float | None = None
    answered: float | None = None
    slowed: bool = False


class Agent(msgspec.Struct):
    """An agent as the policy sees them now, and the spans their chats occupied a slot."""

    slot: AgentSlot
    intervals: list[tuple[float, float]] = []


def _pick(rng: random.Random, shares: dict[str, float]) -> str:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def arrivals(seed: int, peak_per_hour: float) -> list[Chat]:
    """The day's requests: Poisson arrivals at each hour's rate, attributes drawn from the mixes."""
    rng, chats, t = random.Random(seed), [], OPEN_H * 3600.0
    while True:
        t += rng.expovariate(peak_per_hour * HOURLY[int(t // 3600)] / 3600)
        if t >= CLOSE_H * 3600:
            return chats
        category = _pick(rng, CATEGORIES)
        high = rng.random() < HIGH_SHARE.get(category, 0.0)
        ticket = Ticket(
            f"c{len(chats):05d}",
            "high" if high else BASE_PRIORITY[category],
            DAY + timedelta(seconds=t),
            category=category,
            language=_pick(rng, LANGUAGES),
            channel=_pick(rng, CHANNELS),
        )
        service = SERVICE_MEDIAN_MIN[category] * 60 * rng.lognormvariate(0, SERVICE_SIGMA)
        chats.append(Chat(ticket, t, service, REPLY_MEDIAN_S * rng.lognormvariate(0, REPLY_SIGMA)))


def roster() -> list[Agent]:
    """A fresh floor of ROSTER agents, all online, none busy."""
    agents = []
    for prefix, count, capacity, skills, languages, channels, teams in ROSTER:
        for number in range(count):
            slot = AgentSlot(
                f"{prefix}-{number + 1}", capacity, 0, frozenset(skills), languages[number], channels, frozenset(teams)
            )
            agents.append(Agent(slot))
    return agents


def off_skill(agent: AgentSlot, ticket: Ticket) -> bool:
    """Whether the agent lacks the ticket's category, language or channel (serves it slower)."""
    return not eligible(msgspec.structs.replace(agent, load=0, capacity=1), ticket, SKILLS_ONLY)


Dispatch = Callable[[float, list[Chat], list[Agent]], list[tuple[Chat, Agent]]]


def relaydesk_policy() -> Dispatch:
    """The real router policy: domain.assignment.plan_assignments with the default Policy."""

    def dispatch(now: float, queue: list[Chat], agents: list[Agent]) -> list[tuple[Chat, Agent]]:
        chats = {chat.ticket.conversation_id: chat for chat in queue}
        by_id = {agent.slot.agent_id: agent for agent in agents}
        plan = plan_assignments([c.ticket for c in queue], [a.slot for a in agents], DAY + timedelta(seconds=now))
        return [(chats[conversation], by_id[agent_id]) for conversation, agent_id in plan]

    return dispatch


def _fifo(pick: Callable[[list[Agent], dict[str, int]], Agent]) -> Dispatch:
    """A first-in-first-out baseline giving the head of the queue to pick(agents with room)."""

    def dispatch(now: float, queue: list[Chat], agents: list[Agent]) -> list[tuple[Chat, Agent]]:
        plan, loads = [], {a.slot.agent_id: a.slot.load for a in agents}
        for chat in queue:
            roomy = [a for a in agents if loads[a.slot.agent_id] < a.slot.capacity]
            if not roomy:
                break
            agent = pick(roomy, loads)
            loads[agent.slot.agent_id] += 1
            plan.append((chat, agent))
        return plan

    return dispatch


def round_robin() -> Dispatch:
    """Each next chat to the next agent in roster order who has room."""
    order = [agent.slot.agent_id for agent in roster()]
    turn = -1

    def pick(roomy: list[Agent], loads: dict[str, int]) -> Agent:
        nonlocal turn
        agent = min(roomy, key=lambda a: (order.index(a.slot.agent_id) - turn - 1) % len(order))
        turn = order.index(agent.slot.agent_id)
        return agent

    return _fifo(pick)


def least_busy() -> Dispatch:
    """Each next chat to the agent with the lowest share of their chat slots in use."""
    return _fifo(
        lambda roomy, loads: min(
            roomy, key=lambda a: (loads[a.slot.agent_id] / a.slot.capacity, loads[a.slot.agent_id], a.slot.agent_id)
        )
    )


def simulate(stream: list[Chat], dispatch: Dispatch, slowdown: float) -> tuple[list[Chat], list[Agent]]:
    """Run the day: arrivals queue, the dispatcher assigns, chats end and free their slot."""
    chats, agents, queue = [msgspec.structs.replace(chat) for chat in stream], roster(), []
    events = [(chat.arrived, ARRIVE, i) for i, chat in enumerate(chats)]
    fallback = DEFAULT_POLICY.skill_fallback_after_s  # look again when a chat may go to an agent without its skill
    events += [
        (c.arrived + fallback[c.ticket.priority], WAKE, i) for i, c in enumerate(chats) if c.ticket.priority in fallback
    ]
    heapq.heapify(events)
    while events:
        now, kind, index = heapq.heappop(events)
        if kind == ARRIVE:
            queue.append(chats[index])
        elif kind == FINISH:
            _set_load(agents[index], now, -1)
        if not queue or all(a.slot.free == 0 for a in agents):
            continue
        for chat, agent in dispatch(now, queue, agents):
            queue.remove(chat)
            chat.slowed = off_skill(agent.slot, chat.ticket)
            factor = slowdown if chat.slowed else 1.0
            chat.assigned, chat.answered = now, now + chat.reply_s * factor
            end = chat.answered + chat.service_s * factor
            _set_load(agent, now, +1)
            agent.intervals.append((now, end))
            heapq.heappush(events, (end, FINISH, agents.index(agent)))
    return chats, agents


def _set_load(agent: Agent, now: float, change: int) -> None:
    """Change the agent's open chats; either change restarts their idle clock."""
    agent.slot = msgspec.structs.replace(
        agent.slot, load=agent.slot.load + change, idle_since=DAY + timedelta(seconds=now)
    )


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile; 0 for no values."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)] if ordered else 0.0


def summarize(chats: list[Chat], agents: list[Agent]) -> dict:
    """Per priority: count, share answered within the first-response SLA, p90 wait; utilization."""
    figures = {}
    for priority in PRIORITIES:
        mine = [c for c in chats if c.ticket.priority == priority]
        on_time = sum(
            breach(
                "first_response",
                priority,
                c.ticket.queued_at,
                DAY + timedelta(seconds=c.answered),
                DAY + timedelta(seconds=c.answered),
                DEFAULT_TARGETS,
            )
            is None
            for c in mine
        )
        figures[priority] = (len(mine), on_time / len(mine), percentile([c.assigned - c.arrived for c in mine], 0.9))
    day = (OPEN_H * 3600, CLOSE_H * 3600)
    utilization = [
        sum(max(0.0, min(end, day[1]) - max(start, day[0])) for start, end in a.intervals)
        / (a.slot.capacity * (day[1] - day[0]))
        for a in agents
    ]
    figures["utilization"] = (min(utilization), max(utilization), statistics.pstdev(utilization))
    figures["off_skill"] = sum(c.slowed for c in chats) / len(chats)
    return figures


POLICIES = {"relaydesk policy": relaydesk_policy, "round robin": round_robin, "least busy": least_busy}
OURS = "relaydesk policy"
CLEAR_MARGIN = 0.10
PEAK_PER_HOUR = 240


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}" if minutes >= 60 else f"{minutes}:{seconds:02d}"


def run(stream: list[Chat], slowdown: float) -> dict[str, dict]:
    return {name: summarize(*simulate(stream, make(), slowdown)) for name, make in POLICIES.items()}


def target_met(results: dict[str, dict]) -> bool:
    """Urgent and high attainment at least CLEAR_MARGIN above each baseline."""
    ours = results[OURS]
    return all(
        ours[p][1] >= figures[p][1] + CLEAR_MARGIN
        for name, figures in results.items()
        if name != OURS
        for p in ("urgent", "high")
    )


def report(stream: list[Chat], peak: float, results: dict[str, dict], sensitivity: dict[float, dict]) -> None:
    """Print the comparison table, the target verdict and how it moves with the slowdown assumption."""
    slots = sum(count * capacity for _, count, capacity, *_ in ROSTER)
    agents = sum(count for _, count, *_ in ROSTER)
    counts = ", ".join(f"{results[OURS][p][0]} {p}" for p in PRIORITIES)
    print(
        f"day {OPEN_H:02d}:00-{CLOSE_H:02d}:00: {len(stream)} chats ({counts}), peak {peak:.0f}/h at 10-12 and"
        f" 19-21; {agents} agents, {slots} chat slots"
    )
    print(
        f"assumption: an agent lacking the chat's category, language or channel takes {OFF_SKILL_SLOWDOWN}x as"
        " long to reply and to handle it"
    )
    targets = ", ".join(
        f"{p} {_duration(DEFAULT_TARGETS.target('first_response', p).total_seconds())}" for p in PRIORITIES
    )
    print(
        f"first-response SLA: {targets}; wait = queued until assigned; utilization = share of chat slots busy in"
        f" {OPEN_H:02d}:00-{CLOSE_H:02d}:00"
    )
    header = "".join(f"{p + ' in SLA':>15} {'p90 wait':>9}" for p in PRIORITIES)
    print(f"{'':17}{header}  util min   max  stdev  off-skill")
    for name, figures in results.items():
        cells = "".join(f"{figures[p][1]:15.1%} {_duration(figures[p][2]):>9}" for p in PRIORITIES)
        low, high, spread = figures["utilization"]
        print(f"{name:17}{cells}  {low:8.0%} {high:5.0%} {spread:6.3f} {figures['off_skill']:10.1%}")
    verdict = "met" if target_met(results) else "NOT met"
    print(f"target (urgent and high in SLA >= {CLEAR_MARGIN * 100:.0f} points above both baselines): {verdict}")
    for slowdown, figures in sensitivity.items():
        shares = "  ".join(
            f"{p} " + " / ".join(f"{figures[name][p][1]:.1%}" for name in POLICIES) for p in ("urgent", "high")
        )
        verdict = "met" if target_met(figures) else "NOT met"
        print(f"if off-skill took {slowdown}x: in SLA ours / round robin / least busy: {shares}  target {verdict}")


def main():
    """Parse arguments, simulate the day under each policy and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=20250602, help="seed of the arrival stream")
    parser.add_argument("--peak", type=float, default=PEAK_PER_HOUR, help="arrivals per hour at the peaks")
    args = parser.parse_args()
    started = time.perf_counter()
    stream = arrivals(args.seed, args.peak)
    results = run(stream, OFF_SKILL_SLOWDOWN)
    sensitivity = {slowdown: run(stream, slowdown) for slowdown in SENSITIVITY}
    report(stream, args.peak, results, sensitivity)
    print(f"simulated {1 + len(SENSITIVITY)} x {len(POLICIES)} days in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
