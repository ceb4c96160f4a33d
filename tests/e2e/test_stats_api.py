"""Supervisor statistics over HTTP: who may read them, JSON and CSV shapes, refused ranges and zones."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from tests.stats_data import END, START, seed
from tests.support import System

pytestmark = pytest.mark.e2e

RANGE = {"from": START.isoformat(), "to": END.isoformat()}  # 2024-05-06T00:00:00+08:00 .. 05-08


@pytest.fixture
async def api(env):
    """The router and the agent API over a database holding the statistics dataset."""
    conn = await env.db()
    try:
        await seed(conn)
    finally:
        await conn.close()
    system = await System(env, ["router", "agent_api"]).start()
    try:
        yield system
    finally:
        system.stop()


async def get(client, name: str, params: dict, headers: dict | None = None):
    async with client.http.get(
        client.env.url("agent_api", f"/v1/stats/{name}"), params=params, headers=headers or {}
    ) as response:
        return response.status, response.headers, await response.text()


async def test_only_supervisors_and_admins_read_statistics(api, people):
    agent = await people.agent(online=False, stream=False)
    for name in ("volume", "live", "agents", "nonsense"):
        status, body = await agent.request("GET", f"/v1/stats/{name}")
        assert (status, body["error"]["code"]) == (403, "forbidden"), name
    for role in ("supervisor", "admin"):
        boss = await people.agent(role=role, online=False, stream=False)
        status, body = await boss.request("GET", "/v1/stats/live")
        # The router, starting, hands the queued ones to alice and bob: only the open total is fixed.
        assert status == 200 and body["open"]["total"] == 13, (role, body)
        status, body = await boss.request("GET", "/v1/stats/nonsense")
        assert (status, body["error"]["code"]) == (404, "not_found")


async def test_json_statistics_over_a_range(api, people):
    supervisor = await people.agent(role="supervisor", online=False, stream=False)
    # An unencoded '+' in the offset arrives as a space; it still reads as +08:00.
    status, body = await supervisor.request(
        "GET", "/v1/stats/volume?group=channel&from=2024-05-06T00:00:00+08:00&to=2024-05-08T00:00:00+08:00"
    )
    assert status == 200, body
    assert (body["stat"], body["from"], body["to"], body["tz"]) == (
        "volume",
        "2024-05-05T16:00:00Z",
        "2024-05-07T16:00:00Z",
        "Asia/Shanghai",
    )
    assert (body["group"], body["total"]) == ("channel", 30)
    assert body["rows"][0] == {"channel": "webchat", "count": 12}

    status, body = await supervisor.request(
        "GET", "/v1/stats/volume?group=day&tz=UTC&from=2024-05-05T16:00:00Z&to=2024-05-07T16:00:00Z"
    )
    assert [(row["day"], row["count"]) for row in body["rows"]] == [
        ("2024-05-05", 2),
        ("2024-05-06", 18),
        ("2024-05-07", 10),
    ]

    for name, expected in [
        ("self_service", {"conversations": 30, "bot_answered": 6, "self_served": 4}),
        ("csat", {"responses": 10, "average": 3.8, "distribution": {"1": 1, "2": 1, "3": 1, "4": 3, "5": 4}}),
    ]:
        async with supervisor.http.get(supervisor.env.url("agent_api", f"/v1/stats/{name}"), params=RANGE) as response:
            assert response.status == 200 and response.content_type == "application/json"
            body = await response.json()
        assert {key: body[key] for key in expected} == expected

    status, body = await supervisor.request("GET", "/v1/stats/volume?group=category")  # the last 7 days
    assert status == 200 and (body["total"], body["rows"]) == (0, [])  # everything seeded is older
    span = datetime.fromisoformat(body["to"]) - datetime.fromisoformat(body["from"])
    assert span == timedelta(days=7) and datetime.now(UTC) - datetime.fromisoformat(body["to"]) < timedelta(minutes=1)


async def test_csv_export_of_each_statistic(api, people):
    supervisor = await people.agent(role="supervisor", online=False, stream=False)
    status, headers, text = await get(supervisor, "response_times", {**RANGE, "format": "csv"})
    assert status == 200 and headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Disposition"] == (
        'attachment; filename="response_times-20240505T160000Z-20240507T160000Z.csv"'
    )
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "priority",
        "conversations",
        "responded",
        "first_response_p50_s",
        "first_response_p90_s",
        "resolved",
        "resolution_p50_s",
        "resolution_p90_s",
    ]
    assert [row[0] for row in rows[1:]] == ["urgent", "high", "normal", "low", "all"]
    assert rows[-1] == ["all", "30", "20", "240", "1800", "19", "3000", "8640"]  # plain numbers, seconds

    status, headers, text = await get(supervisor, "csat", RANGE, headers={"Accept": "text/csv"})
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(text))) == [
        [
            "responses",
            "average",
            "distribution_1",
            "distribution_2",
            "distribution_3",
            "distribution_4",
            "distribution_5",
        ],
        ["10", "3.8", "1", "1", "1", "3", "4"],
    ]

    status, _, text = await get(supervisor, "resolution", {**RANGE, "format": "csv"})
    assert list(csv.reader(io.StringIO(text)))[-1] == ["all", "30", "19", "0.633333"]  # 19 / 30

    status, _, text = await get(
        supervisor,
        "volume",
        {"group": "category", "format": "csv", "from": "2020-01-01T00:00:00Z", "to": "2020-01-02T00:00:00Z"},
    )
    assert status == 200 and text.splitlines() == ["category,count"]  # an empty range still names its columns

    for name in ("volume", "sla", "self_service", "live", "agents"):
        status, headers, text = await get(supervisor, name, {**RANGE, "format": "csv"})
        header, *body = list(csv.reader(io.StringIO(text)))
        assert status == 200 and header and body and all(len(row) == len(header) for row in body), name
        assert headers["Content-Disposition"].startswith(f'attachment; filename="{name}-'), name


BAD_QUERIES = [
    "from=2024-05-08T00:00:00Z&to=2024-05-06T00:00:00Z",  # backwards
    "from=2024-05-06T00:00:00Z&to=2024-05-06T00:00:00Z",  # empty
    "from=2023-01-01T00:00:00Z&to=2024-01-03T00:00:00Z",  # 367 days
    "from=2024-05-06T00:00:00",  # no offset
    "from=yesterday",
    "tz=Mars/Olympus_Mons",
    "tz=../../etc/passwd",
    "tz=" + "x" * 300,
    "to=0001-01-01T00:00:00Z",  # its default start would be before year 1
    "group=week",
    "format=xlsx",
]


async def test_bad_ranges_zones_and_options_are_refused(api, people):
    supervisor = await people.agent(role="supervisor", online=False, stream=False)
    for query in BAD_QUERIES:
        status, body = await supervisor.request("GET", f"/v1/stats/volume?{query}")
        assert (status, body["error"]["code"]) == (422, "invalid_request"), (query, body)
