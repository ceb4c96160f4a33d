"""The router's write paths, run for real on a fake unit of work (tests/unit/router_fakes.py).

What each test checks is the state the path leaves and the events it commits, as cosmicpython's
tests/unit/test_handlers.py does: the same code production runs, without PostgreSQL.
"""

import uuid
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from msgspec.structs import replace

from contracts import (
    AcceptOffer,
    AgentStatus,
    Channel,
    CommandRejected,
    ConversationAssigned,
    ConversationClosed,
    ConversationOffered,
    ConversationResolved,
    ConversationUnassigned,
    CustomerMessageReceived,
    DeclineOffer,
    InboundMessage,
    OutboundMessage,
    ResolveConversation,
    SendReply,
    SetAgentStatus,
    TransferConversation,
)
from domain.policy import Policy
from services.router.decision_inputs import load_routing
from services.router.handlers.commands import take_command
from services.router.handlers.dispatch import drain_queue
from services.router.handlers.escalation import reassign
from services.router.handlers.inbound import _Duplicate, _take_in
from services.router.triage.triager import Triage
from shared.config import load_settings
from tests.unit.router_fakes import Database, FakeUnitOfWork

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ROUTING = load_routing(load_settings({}))
POLICY = Policy(complaint_team=None, offer_teams=frozenset({"billing"}), offer_timeout_s=30, offline_grace_s=60)
NEEDS_PERSON = Triage("account", "normal", "en", None, 0.0, False)


def routing(policy: Policy = POLICY):
    return replace(ROUTING, policy=policy)


def message(address: str = "visitor-1", text: str = "I cannot log in", channel_id: str | None = None) -> InboundMessage:
    return InboundMessage(
        channel=Channel.WEBCHAT,
        channel_message_id=channel_id or uuid.uuid4().hex,
        customer_address=address,
        received_at=NOW,
        text=text,
        customer_name="Ada",
    )


def command(kind, agent_id: str, **fields):
    return kind(command_id=str(uuid.uuid4()), agent_id=agent_id, issued_at=NOW, **fields)


async def take_in(db: Database, inbound: InboundMessage, at: datetime = NOW) -> FakeUnitOfWork:
    uow = FakeUnitOfWork(db, at)
    await uow.run(partial(_take_in, routing(), inbound, NEEDS_PERSON, True))
    return uow


async def apply(db: Database, cmd, at: datetime = NOW, policy: Policy = POLICY) -> FakeUnitOfWork:
    uow = FakeUnitOfWork(db, at)
    await uow.run(partial(take_command, cmd, routing(policy)))
    return uow


# _take_in


async def test_a_new_request_opens_a_conversation_and_goes_to_the_free_agent():
    db = Database()
    agent = db.add_agent(since=NOW - timedelta(hours=1))
    uow = await take_in(db, message())
    [conversation] = db.conversations.values()
    assert (conversation.status, conversation.agent_id, conversation.customer_address) == (
        "assigned",
        agent,
        "visitor-1",
    )
    [assigned] = uow.events(ConversationAssigned)
    assert (assigned.agent_id, assigned.reason, assigned.preview, assigned.customer_name) == (
        agent,
        "queue",
        "I cannot log in",
        "Ada",
    )


async def test_a_new_request_waits_in_the_queue_when_nobody_is_online():
    db = Database()
    db.add_agent(status="offline")
    uow = await take_in(db, message())
    [conversation] = db.conversations.values()
    assert (conversation.status, conversation.agent_id, conversation.queued_at) == ("queued", None, NOW)
    assert uow.events() == []


async def test_a_message_in_an_open_conversation_reaches_its_agent():
    db = Database()
    agent = db.add_agent()
    await take_in(db, message(text="hello"))
    uow = await take_in(db, message(text="still there?"), NOW + timedelta(minutes=1))
    [conversation] = db.conversations.values()
    assert conversation.agent_id == agent
    [received] = uow.events()
    assert isinstance(received, CustomerMessageReceived)
    assert (received.agent_id, received.conversation_id, received.text) == (agent, conversation.id, "still there?")


