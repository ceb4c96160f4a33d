"""A statistics dataset at known times: agents, conversations, SLA breaches and survey answers.

Times are Asia/Shanghai wall-clock (UTC+8, no DST). The range the tests ask about is D1 00:00 to
D3 00:00 local, i.e. Mon 2024-05-06 and Tue 2024-05-07; D0 is the day before, D3 the day after.
tests/integration/test_stats.py works out by hand what every statistic must say about it.
"""

import uuid
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import asyncpg

from services.agent_api.commands.accounts import add_agent

SHANGHAI = ZoneInfo("Asia/Shanghai")
D0 = date(2024, 5, 5)


def at(day: int, clock: str) -> datetime:
    """Day `day` (0 = 2024-05-05) at `clock` ('HH:MM' or 'HH:MM:SS') in Shanghai."""
    return datetime.combine(D0 + timedelta(days=day), time.fromisoformat(clock), SHANGHAI)


START, END = at(1, "00:00"), at(3, "00:00")

AGENTS = {
    "alice": ("agent", "online"),
    "bob": ("agent", "online"),
    "carol": ("agent", "away"),
    "sam": ("supervisor", None),
}
"""name: (role, status in agent_state); sam has no agent_state row, which reads as offline."""


class Conversation(NamedTuple):
    key: str
    day: int
    clock: str
    channel: str
    category: str
    priority: str
    status: str
    agent: str | None = None
    first_response_s: int | None = None
    resolved_s: int | None = None
    bot: bool = False


C = Conversation
CONVERSATIONS = [
    # key  day  local    channel    category     priority  status      agent    1st resp  resolved  bot
    C("1", 1, "00:00", "webchat", "security", "urgent", "resolved", "alice", 60, 3600),  # created exactly at START
    C("2", 1, "07:30", "wechat", "security", "urgent", "resolved", "alice", 120, 7200),  # still D0 in UTC
    C("3", 1, "09:05", "wechat", "account", "urgent", "resolved", "bob", 180, 5400),
    C("4", 1, "09:20", "webchat", "account", "urgent", "assigned", "bob", 240),
    C("5", 1, "09:40", "sms", "security", "urgent", "queued"),
    C("6", 1, "09:50", "webchat", "payment", "high", "resolved", "alice", 300, 1800),
    C("7", 1, "10:10", "email", "payment", "high", "resolved", "carol", 600, 3600),
    C("8", 1, "10:15", "email", "payment", "high", "assigned", "carol"),  # no reply yet
    C("9", 1, "10:30", "wechat", "loan", "high", "resolved", "bob", 900, 14400),
    C("10", 1, "10:45", "webchat", "loan", "normal", "resolved", "alice", 60, 600),
    C("11", 1, "11:00", "webchat", "payment", "normal", "bot", bot=True),
    C("12", 1, "11:05", "wechat", "payment", "normal", "bot", bot=True),
    C("13", 1, "11:10", "webchat", "other", "normal", "resolved", None, None, 900, bot=True),  # FAQ, then closed
    C("14", 1, "11:20", "webchat", "payment", "normal", "queued", bot=True),  # FAQ did not help: waits for a person
    C("15", 1, "11:30", "webchat", "account", "normal", "resolved", "bob", 240, 2400, bot=True),  # FAQ, then bob
    C("16", 1, "14:00", "email", "complaint", "normal", "resolved", "carol", 1200, 86400),  # resolved D2 14:00
    C("17", 1, "14:30", "email", "complaint", "normal", "assigned", "carol", 1800),
    C("18", 1, "15:00", "sms", "other", "low", "resolved", "bob", 3600, 7200),
    C("19", 1, "20:00", "sms", "other", "low", "queued"),
    C("20", 1, "23:59", "wechat", "loan", "normal", "resolved", "alice", 120, 1200),  # resolved D2 00:19
    C("21", 2, "09:00", "webchat", "security", "urgent", "resolved", "bob", 90, 1800),
    C("22", 2, "09:10", "wechat", "payment", "high", "resolved", "alice", 150, 900),
    C("23", 2, "09:30", "webchat", "payment", "normal", "bot", bot=True),
    C("24", 2, "10:00", "email", "account", "normal", "resolved", "carol", 600, 3000),
    C("25", 2, "10:20", "wechat", "loan", "normal", "assigned", "alice", 300),
    C("26", 2, "15:00", "sms", "payment", "low", "resolved", "bob", 1800, 3600),
    C("27", 2, "15:30", "webchat", "other", "low", "resolved", None, None, 600),  # closed with nobody, no FAQ
    C("28", 2, "16:00", "wechat", "complaint", "high", "queued"),
    C("29", 2, "22:00", "webchat", "account", "normal", "resolved", "alice", 30, 300),
    C("30", 2, "23:30", "email", "other", "low", "resolved", "carol", 60, 3600),  # resolved D3 00:30, after END
    # Outside the range, but part of what is live now and of who resolved what when.
    C("O1", 0, "23:30", "webchat", "security", "urgent", "assigned", "alice", 60),
    C("O2", 3, "00:00", "wechat", "payment", "normal", "queued"),  # created exactly at END
    C("O3", 0, "12:00", "email", "account", "normal", "resolved", "carol", 100, 200),
    C("O4", 0, "22:00", "webchat", "loan", "normal", "resolved", "bob", 600, 7200),  # resolved exactly at START
]

