"""Who each audience kind reaches, planned against a real PostgreSQL: one row per person, on
their best channel, resumable from the last key."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from services.notifier import fanout
from services.notifier.reach import QuietHours

pytestmark = pytest.mark.integration

CONTENT = {"email": {"subject": "s", "text": "t"}, "sms": {"text": "t"}, "wechat": {"text": "t"}}
NOW = datetime.now(UTC)


@pytest.fixture
async def pool(env):
    pool = await asyncpg.create_pool(env.settings.database_url, min_size=1, max_size=4)
    conn = await pool.acquire()
    try:
        await conn.executemany(
            "INSERT INTO contacts (channel, address, reachable, last_inbound_at) VALUES ($1, $2, $3, $4)",
            [
                ("sms", "+8613800000001", True, NOW - timedelta(days=3)),
                ("email", "a@example.com", True, NOW - timedelta(days=1)),  # Ann: the email is newer
                ("sms", "+8613800000002", False, NOW),  # Bo opted out of SMS...
                ("wechat", "openid-bo", True, NOW - timedelta(hours=5)),  # ...but follows on WeChat
                ("sms", "+8613800000003", True, NOW),  # a lone contact
                ("webchat", "visitor-1", True, NOW),  # no push channel
            ],
        )
        ann, bo = uuid.uuid4(), uuid.uuid4()
        await conn.executemany(
            "INSERT INTO customers (id, external_id, tags) VALUES ($1, $2, $3)",
            [(ann, "W-1", ["vip"]), (bo, "W-2", [])],
        )
        await conn.executemany(
            "INSERT INTO customer_identities (channel, address, customer_id) VALUES ($1, $2, $3)",
            [
                ("sms", "+8613800000001", ann),
                ("email", "a@example.com", ann),
                ("sms", "+8613800000002", bo),
                ("wechat", "openid-bo", bo),
            ],
        )
        conversation = uuid.uuid4()
        await conn.execute(
            "INSERT INTO conversations (id, channel, customer_address, status, category, created_at)"
            " VALUES ($1, 'sms', '+8613800000003', 'resolved', 'loan', $2)",
            conversation,
            NOW - timedelta(days=2),
        )
        await conn.execute("INSERT INTO agents (id, name, role, capacity) VALUES ($1, 'a', 'agent', 1)", ann)
        await conn.execute(
            "INSERT INTO conversation_tags (conversation_id, tag, added_by) VALUES ($1, 'late', $2)", conversation, ann
        )
    finally:
        await pool.release(conn)
    yield pool
    await pool.close()


async def planned(pool, audience: dict, content: dict = CONTENT, members: list[str] = (), batch: int = 1000) -> dict:
    broadcast_id = uuid.uuid4()
    await pool.execute(
        "INSERT INTO broadcasts (id, name, audience, content, send_at, state)"
        " VALUES ($1, 'b', $2::jsonb, $3::jsonb, now(), 'planning')",
        broadcast_id,
        json.dumps(audience),
        json.dumps(content),
    )
    await pool.executemany(
        "INSERT INTO broadcast_members (broadcast_id, customer_ref) VALUES ($1, $2)",
        [(broadcast_id, ref) for ref in members],
    )
    while await fanout.plan(pool, str(broadcast_id), QuietHours(), batch=batch):
        pass
    rows = await pool.fetch(
        "SELECT address, state, reason FROM broadcast_recipients WHERE broadcast_id = $1", broadcast_id
    )
    assert await pool.fetchval("SELECT state FROM broadcasts WHERE id = $1", broadcast_id) == "sending"
    return {row["address"]: (row["state"], row["reason"]) for row in rows}


async def test_everyone_is_one_row_per_person_on_their_best_channel(pool):
    assert await planned(pool, {"kind": "everyone"}) == {
        "a@example.com": ("queued", ""),  # Ann once, by her most recent channel
        "openid-bo": ("queued", ""),  # Bo where he can still be reached
        "+8613800000003": ("queued", ""),
    }


async def test_a_person_reached_only_where_there_is_no_content_is_skipped(pool):
    found = await planned(pool, {"kind": "everyone"}, content={"sms": {"text": "t"}})
    assert found == {
        "+8613800000001": ("queued", ""),
        "+8613800000002": ("skipped", "opted_out"),
        "+8613800000003": ("queued", ""),
    }


@pytest.mark.parametrize(
    ("audience", "members", "addresses"),
    [
        ({"kind": "channel", "channels": ["sms"]}, [], {"+8613800000001", "+8613800000002", "+8613800000003"}),
        ({"kind": "tag", "tags": ["vip"]}, [], {"a@example.com"}),
        ({"kind": "tag", "tags": ["late"]}, [], {"+8613800000003"}),
        ({"kind": "customers", "customer_ids": ["W-2"]}, ["W-2"], {"openid-bo"}),
        (
            {
                "kind": "category",
                "category": "loan",
                "from": (NOW - timedelta(days=7)).isoformat(),
                "to": NOW.isoformat(),
            },
            [],
            {"+8613800000003"},
        ),
        (
            {
                "kind": "category",
                "category": "loan",
                "from": (NOW - timedelta(days=1)).isoformat(),
                "to": NOW.isoformat(),
            },
            [],
            set(),
        ),
    ],
)
async def test_each_audience_kind(pool, audience, members, addresses):
    assert set(await planned(pool, audience, members=members)) == addresses


async def test_planning_in_small_batches_gives_the_same_rows(pool):
    assert await planned(pool, {"kind": "everyone"}, batch=1) == await planned(pool, {"kind": "everyone"})