async def test_a_redelivered_message_changes_nothing():
    db = Database()
    db.add_agent()
    first = message(channel_id="m-1")
    await take_in(db, first)
    before = (dict(db.messages), {k: replace_row(v) for k, v in db.conversations.items()})
    uow = FakeUnitOfWork(db, NOW + timedelta(seconds=5))
    with pytest.raises(_Duplicate):
        await uow.run(partial(_take_in, routing(), first, NEEDS_PERSON, True))
    assert (dict(db.messages), {k: replace_row(v) for k, v in db.conversations.items()}) == before
    assert uow.events() == []


def replace_row(row):
    return row.view()


# apply_command: offers


async def offered(db: Database, *agents: str) -> str:
    """A billing conversation (offer mode) offered to the first of `agents`, by a real drain."""
    conversation = db.add_conversation(category="billing", team="billing", queued_at=NOW - timedelta(minutes=5))
    uow = FakeUnitOfWork(db, NOW)
    await uow.run(partial(drain_queue, policy=POLICY))
    assert db.conversations[conversation].offered_to == agents[0]
    [offer] = uow.events(ConversationOffered)
    assert offer.expires_at == NOW + timedelta(seconds=30)
    return conversation


async def test_accepting_an_offer_assigns_the_conversation():
    db = Database()
    agent = db.add_agent(teams=frozenset({"billing"}))
    conversation = await offered(db, agent)
    uow = await apply(db, command(AcceptOffer, agent, conversation_id=conversation))
    row = db.conversations[conversation]
    assert (row.status, row.agent_id, row.offered_to) == ("assigned", agent, None)
    assert [(e.agent_id, e.reason) for e in uow.events(ConversationAssigned)] == [(agent, "offer_accepted")]


async def test_declining_an_offer_offers_it_to_the_next_agent():
    db = Database()
    first = db.add_agent(teams=frozenset({"billing"}), since=NOW - timedelta(hours=2))
    second = db.add_agent(teams=frozenset({"billing"}), since=NOW - timedelta(hours=1))
    conversation = await offered(db, first, second)
    uow = await apply(db, command(DeclineOffer, first, conversation_id=conversation))
    row = db.conversations[conversation]
    assert (row.offered_to, row.declined_by, row.status) == (second, [first], "queued")
    assert [(e.agent_id, e.reason) for e in uow.events(ConversationUnassigned)] == [(first, "offer_declined")]
    assert [e.agent_id for e in uow.events(ConversationOffered)] == [second]


async def test_only_the_offered_agent_may_accept():
    db = Database()
    agent = db.add_agent(teams=frozenset({"billing"}))
    other = db.add_agent(status="away")
    conversation = await offered(db, agent)
    uow = await apply(db, command(AcceptOffer, other, conversation_id=conversation))
    assert db.conversations[conversation].offered_to == agent
    assert [(e.agent_id, e.reason) for e in uow.events(CommandRejected)] == [(other, "not_offered_to_you")]


# apply_command: conversations


def assigned_to(db: Database, agent: str, **fields) -> str:
    return db.add_conversation(status="assigned", agent_id=agent, assigned_at=NOW - timedelta(minutes=1), **fields)


async def test_a_reply_goes_to_the_customer_and_counts_as_the_first_response():
    db = Database()
    agent = db.add_agent()
    conversation = assigned_to(db, agent)
    reply = command(SendReply, agent, conversation_id=conversation, text="Let me check")
    uow = await apply(db, reply)
    [sent] = uow.events(OutboundMessage)
    assert (sent.message_id, sent.text, sent.seq, sent.agent_id) == (reply.command_id, "Let me check", 1, agent)
    assert db.messages[reply.command_id]["direction"] == "out"
    assert db.conversations[conversation].first_response_at == NOW


