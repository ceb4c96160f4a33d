"""An in-memory router database and a fake unit of work over it, for the handlers' unit tests.

The fake repositories keep the SQL repositories' contracts (services/router/db/conversations.py and
staffing.py) on plain dicts, so the router's real write paths (`_take_in`, `apply_command`,
`drain_queue`, the sweeper's `reassign`) run without PostgreSQL: a test sets up the state,
runs a path in a `FakeUnitOfWork`, and asserts the state and the events it committed.
A unit of work that raises leaves the state as it was, as a rolled-back transaction does.
"""

import copy
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import msgspec

from contracts import InboundMessage
from domain.assignment import AgentSlot, Ticket
from domain.priority import PRIORITY_RANK
from services.router.db.conversations import DELIVERY_RANK, Conversation, Opening, Reply
from services.router.db.staffing import QUEUE_WINDOW, Held


@dataclass
class Row:
    """A conversation row: the columns the router's write paths read or change."""

    id: str
    channel: str
    customer_address: str
    status: str
    priority: str = "normal"
    category: str = "other"
    language: str = ""
    agent_id: str | None = None
    queued_at: datetime | None = None
    assigned_at: datetime | None = None
    offered_to: str | None = None
    offered_at: datetime | None = None
    declined_by: list[str] = field(default_factory=list)
    team: str | None = None
    preferred_agent_id: str | None = None
    transfer_note: str | None = None
    first_response_at: datetime | None = None
    first_response_in: timedelta | None = None
    resolved_at: datetime | None = None
    closed_notice_at: datetime | None = None
    bot_answered_at: datetime | None = None
    faq_id: str | None = None
    unverified: bool = False
    created_at: datetime | None = None

    def view(self) -> Conversation:
        return Conversation(
            id=self.id,
            channel=self.channel,
            customer_address=self.customer_address,
            status=self.status,
            agent_id=self.agent_id,
            priority=self.priority,
            queued_at=self.queued_at,
            category=self.category,
            language=self.language,
            notice_sent=self.closed_notice_at is not None,
            offered_to=self.offered_to,
        )


@dataclass
class Agent:
    """An agent with their state row (agent_state)."""

    id: str
    capacity: int = 3
    skills: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    teams: frozenset[str] = frozenset()
    status: str = "offline"
    changed_at: datetime | None = None
    last_assigned_at: datetime | None = None
    chosen_at: datetime | None = None


@dataclass
class Database:
    """The router's tables, as much of them as its write paths touch."""

    conversations: dict[str, Row] = field(default_factory=dict)
    agents: dict[str, Agent] = field(default_factory=dict)
    contacts: dict[tuple[str, str], dict] = field(default_factory=dict)
    messages: dict[str, dict] = field(default_factory=dict)
    applied_commands: set[str] = field(default_factory=set)
    ratings: dict[str, int] = field(default_factory=dict)

    def add_agent(self, status: str = "online", since: datetime | None = None, **fields) -> str:
        agent = Agent(id=str(uuid.uuid4()), status=status, changed_at=since, **fields)
        self.agents[agent.id] = agent
        return agent.id

    def add_conversation(self, status: str = "queued", **fields) -> str:
        row = Row(
            id=str(uuid.uuid4()), channel="webchat", customer_address=f"visitor-{uuid.uuid4().hex[:8]}", status=status
        )
        for name, value in fields.items():
            setattr(row, name, value)
        self.conversations[row.id] = row
        self.contacts.setdefault((row.channel, row.customer_address), _contact(""))
        return row.id

    def load(self, agent_id: str) -> int:
        """Open chats held or offered, as `lock_online_agents` counts them."""
        return sum(
            (c.agent_id == agent_id and c.status == "assigned") + (c.offered_to == agent_id)
            for c in self.conversations.values()
        )


def _contact(name: str) -> dict:
    return {"display_name": name, "reachable": True, "out_seq": 0, "account": ""}