BREACHES = [  # conversation, kind, breached at (day, local)
    ("5", "first_response", 1, "09:42"),
    ("4", "resolution", 1, "13:20"),
    ("8", "first_response", 1, "10:20"),
    ("9", "resolution", 1, "18:30"),
    ("16", "resolution", 2, "14:00"),
    ("19", "first_response", 2, "00:00"),
    ("28", "first_response", 2, "16:05"),
    ("30", "resolution", 3, "01:00"),  # after END
    ("O1", "first_response", 0, "23:32"),  # before START
]

SURVEYS = [  # conversation, score, answered at (day, local); the agent is the conversation's
    ("1", 5, 1, "02:00"),
    ("2", 4, 1, "10:00"),
    ("3", 3, 1, "12:00"),
    ("6", 5, 1, "11:00"),
    ("7", 2, 1, "12:00"),
    ("9", 4, 1, "16:00"),
    ("10", 5, 1, "11:00"),
    ("13", 4, 1, "12:00"),
    ("16", 1, 2, "15:00"),
    ("21", 5, 2, "10:00"),
    ("O3", 1, 0, "13:00"),  # before START
    ("30", 3, 3, "02:00"),  # after END
]


def _after(start: datetime, seconds: int | None) -> datetime | None:
    return None if seconds is None else start + timedelta(seconds=seconds)


class Seeded(NamedTuple):
    agents: dict[str, str]
    """Agent id by name."""
    conversations: dict[str, str]
    """Conversation id by key."""


async def seed(conn: asyncpg.Connection) -> Seeded:
    """Write the dataset as the router would have left it."""
    agents = {}
    for name, (role, status) in AGENTS.items():
        agents[name], _ = await add_agent(conn, name, capacity=5, skills=[], languages=["zh"], role=role)
        if status:
            await conn.execute(
                "INSERT INTO agent_state (agent_id, status) VALUES ($1, $2)", uuid.UUID(agents[name]), status
            )
    ids = {c.key: uuid.uuid4() for c in CONVERSATIONS}
    by_key = {c.key: c for c in CONVERSATIONS}
    for c in CONVERSATIONS:
        created = at(c.day, c.clock)
        agent = uuid.UUID(agents[c.agent]) if c.agent else None
        address = f"customer-{c.key}"
        self_served = c.bot and c.agent is None and c.status != "queued"  # never waited in the queue
        await conn.execute("INSERT INTO contacts (channel, address) VALUES ($1, $2)", c.channel, address)
        await conn.execute(
            "INSERT INTO conversations (id, channel, customer_address, status, agent_id, priority, category,"
            " created_at, queued_at, assigned_at, first_response_at, resolved_at, bot_answered_at, faq_id)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            ids[c.key],
            c.channel,
            address,
            c.status,
            agent,
            c.priority,
            c.category,
            created,
            None if self_served else _after(created, 60 if c.bot else 0),
            created if agent else None,
            _after(created, c.first_response_s),
            _after(created, c.resolved_s),
            _after(created, 5 if c.bot else None),
            "faq-test" if c.bot else None,
        )
    for key, kind, day, clock in BREACHES:
        c = by_key[key]
        await conn.execute(
            "INSERT INTO sla_breaches (conversation_id, kind, priority, category, agent_id, due_at, breached_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $6)",
            ids[key],
            kind,
            c.priority,
            c.category,
            uuid.UUID(agents[c.agent]) if c.agent else None,
            at(day, clock),
        )
    for key, score, day, clock in SURVEYS:
        c = by_key[key]
        await conn.execute(
            "INSERT INTO csat_responses (conversation_id, channel, agent_id, score, answered_at)"
            " VALUES ($1, $2, $3, $4, $5)",
            ids[key],
            c.channel,
            uuid.UUID(agents[c.agent]) if c.agent else None,
            score,
            at(day, clock),
        )
    return Seeded(agents, {key: str(value) for key, value in ids.items()})