async def test_only_the_assigned_agent_may_reply():
    db = Database()
    agent, other = db.add_agent(), db.add_agent()
    conversation = assigned_to(db, agent)
    uow = await apply(db, command(SendReply, other, conversation_id=conversation, text="hi"))
    assert [e.reason for e in uow.events(CommandRejected)] == ["not_assigned_to_you"]
    assert uow.events(OutboundMessage) == []


async def test_a_command_applied_twice_acts_once():
    db = Database()
    agent = db.add_agent()
    conversation = assigned_to(db, agent)
    reply = command(SendReply, agent, conversation_id=conversation, text="once")
    await apply(db, reply)
    again = await apply(db, reply)
    assert again.events() == []
    assert [m["text"] for m in db.messages.values()] == ["once"]


async def test_resolving_frees_the_agent_for_the_next_in_the_queue():
    db = Database()
    agent = db.add_agent(capacity=1)
    conversation = assigned_to(db, agent)
    waiting = db.add_conversation(queued_at=NOW - timedelta(minutes=2))
    uow = await apply(db, command(ResolveConversation, agent, conversation_id=conversation))
    assert (db.conversations[conversation].status, db.conversations[conversation].resolved_at) == ("resolved", NOW)
    assert [type(e) for e in uow.events()] == [ConversationResolved, ConversationClosed, ConversationAssigned]
    assert db.conversations[waiting].agent_id == agent


async def test_a_transfer_to_a_colleague_with_room_hands_it_over():
    db = Database()
    agent, colleague = db.add_agent(), db.add_agent()
    conversation = assigned_to(db, agent)
    transfer = command(TransferConversation, agent, conversation_id=conversation, to_agent_id=colleague, note="VIP")
    uow = await apply(db, transfer)
    assert db.conversations[conversation].agent_id == colleague
    assert [(e.agent_id, e.reason) for e in uow.events(ConversationUnassigned)] == [(agent, "transferred")]
    [assigned] = uow.events(ConversationAssigned)
    assert (assigned.agent_id, assigned.reason, assigned.note) == (colleague, "transfer", "VIP")


async def test_a_transfer_to_a_full_colleague_is_refused():
    db = Database()
    agent, colleague = db.add_agent(), db.add_agent(capacity=1)
    assigned_to(db, colleague)
    conversation = assigned_to(db, agent)
    uow = await apply(db, command(TransferConversation, agent, conversation_id=conversation, to_agent_id=colleague))
    assert db.conversations[conversation].agent_id == agent
    assert [e.reason for e in uow.events(CommandRejected)] == ["target_agent_unavailable"]


async def test_going_offline_without_grace_hands_conversations_back_at_once():
    db = Database()
    agent, colleague = db.add_agent(), db.add_agent(status="away")
    conversation = assigned_to(db, agent)
    no_grace = replace(POLICY, offline_grace_s=0)
    uow = await apply(db, command(SetAgentStatus, agent, status=AgentStatus.OFFLINE), policy=no_grace)
    assert (db.agents[agent].status, db.conversations[conversation].status) == ("offline", "queued")
    assert [e.reason for e in uow.events(ConversationUnassigned)] == ["agent_offline"]
    await apply(db, command(SetAgentStatus, colleague, status=AgentStatus.ONLINE), policy=no_grace)
    assert db.conversations[conversation].agent_id == colleague


async def test_going_offline_within_the_grace_keeps_the_conversations_for_now():
    db = Database()
    agent = db.add_agent()
    conversation = assigned_to(db, agent)
    uow = await apply(db, command(SetAgentStatus, agent, status=AgentStatus.OFFLINE))
    assert (db.agents[agent].status, db.agents[agent].changed_at) == ("offline", NOW)
    assert (db.conversations[conversation].agent_id, uow.events(ConversationUnassigned)) == (agent, [])


# drain_queue and the staffing rules


async def drain(db: Database, at: datetime = NOW) -> FakeUnitOfWork:
    uow = FakeUnitOfWork(db, at)
    await uow.run(partial(drain_queue, policy=POLICY))
    return uow