class FakeConversations:
    """store.Conversations on a Database."""

    def __init__(self, db: Database, now: datetime) -> None:
        self.db, self.now = db, now

    async def upsert_contact(self, message: InboundMessage) -> str:
        contact = self.db.contacts.setdefault((message.channel.value, message.customer_address), _contact(""))
        contact["display_name"] = message.customer_name or contact["display_name"]
        return contact["display_name"]

    async def record_event(self, message: InboundMessage, reachable: bool | None) -> bool:
        raise NotImplementedError("channel events are not part of these tests")

    def _open(self, channel: str, address: str, unverified: bool) -> Row | None:
        return next(
            (
                c
                for c in self.db.conversations.values()
                if (c.channel, c.customer_address, c.unverified) == (channel, address, unverified)
                and c.status != "resolved"
            ),
            None,
        )

    async def find_open_conversation(self, channel: str, address: str, unverified: bool = False) -> Conversation | None:
        found = self._open(channel, address, unverified)
        return found.view() if found else None

    async def find_by_token(self, channel: str, token: str) -> Conversation | None:
        prefix = token.removeprefix("RD-").lower()
        found = [
            c
            for c in self.db.conversations.values()
            if c.id.startswith(prefix) and c.channel == channel and c.status != "resolved" and not c.unverified
        ]
        return found[0].view() if len(prefix) == 8 and found else None

    async def create_conversation(
        self, channel: str, address: str, opening: Opening, unverified: bool = False
    ) -> Conversation | None:
        if self._open(channel, address, unverified):
            return None  # the one-open-conversation index refuses
        queued = opening.status == "queued"
        row = Row(
            id=str(uuid.uuid4()),
            channel=channel,
            customer_address=address,
            status=opening.status,
            priority=opening.priority,
            category=opening.category,
            language=opening.language,
            queued_at=self.now if queued else None,
            preferred_agent_id=opening.preferred_agent_id,
            first_response_in=opening.first_response_in if queued else None,
            unverified=unverified,
            created_at=self.now,
        )
        self.db.conversations[row.id] = row
        return row.view()

    async def previous_agent(self, channel: str, address: str) -> tuple[str | None, datetime | None]:
        resolved = [
            c
            for c in self.db.conversations.values()
            if (c.channel, c.customer_address) == (channel, address) and c.status == "resolved" and c.agent_id
        ]
        last = max(resolved, key=lambda c: c.resolved_at or datetime.min, default=None)
        return (last.agent_id, last.resolved_at) if last else (None, None)

    async def queue_for_person(self, conversation_id: str, first_response_in: timedelta) -> None:
        row = self.db.conversations[conversation_id]
        row.status, row.queued_at = "queued", self.now
        row.first_response_in = row.first_response_in or first_response_in

    async def retriage(self, conversation: Conversation, priority: str, category: str, first_response_in) -> None:
        row = self.db.conversations[conversation.id]
        row.priority = priority
        row.category = category if row.category == "other" else row.category

    async def mark_bot_answered(self, conversation_id: str, faq_id: str) -> None:
        row = self.db.conversations[conversation_id]
        row.bot_answered_at, row.faq_id = self.now, faq_id

    async def mark_closed_notice(self, conversation_id: str) -> None:
        self.db.conversations[conversation_id].closed_notice_at = self.now

    async def lock_conversation(self, conversation_id: str) -> Conversation | None:
        found = self.db.conversations.get(conversation_id)
        return found.view() if found else None

    async def insert_inbound(self, message: InboundMessage, conversation_id: str, suggestions=()) -> bool:
        key = (message.channel.value, message.channel_message_id)
        if message.message_id in self.db.messages or any(m.get("key") == key for m in self.db.messages.values()):
            return False
        self.db.messages[message.message_id] = {
            "key": key,
            "conversation_id": conversation_id,
            "direction": "in",
            "text": message.text,
        }
        return True

    async def contact_reachable(self, channel: str, address: str) -> bool:
        return bool(self.db.contacts.get((channel, address), {}).get("reachable"))

    async def insert_reply(
        self, conversation: Conversation, message_id: str, agent_id: str | None, text: str, details=None, attachments=()
    ) -> Reply:
        contact = self.db.contacts[(conversation.channel, conversation.customer_address)]
        contact["out_seq"] += 1
        self.db.messages[message_id] = {
            "conversation_id": conversation.id,
            "direction": "out",
            "agent_id": agent_id,
            "text": text,
            "details": details or {},
        }
        if agent_id:
            row = self.db.conversations[conversation.id]
            row.first_response_at = row.first_response_at or self.now
        return Reply(contact["out_seq"], self.now, contact["account"])

    async def record_delivery(self, message_id: str, status: str, reason: str, at: datetime):
        message = self.db.messages.get(message_id)
        if message is None or message["direction"] != "out":
            return None
        if DELIVERY_RANK.get(message.get("delivery_status", ""), 0) >= DELIVERY_RANK[status]:
            return None
        message["delivery_status"] = status
        return message["conversation_id"], self.db.conversations[message["conversation_id"]].agent_id

    async def claim_command(self, command_id: str) -> bool:
        if command_id in self.db.applied_commands:
            return False
        self.db.applied_commands.add(command_id)
        return True

    async def resolve(self, conversation_id: str) -> datetime:
        row = self.db.conversations[conversation_id]
        row.status, row.resolved_at = "resolved", self.now
        return self.now

    async def surveyed_unrated(self, channel: str, address: str, asked_since: datetime) -> str | None:
        return None  # no survey asked in these tests


