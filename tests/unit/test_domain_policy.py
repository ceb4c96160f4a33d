"""The assignment policy rules: eligibility, choice, stickiness, the queue, fallback, offers, clocks."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from domain.assignment import AgentSlot, Ticket, choose_agent, eligible, next_offer, plan_assignments
from domain.policy import (
    DEFAULT_POLICY,
    Policy,
    load_policy,
    needs_reassignment,
    offer_expired,
    requeue_after_offline,
    skill_fallback_open,
    staffed_policy,
    sticky_agent,
    uses_offers,
)

pytestmark = pytest.mark.unit

T0 = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
ZH, EN, BOTH = frozenset({"zh"}), frozenset({"en"}), frozenset({"zh", "en"})


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def agent(agent_id: str, load: int = 0, capacity: int = 3, idle: float | None = None, **fields) -> AgentSlot:
    fields = {key: frozenset(value) if isinstance(value, set) else value for key, value in fields.items()}
    return AgentSlot(agent_id, capacity, load, idle_since=None if idle is None else at(idle), **fields)


def ticket(conversation_id: str = "conv", priority: str = "normal", second: float = 0, **fields) -> Ticket:
    return Ticket(conversation_id, priority, at(second), **fields)


def chosen(ticket_: Ticket, agents: list[AgentSlot], now: datetime | None = None, policy: Policy = DEFAULT_POLICY):
    picked = choose_agent(ticket_, agents, now, policy)
    return picked and picked.agent_id


@pytest.mark.parametrize(
    ("candidate", "wanted", "expected"),
    [
        (agent("s", skills={"loan"}), ticket(category="loan"), True),
        (agent("s", skills={"loan"}), ticket(category="security"), False),  # specialist lacks the category
        (agent("g"), ticket(category="security"), True),  # no skills listed: a generalist
        (agent("z", languages=ZH), ticket(language="en"), False),
        (agent("b", languages=BOTH), ticket(language="en"), True),
        (agent("any"), ticket(language="en"), True),  # no languages listed: speaks anything routed to them
        (agent("z", languages=ZH), ticket(language=""), True),  # language unknown: anyone
        (agent("c", channels={"wechat", "webchat"}), ticket(channel="email"), False),
        (agent("c", channels={"wechat", "webchat"}), ticket(channel="wechat"), True),
        (agent("all"), ticket(channel="sms"), True),
        (agent("full", load=3), ticket(), False),
        (agent("over", load=5), ticket(), False),
        (agent("zero", capacity=0), ticket(), False),
        (agent("me"), ticket(exclude_agent="me"), False),
    ],
)
def test_eligibility_rules(candidate, wanted, expected):
    assert eligible(candidate, wanted) is expected


def test_complaints_go_only_to_the_complaint_team_even_past_the_fallback_wait():
    agents = [agent("idle-generalist"), agent("busy-complaints", load=2, teams={"complaints"})]
    complaint = ticket(category="complaint", priority="high")
    assert chosen(complaint, agents) == "busy-complaints"
    assert chosen(complaint, agents[:1], now=at(3600)) is None


def test_complaint_team_is_configurable_and_can_be_switched_off():
    agents = [agent("care", teams={"care"}), agent("a", skills={"complaint"}, load=2), agent("b", skills={"loan"})]
    complaint = ticket(category="complaint")
    assert chosen(complaint, agents, policy=Policy(complaint_team="care")) == "care"
    assert chosen(complaint, agents[1:], policy=Policy(complaint_team=None)) == "a"  # by skill like any category


def test_complaints_go_by_skill_while_nobody_belongs_to_the_complaint_team():
    agents = [agent("a", skills={"complaint"}), agent("b", skills={"loan"})]
    complaint = ticket(category="complaint")
    assert chosen(complaint, agents, policy=staffed_policy(DEFAULT_POLICY, complaint_team_has_members=True)) is None
    assert chosen(complaint, agents, policy=staffed_policy(DEFAULT_POLICY, complaint_team_has_members=False)) == "a"
    switched_off = Policy(complaint_team=None)
    assert staffed_policy(switched_off, complaint_team_has_members=False) is switched_off


def test_transfer_to_a_team_takes_members_only_and_membership_stands_in_for_skill():
    agents = [agent("outsider", skills={"loan"}), agent("member", load=2, skills={"account"}, teams={"loans"})]
    moved = ticket(category="loan", team="loans")
    assert chosen(moved, agents) == "member"
    assert chosen(moved, agents[:1]) is None


def test_team_transfer_still_needs_language_and_channel():
    member = agent("member", teams={"loans"}, languages=ZH, channels={"wechat"})
    assert chosen(ticket(team="loans", language="en"), [member]) is None
    assert chosen(ticket(team="loans", channel="email"), [member]) is None
    assert chosen(ticket(team="loans", language="zh", channel="wechat"), [member]) == "member"


def test_least_relative_load_wins_over_skill_breadth_and_idle_time():
    agents = [agent("generalist", load=2, idle=-3600), agent("specialist", load=1, capacity=4, skills={"loan"})]
    assert chosen(ticket(category="loan"), agents) == "specialist"


def test_longest_idle_breaks_a_load_tie():
    agents = [agent("recent", load=1, idle=-60), agent("longest", load=1, idle=-600), agent("mid", load=1, idle=-300)]
    assert chosen(ticket(), agents) == "longest"


def test_never_idle_counts_as_idle_longest_then_id_decides():
    assert chosen(ticket(), [agent("b", idle=-9999), agent("z")]) == "z"
    assert chosen(ticket(), [agent("b"), agent("a")]) == "a"


def test_sticky_agent_first_when_eligible_even_if_busier():
    agents = [agent("fresh"), agent("previous", load=2)]
    assert chosen(ticket(sticky_agent="previous"), agents) == "previous"


@pytest.mark.parametrize(
    ("agents", "wanted"),
    [
        ([agent("fresh"), agent("previous", load=3)], ticket(sticky_agent="previous")),  # full
        ([agent("fresh")], ticket(sticky_agent="previous")),  # offline: not among the online agents
        ([agent("fresh"), agent("previous")], ticket(sticky_agent="previous", exclude_agent="previous")),
        ([agent("fresh"), agent("previous", languages=ZH)], ticket(sticky_agent="previous", language="en")),
        ([agent("fresh", teams={"loans"}), agent("previous")], ticket(sticky_agent="previous", team="loans")),
    ],
    ids=["full", "offline", "excluded", "wrong-language", "outside-target-team"],
)
def test_sticky_agent_not_honoured_when_not_eligible(agents, wanted):
    assert chosen(wanted, agents) == "fresh"


def test_sticky_window_is_the_policys_and_the_caller_applies_it():
    policy = Policy(sticky_window_s=3600)
    assert sticky_agent("a", at(0), at(3600), policy) == "a"
    assert sticky_agent("a", at(0), at(3601), policy) is None
    assert sticky_agent(None, at(0), at(1), policy) is None
    assert sticky_agent("a", None, at(1), policy) is None


def test_queue_drains_by_priority_then_age_across_categories():
    tickets = [
        ticket("low", "low", 0),
        ticket("normal-late", "normal", 9),
        ticket("normal-early", "normal", 5),
        ticket("urgent", "urgent", 20, category="security"),
        ticket("high", "high", 10),
    ]
    plan = plan_assignments(tickets, [agent("a", capacity=4)])
    assert [conversation for conversation, _ in plan] == ["urgent", "high", "normal-early", "normal-late"]


def test_a_ticket_nobody_can_take_does_not_block_lower_priority_ones():
    tickets = [ticket("urgent-en", "urgent", 0, language="en"), ticket("low-zh", "low", 5, language="zh")]
    assert plan_assignments(tickets, [agent("zh-only", languages=ZH)]) == [("low-zh", "zh-only")]


def test_each_decision_updates_planned_load_and_idle_time():
    agents = [
        agent("a", idle=-600, capacity=2),
        agent("b", load=1, idle=-300, capacity=2),
        agent("c", load=1, idle=-60, capacity=2),
    ]
    plan = plan_assignments([ticket(f"t{i}", second=i) for i in range(3)], agents, now=at(60))
    # a is least loaded; then all sit at 1/2 and a has just stopped being idle, so b, then c.
    assert [agent_id for _, agent_id in plan] == ["a", "b", "c"]


def test_specialists_fill_before_the_queue_spills_over():
    agents = [agent("loan-1", skills={"loan"}, capacity=1), agent("sec-1", skills={"security"}, capacity=1)]
    tickets = [
        ticket("l1", category="loan"),
        ticket("l2", category="loan", second=1),
        ticket("s1", category="security", second=2),
    ]
    assert plan_assignments(tickets, agents, now=at(10)) == [("l1", "loan-1"), ("s1", "sec-1")]


@pytest.mark.parametrize(
    ("priority", "waited", "placed"),
    [("urgent", 29, False), ("urgent", 30, True), ("normal", 119, False), ("normal", 120, True), ("low", 300, True)],
)
def test_skill_fallback_opens_after_the_priority_wait(priority, waited, placed):
    only_other = [agent("sec", skills={"security"})]
    expected = [("loan", "sec")] if placed else []
    assert plan_assignments([ticket("loan", priority, category="loan")], only_other, now=at(waited)) == expected


def test_skill_fallback_needs_a_clock_and_keeps_language_hard():
    loan = ticket("loan", category="loan", language="en")
    assert plan_assignments([loan], [agent("sec", skills={"security"})]) == []  # no now: wait unknown
    assert plan_assignments([loan], [agent("sec", skills={"security"}, languages=ZH)], now=at(3600)) == []


def test_skill_fallback_can_be_switched_off_per_priority():
    policy = Policy(skill_fallback_after_s={"urgent": 0})
    agents = [agent("sec", skills={"security"})]
    assert plan_assignments([ticket("u", "urgent", category="loan")], agents, at(0), policy) == [("u", "sec")]
    assert plan_assignments([ticket("n", "normal", category="loan")], agents, at(9999), policy) == []


def test_skilled_agent_preferred_over_fallback_even_when_busier():
    agents = [agent("idle-other", skills={"security"}), agent("busy-loan", load=2, skills={"loan"})]
    assert chosen(ticket(category="loan"), agents, now=at(3600)) == "busy-loan"


def test_offer_mode_moves_on_through_eligible_agents_who_have_not_declined():
    agents = [agent("a"), agent("b", load=1), agent("c", load=2), agent("zh", languages=ZH)]
    offered = ticket(language="en")
    assert next_offer(offered, agents, frozenset()) == "a"
    assert next_offer(offered, agents, frozenset({"a"})) == "b"
    assert next_offer(offered, agents, frozenset({"a", "b"})) == "c"
    assert next_offer(offered, agents, frozenset({"a", "b", "c"})) is None


def test_offer_goes_to_the_sticky_agent_first_unless_they_declined():
    agents = [agent("a"), agent("previous", load=2)]
    assert next_offer(ticket(sticky_agent="previous"), agents, frozenset()) == "previous"
    assert next_offer(ticket(sticky_agent="previous"), agents, frozenset({"previous"})) == "a"


def test_offer_timeout_and_offer_teams():
    assert not offer_expired(at(0), at(29.9))
    assert offer_expired(at(0), at(30))
    assert offer_expired(at(0), at(10), Policy(offer_timeout_s=10))
    policy = Policy(offer_teams=frozenset({"vip"}))
    assert uses_offers("vip", policy) and not uses_offers("loans", policy) and not uses_offers(None, policy)


def test_offline_agent_conversations_requeue_only_after_the_grace():
    assert not requeue_after_offline(at(0), at(59))
    assert requeue_after_offline(at(0), at(60))
    assert requeue_after_offline(at(0), at(5), Policy(offline_grace_s=0))


@pytest.mark.parametrize(
    ("first_response", "now", "expected"),
    [(None, 119, False), (None, 120, True), (30, 600, False)],
    ids=["unanswered-within-sla", "unanswered-at-sla", "answered"],
)
def test_unanswered_assignment_is_reassigned_at_the_sla(first_response, now, expected):
    answered = None if first_response is None else at(first_response)
    assert needs_reassignment(at(0), answered, at(now), timedelta(minutes=2)) is expected


def test_policy_loads_from_plain_configuration():
    policy = load_policy(
        {
            "complaint_team": "care",
            "offer_teams": ["vip"],
            "offer_timeout_s": 45,
            "skill_fallback_after_s": {"urgent": 10},
        }
    )
    assert (policy.complaint_team, policy.offer_teams, policy.offer_timeout_s) == ("care", frozenset({"vip"}), 45)
    assert policy.skill_fallback_after_s == {"urgent": 10} and load_policy({}) == DEFAULT_POLICY
    for bad in ({"offer_timeout_s": -1}, {"no_such_knob": 1}, {"skill_fallback_after_s": {"urgent": -5}}):
        with pytest.raises(msgspec.ValidationError):
            load_policy(bad)


def _subset(rng: random.Random, options: list[str]) -> frozenset[str]:
    return frozenset(rng.sample(options, rng.randint(0, 2)))


def _random_floor(rng: random.Random) -> tuple[list[AgentSlot], list[Ticket]]:
    agents = []
    for number in range(rng.randint(0, 6)):
        capacity = rng.randint(0, 4)
        agents.append(
            AgentSlot(
                f"a{number}",
                capacity,
                rng.randint(0, capacity),
                _subset(rng, ["loan", "account", "security"]),
                _subset(rng, ["zh", "en"]),
                _subset(rng, ["wechat", "email"]),
                _subset(rng, ["complaints", "loans"]),
                rng.choice([None, at(-rng.randint(0, 600))]),
            )
        )
    tickets = [
        Ticket(
            f"t{number}",
            rng.choice(["urgent", "high", "normal", "low"]),
            at(rng.randint(0, 300)),
            rng.choice([None, "a0", "a1"]),
            rng.choice(["loan", "account", "security", "complaint"]),
            rng.choice(["", "zh", "en"]),
            rng.choice(["", "wechat", "email"]),
            rng.choice([None, None, "loans"]),
            rng.choice([None, "a0", "a2"]),
        )
        for number in range(rng.randint(0, 20))
    ]
    return agents, tickets


def test_random_plans_are_eligible_within_capacity_and_leave_nothing_placeable():
    for seed in range(400):
        rng = random.Random(seed)
        agents, tickets = _random_floor(rng)
        now = rng.choice([None, at(rng.randint(0, 900))])

        plan = plan_assignments(tickets, agents, now)

        by_ticket, assigned = {t.conversation_id: t for t in tickets}, Counter(a for _, a in plan)
        assert len({conversation for conversation, _ in plan}) == len(plan), f"seed {seed}: planned twice"
        for conversation, agent_id in plan:
            wanted = by_ticket[conversation]
            roomy = msgspec.structs.replace(next(a for a in agents if a.agent_id == agent_id), load=0, capacity=1)
            skilled = eligible(roomy, wanted)
            fallback = skill_fallback_open(wanted.priority, wanted.queued_at, now)
            assert skilled or (fallback and eligible(roomy, wanted, need_skill=False)), f"seed {seed}: {conversation}"
        for slot in agents:
            assert not assigned[slot.agent_id] or slot.load + assigned[slot.agent_id] <= slot.capacity, f"seed {seed}"
        after = [msgspec.structs.replace(a, load=a.load + assigned[a.agent_id]) for a in agents]
        planned = {conversation for conversation, _ in plan}
        for left in (t for t in tickets if t.conversation_id not in planned):
            assert choose_agent(left, after, now) is None, f"seed {seed}: {left.conversation_id} was placeable"