async def test_the_queue_drains_most_urgent_first_into_free_capacity_only():
    db = Database()
    agent = db.add_agent(capacity=2)
    assigned_to(db, agent)
    normal = db.add_conversation(priority="normal", queued_at=NOW - timedelta(minutes=9))
    urgent = db.add_conversation(priority="urgent", queued_at=NOW - timedelta(minutes=1))
    uow = await drain(db)
    assert [e.conversation_id for e in uow.events(ConversationAssigned)] == [urgent]
    assert (db.conversations[urgent].agent_id, db.conversations[normal].status) == (agent, "queued")
    assert (await drain(db)).events() == []  # full: capacity is held


async def sweep(db: Database, at: datetime) -> FakeUnitOfWork:
    uow = FakeUnitOfWork(db, at)
    await uow.run(partial(reassign, routing=routing()))
    return uow


@pytest.mark.parametrize(("offline_for", "requeued"), [(timedelta(seconds=59), False), (timedelta(seconds=60), True)])
async def test_an_offline_agents_conversations_are_requeued_after_the_grace(offline_for, requeued):
    db = Database()
    gone = db.add_agent(status="offline", since=NOW - offline_for)
    colleague = db.add_agent()
    conversation = assigned_to(db, gone, first_response_at=NOW)
    uow = await sweep(db, NOW)
    assert db.conversations[conversation].agent_id == (colleague if requeued else gone)
    expected = [(gone, "agent_offline")] if requeued else []
    assert [(e.agent_id, e.reason) for e in uow.events(ConversationUnassigned)] == expected


@pytest.mark.parametrize(("offered_for", "expired"), [(timedelta(seconds=29), False), (timedelta(seconds=30), True)])
async def test_an_offer_not_accepted_in_time_moves_on(offered_for, expired):
    db = Database()
    first = db.add_agent(teams=frozenset({"billing"}), since=NOW - timedelta(hours=2))
    second = db.add_agent(teams=frozenset({"billing"}), since=NOW - timedelta(hours=1))
    conversation = await offered(db, first, second)
    uow = await sweep(db, NOW + offered_for)
    assert db.conversations[conversation].offered_to == (second if expired else first)
    expected = [(first, "offer_expired")] if expired else []
    assert [(e.agent_id, e.reason) for e in uow.events(ConversationUnassigned)] == expected


async def test_an_assignment_left_unanswered_past_the_first_response_target_is_reassigned():
    db = Database()
    agent, colleague = db.add_agent(), db.add_agent()
    target = ROUTING.targets.target("first_response", "normal")
    stale = db.add_conversation(status="assigned", agent_id=agent, assigned_at=NOW - target)
    fresh = db.add_conversation(status="assigned", agent_id=agent, assigned_at=NOW - target + timedelta(seconds=1))
    uow = await sweep(db, NOW)
    assert (db.conversations[stale].agent_id, db.conversations[fresh].agent_id) == (colleague, agent)
    assert [(e.conversation_id, e.reason) for e in uow.events(ConversationUnassigned)] == [(stale, "no_first_response")]


async def test_complaints_go_by_skill_while_nobody_is_in_the_complaint_team():
    db = Database()
    agent = db.add_agent(skills=frozenset({"complaint"}))
    complaint = db.add_conversation(category="complaint", queued_at=NOW - timedelta(minutes=1))
    uow = FakeUnitOfWork(db, NOW)
    await uow.run(partial(drain_queue, policy=replace(POLICY, complaint_team="complaints")))
    assert db.conversations[complaint].agent_id == agent
    member = db.add_agent(teams=frozenset({"complaints"}))
    staffed = db.add_conversation(category="complaint", queued_at=NOW)
    uow = FakeUnitOfWork(db, NOW)
    await uow.run(partial(drain_queue, policy=replace(POLICY, complaint_team="complaints")))
    assert db.conversations[staffed].agent_id == member  # the team's now, not the skilled agent's