class FakeStaffing:
    """staffing.Staffing on a Database."""

    def __init__(self, db: Database, now: datetime) -> None:
        self.db, self.now = db, now

    async def lock_online_agents(self) -> list[AgentSlot]:
        return [
            AgentSlot(
                agent_id=a.id,
                capacity=a.capacity,
                load=self.db.load(a.id),
                skills=a.skills,
                languages=a.languages,
                channels=a.channels,
                teams=a.teams,
                idle_since=a.last_assigned_at or a.changed_at,
            )
            for a in sorted(self.db.agents.values(), key=lambda a: a.id)
            if a.status == "online"
        ]

    async def lock_queue(self, free_slots: int) -> tuple[list[Ticket], dict[str, frozenset[str]]]:
        waiting = sorted(
            (c for c in self.db.conversations.values() if c.status == "queued" and c.offered_to is None),
            key=lambda c: (PRIORITY_RANK.get(c.priority, len(PRIORITY_RANK)), c.queued_at),
        )[: free_slots * QUEUE_WINDOW]
        tickets = [
            Ticket(
                conversation_id=c.id,
                priority=c.priority,
                queued_at=c.queued_at or self.now,
                category=c.category,
                language=c.language,
                channel=c.channel,
                team=c.team,
                sticky_agent=c.preferred_agent_id,
            )
            for c in waiting
        ]
        return tickets, {c.id: frozenset(c.declined_by) for c in waiting if c.declined_by}

    async def team_has_members(self, team: str | None) -> bool:
        return team is not None and any(team in a.teams for a in self.db.agents.values())

    def _summary(self, row: Row) -> dict:
        contact = self.db.contacts.get((row.channel, row.customer_address), {})
        said = [
            m["text"] for m in self.db.messages.values() if m["conversation_id"] == row.id and m["direction"] == "in"
        ]
        return {
            "channel": row.channel,
            "customer_address": row.customer_address,
            "priority": row.priority,
            "category": row.category,
            "display_name": contact.get("display_name", ""),
            "preview": said[-1] if said else None,
            "sender_warning": None,
            "note": row.transfer_note,
        }

    async def assign(self, conversation_id: str, agent_id: str) -> dict:
        self.db.agents[agent_id].last_assigned_at = self.now
        row = self.db.conversations[conversation_id]
        summary = self._summary(row)
        row.status, row.agent_id, row.assigned_at, row.team = "assigned", agent_id, self.now, None
        row.offered_to, row.offered_at, row.declined_by, row.transfer_note = None, None, [], None
        return summary

    async def offer(self, conversation_id: str, agent_id: str) -> dict:
        row = self.db.conversations[conversation_id]
        row.offered_to, row.offered_at = agent_id, self.now
        return self._summary(row)

    async def withdraw_offer(self, conversation_id: str) -> None:
        row = self.db.conversations[conversation_id]
        row.declined_by.append(row.offered_to)
        row.offered_to, row.offered_at = None, None

    async def requeue(self, conversation_id: str, team: str | None = None) -> None:
        row = self.db.conversations[conversation_id]
        row.status, row.agent_id, row.queued_at, row.team = "queued", None, self.now, team

    async def leave_transfer_note(self, conversation_id: str, note: str) -> None:
        self.db.conversations[conversation_id].transfer_note = note or None

    async def set_agent_status(self, agent_id: str, status: str) -> str | None:
        agent = self.db.agents.get(agent_id)
        if agent is None:
            return None
        previous = agent.status
        if status != previous:
            agent.status, agent.changed_at = status, self.now
        return previous

    async def lock_agent_conversations(self, agent_id: str) -> list[str]:
        return sorted(c.id for c in self.db.conversations.values() if c.agent_id == agent_id and c.status == "assigned")

    async def record_choice(self, agent_id: str, chosen_at: datetime) -> None:
        self.db.agents[agent_id].chosen_at = chosen_at

    async def offers(self, limit: int) -> list[Held]:
        offered = [c for c in self.db.conversations.values() if c.offered_to and c.offered_at]
        return [Held(c.id, c.offered_to, c.offered_at) for c in sorted(offered, key=lambda c: c.offered_at)][:limit]

    async def lock_offers(self, chosen: list[Held]) -> list[Held]:
        return [h for h in chosen if (self.db.conversations[h.conversation_id].offered_at == h.since)]

    async def held_by_offline(self, limit: int) -> list[Held]:
        held = [
            Held(c.id, c.agent_id, self.db.agents[c.agent_id].changed_at)
            for c in self.db.conversations.values()
            if c.status == "assigned" and c.agent_id and self.db.agents[c.agent_id].status == "offline"
        ]
        return sorted(held, key=lambda h: (h.since, h.conversation_id))[:limit]

    async def lock_held_by_offline(self, chosen: list[Held]) -> list[Held]:
        def still(h: Held) -> bool:
            agent = self.db.agents[h.agent_id]
            row = self.db.conversations[h.conversation_id]
            return (row.agent_id, row.status, agent.status, agent.changed_at) == (
                h.agent_id,
                "assigned",
                "offline",
                h.since,
            )

        return [h for h in chosen if still(h)]

    async def unanswered(self, limit: int) -> list[Held]:
        waiting = [
            Held(c.id, c.agent_id, c.assigned_at, c.priority)
            for c in self.db.conversations.values()
            if c.status == "assigned" and c.first_response_at is None and c.agent_id and c.assigned_at
        ]
        by_priority: dict[str, list[Held]] = {}
        for held in sorted(waiting, key=lambda h: h.since):
            by_priority.setdefault(held.priority, []).append(held)
        return sorted((h for found in by_priority.values() for h in found[:limit]), key=lambda h: h.since)

    async def lock_unanswered(self, chosen: list[Held]) -> list[Held]:
        return [h for h in chosen if self.db.conversations[h.conversation_id].assigned_at == h.since]


