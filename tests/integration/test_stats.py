"""Supervisor statistics over the seeded dataset (tests/stats_data.py) match values worked out by hand.

Conversation keys below are the dataset's (1-30 in range, O1-O4 outside it). Percentiles interpolate:
pN of n sorted values sits at position N/100 * (n - 1), counting from 0.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from services.agent_api.queries import stats
from tests.stats_data import END, START, at, seed

pytestmark = pytest.mark.integration


@pytest.fixture
async def conn(env):
    connection = await env.db()
    await seed(connection)
    yield connection
    await connection.close()


async def test_volume_by_category_and_channel(conn):
    # payment 6 7 8 11 12 14 22 23 26 = 9; account 3 4 15 24 29 = 5; other 13 18 19 27 30 = 5;
    # loan 9 10 20 25 = 4; security 1 2 5 21 = 4; complaint 16 17 28 = 3 (O1-O4 are outside)
    assert await stats.volume_by_field(conn, START, END, "category") == [
        {"category": "payment", "count": 9},
        {"category": "account", "count": 5},
        {"category": "other", "count": 5},
        {"category": "loan", "count": 4},
        {"category": "security", "count": 4},
        {"category": "complaint", "count": 3},
    ]
    # webchat 1 4 6 10 11 13 14 15 21 23 27 29 = 12; wechat 2 3 9 12 20 22 25 28 = 8;
    # email 7 8 16 17 24 30 = 6; sms 5 18 19 26 = 4
    assert await stats.volume_by_field(conn, START, END, "channel") == [
        {"channel": "webchat", "count": 12},
        {"channel": "wechat", "count": 8},
        {"channel": "email", "count": 6},
        {"channel": "sms", "count": 4},
    ]


async def test_volume_by_day_follows_the_time_zone(conn):
    # Shanghai: 1-20 fall on D1 (incl. 1 at 00:00 and 20 at 23:59), 21-30 on D2; O2 at D3 00:00 is excluded.
    assert await stats.volume_over_time(conn, START, END, "day", "Asia/Shanghai") == [
        {"day": date(2024, 5, 6), "count": 20},
        {"day": date(2024, 5, 7), "count": 10},
    ]
    # UTC: the same range is 05-05 16:00Z to 05-07 16:00Z. 1 (16:00Z) and 2 (23:30Z) are on 05-05;
    # 3-20 (D1 09:05 .. 23:59 local = 01:05Z .. 15:59Z) on 05-06; 21-30 on 05-07.
    assert await stats.volume_over_time(conn, START, END, "day", "UTC") == [
        {"day": date(2024, 5, 5), "count": 2},
        {"day": date(2024, 5, 6), "count": 18},
        {"day": date(2024, 5, 7), "count": 10},
    ]


async def test_volume_by_hour_covers_every_hour_of_the_range(conn):
    rows = await stats.volume_over_time(conn, START, END, "hour", "Asia/Shanghai")
    assert [row["hour"] for row in rows] == [datetime(2024, 5, 6) + timedelta(hours=h) for h in range(48)]
    busy = {(row["hour"].day - 5, row["hour"].hour): row["count"] for row in rows if row["count"]}
    assert busy == {
        (1, 0): 1,
        (1, 7): 1,  # 1; 2
        (1, 9): 4,
        (1, 10): 4,
        (1, 11): 5,  # 3 4 5 6; 7 8 9 10; 11 12 13 14 15
        (1, 14): 2,
        (1, 15): 1,
        (1, 20): 1,
        (1, 23): 1,  # 16 17; 18; 19; 20
        (2, 9): 3,
        (2, 10): 2,
        (2, 15): 2,  # 21 22 23; 24 25; 26 27
        (2, 16): 1,
        (2, 22): 1,
        (2, 23): 1,  # 28; 29; 30
    }
    assert sum(row["count"] for row in rows) == 30


async def test_first_response_and_resolution_times(conn):
    rows = {row["priority"]: row for row in await stats.response_times(conn, START, END)}
    assert list(rows) == ["urgent", "high", "normal", "low", "all"]
    expected = {
        # first response: 60 90 120 180 240 -> p50 = [2] = 120; p90 at 3.6 = 180 + .6*60 = 216
        # resolution: 1800 3600 5400 7200 -> p50 at 1.5 = 4500; p90 at 2.7 = 5400 + .7*1800 = 6660
        "urgent": (6, 5, 120, 216, 4, 4500, 6660),
        # first response: 150 300 600 900 -> p50 at 1.5 = 450; p90 at 2.7 = 600 + .7*300 = 810
        # resolution: 900 1800 3600 14400 -> p50 at 1.5 = 2700; p90 at 2.7 = 3600 + .7*10800 = 11160
        "high": (6, 4, 450, 810, 4, 2700, 11160),
        # first response: 30 60 120 240 300 600 1200 1800 -> p50 at 3.5 = 270; p90 at 6.3 = 1200 + .3*600 = 1380
        # resolution: 300 600 900 1200 2400 3000 86400 -> p50 = [3] = 1200; p90 at 5.4 = 3000 + .4*83400 = 36360
        "normal": (13, 8, 270, 1380, 7, 1200, 36360),
        # first response: 60 1800 3600 -> p50 = 1800; p90 at 1.8 = 1800 + .8*1800 = 3240
        # resolution: 600 3600 3600 7200 -> p50 at 1.5 = 3600; p90 at 2.7 = 3600 + .7*3600 = 6120
        "low": (5, 3, 1800, 3240, 4, 3600, 6120),
        # first response, 20 values: 30 60 60 60 90 120 120 150 180 [240 240] 300 300 600 600 900 1200 [1800 1800] 3600
        #   p50 at 9.5 = 240; p90 at 17.1 = 1800 + .1*0 = 1800
        # resolution, 19 values: 300 600 600 900 900 1200 1800 1800 2400 [3000] 3600 3600 3600 3600 5400 7200
        #   [7200 14400] 86400 -> p50 = [9] = 3000; p90 at 16.2 = 7200 + .2*7200 = 8640
        "all": (30, 20, 240, 1800, 19, 3000, 8640),
    }
    for priority, (conversations, responded, fr50, fr90, resolved, rs50, rs90) in expected.items():
        assert rows[priority] == {
            "priority": priority,
            "conversations": conversations,
            "responded": responded,
            "first_response_p50_s": pytest.approx(fr50),
            "first_response_p90_s": pytest.approx(fr90),
            "resolved": resolved,
            "resolution_p50_s": pytest.approx(rs50),
            "resolution_p90_s": pytest.approx(rs90),
        }, priority


async def test_resolution_rate_is_resolved_over_created(conn):
    assert await stats.resolution(conn, START, END) == [
        {"priority": "urgent", "created": 6, "resolved": 4, "rate": pytest.approx(4 / 6)},  # 1 2 3 21 of 1-5, 21
        {"priority": "high", "created": 6, "resolved": 4, "rate": pytest.approx(4 / 6)},  # 6 7 9 22 of +8 28
        {"priority": "normal", "created": 13, "resolved": 7, "rate": pytest.approx(7 / 13)},  # 10 13 15 16 20 24 29
        {"priority": "low", "created": 5, "resolved": 4, "rate": pytest.approx(0.8)},  # 18 26 27 30 of +19
        {"priority": "all", "created": 30, "resolved": 19, "rate": pytest.approx(19 / 30)},  # 4+4+7+4 of 6+6+13+5
    ]


async def test_sla_breaches_by_kind_and_priority(conn):
    # In range: first response 5 (urgent), 8 28 (high), 19 (low); resolution 4 (urgent), 9 (high), 16 (normal).
    # Left out: 30's (D3 01:00) and O1's (D0 23:32).
    assert await stats.sla_breaches(conn, START, END) == [
        {"kind": "first_response", "priority": "urgent", "breaches": 1},
        {"kind": "first_response", "priority": "high", "breaches": 2},
        {"kind": "first_response", "priority": "low", "breaches": 1},
        {"kind": "first_response", "priority": "all", "breaches": 4},
        {"kind": "resolution", "priority": "urgent", "breaches": 1},
        {"kind": "resolution", "priority": "high", "breaches": 1},
        {"kind": "resolution", "priority": "normal", "breaches": 1},
        {"kind": "resolution", "priority": "all", "breaches": 3},
        {"kind": "all", "priority": "all", "breaches": 7},
    ]


async def test_self_service_counts_what_the_faq_settled_alone(conn):
    # The FAQ answered 11 12 13 14 15 23 (6). Self-served: 11 12 23 (still 'bot') and 13 (closed, nobody
    # involved) = 4; not 14 (queued for a person) nor 15 (bob took it). 4 of 30 created.
    assert await stats.self_service(conn, START, END) == {
        "conversations": 30,
        "bot_answered": 6,
        "self_served": 4,
        "rate": pytest.approx(4 / 30),
    }


async def test_csat_average_and_distribution(conn):
    # In range: 5 4 3 5 2 4 5 4 1 5 (O3's 1 and 30's 3 are outside): sum 38 over 10 = 3.8
    assert await stats.csat(conn, START, END) == {
        "responses": 10,
        "average": pytest.approx(3.8),
        "distribution": {"1": 1, "2": 1, "3": 1, "4": 3, "5": 4},  # 16; 7; 3; 2 9 13; 1 6 10 21
    }
    nothing = await stats.csat(conn, START - timedelta(days=30), START - timedelta(days=29))
    assert nothing == {"responses": 0, "average": None, "distribution": dict.fromkeys("12345", 0)}


async def test_live_counts_everything_open_now(conn):
    before = datetime.now(UTC)
    live = await stats.live(conn)
    after = datetime.now(UTC)
    # Queued: 5 (urgent), 28 (high), 14 O2 (normal), 19 (low). Assigned: 4 8 17 25 O1. Bot: 11 12 23.
    assert live["queued"] == {"urgent": 1, "high": 1, "normal": 2, "low": 1, "total": 5}
    assert live["open"] == {"bot": 3, "queued": 5, "assigned": 5, "total": 13}
    assert live["agents_online"] == 2  # alice, bob (carol is away, sam has never been online)
    oldest = at(1, "09:40")  # 5 has waited longest
    assert (before - oldest).total_seconds() - 1 <= live["longest_wait_s"] <= (after - oldest).total_seconds() + 1


async def test_per_agent_workload_and_performance(conn):
    rows = {row.pop("name"): row for row in await stats.agents(conn, START, END)}
    assert list(rows) == ["alice", "bob", "carol", "sam"]
    for row in rows.values():
        del row["agent_id"]
    assert rows["alice"] == {
        "role": "agent",
        "status": "online",
        "capacity": 5,
        "assigned_now": 2,  # 25, O1
        "handled": 7,  # resolved in range: 1 2 6 10 20 22 29
        "conversations": 8,
        "resolved": 7,
        "resolution_rate": pytest.approx(7 / 8),  # 1 2 6 10 20 22 25 29
        "first_response_p50_s": pytest.approx(120),  # 30 60 60 [120 120] 150 300 300
        "csat_responses": 4,
        "csat_average": pytest.approx(4.75),  # (5 + 4 + 5 + 5) / 4 from 1 2 6 10
    }
    assert rows["bob"] == {
        "role": "agent",
        "status": "online",
        "capacity": 5,
        "assigned_now": 1,  # 4
        "handled": 7,  # 3 9 15 18 21 26, and O4 resolved exactly at the start
        "conversations": 7,
        "resolved": 6,
        "resolution_rate": pytest.approx(6 / 7),  # 3 4 9 15 18 21 26; 4 open
        "first_response_p50_s": pytest.approx(240),  # 90 180 240 [240] 900 1800 3600
        "csat_responses": 3,
        "csat_average": pytest.approx(4.0),  # (3 + 4 + 5) / 3 from 3 9 21
    }
    assert rows["carol"] == {
        "role": "agent",
        "status": "away",
        "capacity": 5,
        "assigned_now": 2,  # 8, 17
        "handled": 3,  # 7 16 24; 30 is resolved after the end, O3 before the start
        "conversations": 6,
        "resolved": 4,
        "resolution_rate": pytest.approx(4 / 6),  # 7 8 16 17 24 30; 8 17 open
        "first_response_p50_s": pytest.approx(600),  # 60 600 [600] 1200 1800 (8 has no reply)
        "csat_responses": 2,
        "csat_average": pytest.approx(1.5),  # (2 + 1) / 2 from 7 16
    }
    assert rows["sam"] == {
        "role": "supervisor",
        "status": "offline",
        "capacity": 5,
        "assigned_now": 0,
        "handled": 0,
        "conversations": 0,
        "resolved": 0,
        "resolution_rate": None,
        "first_response_p50_s": None,
        "csat_responses": 0,
        "csat_average": None,
    }


async def test_an_empty_range_reports_zeros_not_errors(conn):
    start, end = datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 1, 2, tzinfo=UTC)
    assert await stats.volume_by_field(conn, start, end, "category") == []
    assert await stats.response_times(conn, start, end) == [
        {
            "priority": "all",
            "conversations": 0,
            "responded": 0,
            "first_response_p50_s": None,
            "first_response_p90_s": None,
            "resolved": 0,
            "resolution_p50_s": None,
            "resolution_p90_s": None,
        }
    ]
    assert await stats.resolution(conn, start, end) == [{"priority": "all", "created": 0, "resolved": 0, "rate": None}]
    assert await stats.sla_breaches(conn, start, end) == [{"kind": "all", "priority": "all", "breaches": 0}]
    assert await stats.self_service(conn, start, end) == {
        "conversations": 0,
        "bot_answered": 0,
        "self_served": 0,
        "rate": None,
    }


@pytest.mark.parametrize(
    ("table", "predicate", "index"),
    [
        ("conversations", stats.CREATED, "conversations_listing"),
        ("conversations", "status = 'resolved' AND resolved_at >= $1 AND resolved_at < $2", "conversations_resolved"),
        ("csat_responses", "answered_at >= $1 AND answered_at < $2", "csat_responses_answered"),
        ("sla_breaches", "breached_at >= $1 AND breached_at < $2", "sla_breaches_breached"),
    ],
)
async def test_range_look_ups_can_use_an_index(conn, table, predicate, index):
    # The seeded tables are small enough that a scan would win; forbid it to see that an index fits.
    await conn.execute(f"ANALYZE {table}; SET enable_seqscan = off")
    plan = "\n".join(row[0] for row in await conn.fetch(f"EXPLAIN SELECT * FROM {table} WHERE {predicate}", START, END))
    assert index in plan