class FakeOutbox:
    """The events a unit of work adds, as the Structs the handlers made."""

    def __init__(self) -> None:
        self.pending: list[tuple[str, msgspec.Struct]] = []

    def add(self, routing_key: str, event: msgspec.Struct, agent_id: str | None = None) -> None:
        self.pending.append((routing_key, event))


class FakeUnitOfWork:
    """RouterUnitOfWork's attributes on a Database: commit keeps the changes and the events,
    an exception restores the state the unit of work started from."""

    def __init__(self, db: Database, now: datetime) -> None:
        self.db, self.now = db, now
        self.published: list[tuple[str, msgspec.Struct]] = []

    async def __aenter__(self) -> "FakeUnitOfWork":
        self._before = copy.deepcopy(self.db.__dict__)
        self.outbox = FakeOutbox()
        self.conversations = FakeConversations(self.db, self.now)
        self.staffing = FakeStaffing(self.db, self.now)
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.db.__dict__.update(self._before)
            return
        self.published.extend(self.outbox.pending)

    async def run(self, work):
        async with self:
            return await work(self)

    def events(self, event_type: type | None = None) -> list[msgspec.Struct]:
        """The committed events, of `event_type` when given."""
        return [e for _, e in self.published if event_type is None or isinstance(e, event_type)]
