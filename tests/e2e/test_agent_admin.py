"""Roles and tokens end to end: the admin endpoints' role matrix, rotation, revocation, expiry,
per-token rate limits, and the `relaydesk tokens` commands."""

import asyncio
import subprocess
import sys
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from services.agent_api.commands import accounts
from tests.support import System

pytestmark = pytest.mark.e2e

ROLES = ("agent", "supervisor", "admin")
GENEROUS = {"agent_api_rate": 1000.0, "agent_api_burst": 1000}


@asynccontextmanager
async def running(env, **limits):
    system = await System(env, ["router", "agent_api"], **(GENEROUS | limits)).start()
    try:
        yield system
    finally:
        system.stop()


async def call(env, token: str | None, method: str, path: str, body=None) -> tuple[int, dict | None]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession(headers=headers) as http,
        http.request(method, env.url("agent_api", path), json=body) as response,
    ):
        return response.status, (await response.json() if response.content_length else None)


async def in_db(env, work):
    conn = await env.db()
    try:
        return await work(conn)
    finally:
        await conn.close()


async def new_agent(env, role: str = "agent") -> tuple[str, str]:
    """(agent_id, token) of a fresh agent."""
    return await in_db(
        env,
        lambda conn: accounts.add_agent(
            conn, f"{role}-{uuid.uuid4().hex[:8]}", capacity=2, skills=[], languages=["en"], role=role
        ),
    )


async def new_token(env, agent_id: str, name: str = "spare", expires_at=None) -> tuple[str, str]:
    return await in_db(env, lambda conn: accounts.create_token(conn, agent_id, name, expires_at))


def endpoints(target_agent: str, rotate_id: str, revoke_id: str) -> list[tuple[str, str, dict | None, int]]:
    """Each admin endpoint once: (method, path, body, status an admin gets)."""
    return [
        ("GET", "/v1/admin/agents", None, 200),
        ("POST", "/v1/admin/agents", {"name": f"new-{uuid.uuid4().hex[:8]}", "role": "agent", "capacity": 3}, 201),
        ("GET", "/v1/admin/tokens", None, 200),
        ("GET", f"/v1/admin/tokens?agent_id={target_agent}", None, 200),
        ("POST", f"/v1/admin/agents/{target_agent}/tokens", {"name": "ci"}, 201),
        ("POST", f"/v1/admin/tokens/{rotate_id}/rotate", None, 200),
        ("DELETE", f"/v1/admin/tokens/{revoke_id}", None, 204),
    ]


async def test_role_matrix_of_the_admin_endpoints(env):
    async with running(env):
        callers = {role: (await new_agent(env, role))[1] for role in ROLES} | {"nobody": None}
        target, target_token = await new_agent(env)
        for role, token in callers.items():
            rotate_id, _ = await new_token(env, target, "to-rotate")
            revoke_id, _ = await new_token(env, target, "to-revoke")
            for method, path, body, admin_status in endpoints(target, rotate_id, revoke_id):
                expected = {"admin": admin_status, "nobody": 401}.get(role, 403)
                status, answer = await call(env, token, method, path, body)
                assert status == expected, (role, method, path, answer)
                if status == 403:
                    assert answer["error"]["code"] == "forbidden"
            if role != "admin":  # refused calls changed nothing
                states = await in_db(env, lambda conn: accounts.list_tokens(conn, target))
                assert {t["id"]: t["status"] for t in states}[rotate_id] == "active"
                assert {t["id"]: t["status"] for t in states}[revoke_id] == "active"
        assert (await call(env, target_token, "GET", "/v1/me"))[0] == 200


async def test_admin_creates_agents_and_tokens_whose_secrets_show_once_and_work(env):
    async with running(env):
        _, admin = await new_agent(env, "admin")
        status, created = await call(
            env,
            admin,
            "POST",
            "/v1/admin/agents",
            {"name": "王芳", "role": "supervisor", "capacity": 4, "skills": ["loan"], "teams": ["complaints"]},
        )
        assert status == 201
        agent = created["agent"]
        fields = ("name", "role", "capacity", "skills", "languages", "teams")
        assert [agent[f] for f in fields] == ["王芳", "supervisor", 4, ["loan"], ["zh", "en"], ["complaints"]]
        assert (created["token"]["name"], created["token"]["status"]) == ("initial", "active")
        assert created["token"]["secret"].startswith("rdk_")
        status, me = await call(env, created["token"]["secret"], "GET", "/v1/me")
        assert (status, me["id"], me["role"]) == (200, agent["id"], "supervisor")

        status, listed = await call(env, admin, "GET", "/v1/admin/agents")
        assert status == 200 and agent in listed["agents"]
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        status, made = await call(
            env, admin, "POST", f"/v1/admin/agents/{agent['id']}/tokens", {"name": "console", "expires_at": tomorrow}
        )
        assert status == 201 and (made["name"], made["agent_id"], made["status"]) == ("console", agent["id"], "active")
        assert (await call(env, made["secret"], "GET", "/v1/me"))[0] == 200
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {admin}"}) as http:
            url = env.url("agent_api", f"/v1/admin/agents/{agent['id']}/tokens")
            async with http.post(url, json={"name": "x"}) as response:
                assert (response.status, response.headers["Cache-Control"]) == (201, "no-store")
        status, tokens = await call(env, admin, "GET", f"/v1/admin/tokens?agent_id={agent['id']}")
        assert status == 200 and [t["name"] for t in tokens["tokens"]] == ["x", "console", "initial"]
        shown = repr(tokens)
        assert "secret" not in shown and "hash" not in shown and made["secret"] not in shown
        assert [t["last_used_at"] is not None for t in tokens["tokens"]] == [False, True, True]


async def test_admin_requests_that_do_not_fit_are_refused_and_change_nothing(env):
    async with running(env):
        agent, _ = await new_agent(env)
        _, admin = await new_agent(env, "admin")
        revoked, _ = await new_token(env, agent)
        await in_db(env, lambda conn: accounts.revoke_token(conn, revoked))
        taken = (await in_db(env, accounts.list_agents))[0]["name"]
        unknown = str(uuid.uuid4())
        past, naive = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(), "2099-01-01T00:00:00"
        cases = [
            ("POST", "/v1/admin/agents", {}, 422, "invalid_request"),
            ("POST", "/v1/admin/agents", {"name": "x", "role": "king"}, 422, "invalid_request"),
            ("POST", "/v1/admin/agents", {"name": "x", "capacity": 0}, 422, "invalid_request"),
            ("POST", "/v1/admin/agents", {"name": "x", "token_hash": "x"}, 422, "invalid_request"),
            ("POST", "/v1/admin/agents", {"name": "   "}, 422, "invalid_request"),
            ("POST", "/v1/admin/agents", {"name": taken}, 409, "agent_exists"),
            ("POST", f"/v1/admin/agents/{agent}/tokens", {"name": ""}, 422, "invalid_request"),
            ("POST", f"/v1/admin/agents/{agent}/tokens", {"name": "ci", "expires_at": past}, 422, "invalid_request"),
            ("POST", f"/v1/admin/agents/{agent}/tokens", {"name": "ci", "expires_at": naive}, 422, "invalid_request"),
            ("POST", f"/v1/admin/agents/{unknown}/tokens", {"name": "ci"}, 404, "no_such_agent"),
            ("POST", "/v1/admin/agents/not-a-uuid/tokens", {"name": "ci"}, 404, "no_such_agent"),
            ("GET", f"/v1/admin/tokens?agent_id={unknown}", None, 404, "no_such_agent"),
            ("POST", f"/v1/admin/tokens/{unknown}/rotate", None, 404, "no_such_token"),
            ("POST", f"/v1/admin/tokens/{revoked}/rotate", None, 409, "token_revoked"),
            ("DELETE", f"/v1/admin/tokens/{unknown}", None, 404, "no_such_token"),
            ("DELETE", "/v1/admin/tokens/not-a-uuid", None, 404, "no_such_token"),
        ]
        before = await in_db(env, lambda conn: conn.fetchval("SELECT count(*) FROM agent_tokens"))
        for method, path, body, status, code in cases:
            got, answer = await call(env, admin, method, path, body)
            assert (got, answer["error"]["code"]) == (status, code), (method, path, body, answer)
        assert await in_db(env, lambda conn: conn.fetchval("SELECT count(*) FROM agent_tokens")) == before


async def test_rotated_revoked_and_expired_tokens_stop_working(env):
    async with running(env):
        agent, initial = await new_agent(env)
        _, admin = await new_agent(env, "admin")
        _, listed = await call(env, admin, "GET", f"/v1/admin/tokens?agent_id={agent}")
        [initial_id] = [t["id"] for t in listed["tokens"]]
        status, rotated = await call(env, admin, "POST", f"/v1/admin/tokens/{initial_id}/rotate")
        assert status == 200 and (rotated["replaces"], rotated["name"]) == (initial_id, "initial")
        assert await refused(env, initial)
        assert (await call(env, rotated["secret"], "GET", "/v1/me"))[0] == 200

        assert (await call(env, admin, "DELETE", f"/v1/admin/tokens/{rotated['id']}"))[0] == 204
        assert await refused(env, rotated["secret"])
        assert (await call(env, admin, "DELETE", f"/v1/admin/tokens/{rotated['id']}"))[0] == 204  # idempotent

        expiring_id, expiring = await new_token(env, agent, "short", datetime.now(UTC) + timedelta(hours=1))
        assert (await call(env, expiring, "GET", "/v1/me"))[0] == 200
        await in_db(
            env,
            lambda conn: conn.execute(
                "UPDATE agent_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", uuid.UUID(expiring_id)
            ),
        )
        assert await refused(env, expiring)
        async with aiohttp.ClientSession() as http:  # the stream refuses it too
            with pytest.raises(aiohttp.WSServerHandshakeError) as refusal:
                await http.ws_connect(env.url("agent_api", f"/v1/stream?access_token={expiring}"))
        assert refusal.value.status == 401


async def test_open_streams_close_within_seconds_when_their_token_is_revoked_or_expires(env):
    async with running(env), aiohttp.ClientSession() as http:
        agent, first = await new_agent(env)
        _, admin = await new_agent(env, "admin")
        second_id, second = await new_token(env, agent, "second", datetime.now(UTC) + timedelta(hours=1))
        [first_id] = [
            t["id"]
            for t in (await call(env, admin, "GET", f"/v1/admin/tokens?agent_id={agent}"))[1]["tokens"]
            if t["id"] != second_id
        ]
        streams = [
            await http.ws_connect(env.url("agent_api", f"/v1/stream?access_token={token}")) for token in (first, second)
        ]
        for ws in streams:  # both open and served
            await ws.send_str("ping")
            assert (await asyncio.wait_for(ws.receive_json(), 5)) == {"type": "pong"}

        assert (await call(env, admin, "DELETE", f"/v1/admin/tokens/{first_id}"))[0] == 204
        closed = await asyncio.wait_for(streams[0].receive(), 10)  # re-checked every 3 s by default
        assert (closed.type, streams[0].close_code) == (aiohttp.WSMsgType.CLOSE, 4401)
        await streams[1].send_str("ping")  # the other token's stream is untouched
        assert (await asyncio.wait_for(streams[1].receive_json(), 5)) == {"type": "pong"}

        await in_db(
            env,
            lambda conn: conn.execute(
                "UPDATE agent_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", uuid.UUID(second_id)
            ),
        )
        closed = await asyncio.wait_for(streams[1].receive(), 10)
        assert (closed.type, streams[1].close_code) == (aiohttp.WSMsgType.CLOSE, 4401)


async def refused(env, token: str) -> bool:
    status, answer = await call(env, token, "GET", "/v1/me")
    return (status, answer["error"]["code"]) == (401, "invalid_token")


async def test_each_token_is_limited_to_its_burst_then_told_when_to_retry(env):
    burst, rate = 5, 0.05  # one request back every 20 s: nothing refills during the test
    async with running(env, agent_api_burst=burst, agent_api_rate=rate):
        agent, token = await new_agent(env)
        statuses = [(await call(env, token, "GET", "/v1/me"))[0] for _ in range(burst)]
        assert statuses == [200] * burst
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(headers=headers) as http:
            async with http.get(env.url("agent_api", "/v1/conversations")) as response:
                assert response.status == 429
                assert 1 <= int(response.headers["Retry-After"]) <= 1 / rate
                assert (await response.json())["error"]["code"] == "rate_limited"
            # Outside /v1: never limited (and an agent's token is not the metrics token).
            for path, expected in (("/healthz", 200), ("/readyz", 200), ("/metrics", 401)):
                for _ in range(burst + 1):
                    async with http.get(env.url("agent_api", path)) as response:
                        assert response.status == expected, path

        _, other = await new_token(env, agent)  # the same agent's other token has its own budget
        for _ in range(burst - 1):
            assert (await call(env, other, "GET", "/v1/me"))[0] == 200
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {other}"}) as http:
            ws = await http.ws_connect(env.url("agent_api", "/v1/stream"))  # the handshake is the last one
            await ws.close()
            with pytest.raises(aiohttp.WSServerHandshakeError) as refusal:
                await http.ws_connect(env.url("agent_api", "/v1/stream"))
            assert refusal.value.status == 429
        assert (await call(env, other, "GET", "/v1/me"))[0] == 429


def relaydesk(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "relaydesk.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )


def token_rows(env, *agent: str) -> list[dict]:
    result = relaydesk("tokens", "list", *agent, env=env.environ())
    assert result.returncode == 0, result.stderr
    header, *rows = [line.split("\t") for line in result.stdout.splitlines()]
    return [dict(zip(header, row, strict=True)) for row in rows]


async def test_the_tokens_commands_create_list_rotate_and_revoke(env):
    async with running(env):
        assert relaydesk("agents", "add", "陈静", env=env.environ()).returncode == 0
        created = relaydesk(
            "tokens", "create", "陈静", "--name", "laptop", "--expires-in-days", "30", env=env.environ()
        )
        assert created.returncode == 0, created.stderr
        secret = created.stdout.strip()
        assert secret.startswith("rdk_") and "\n" not in secret
        assert (await call(env, secret, "GET", "/v1/me"))[0] == 200

        rows = token_rows(env, "陈静")
        assert [(r["agent_name"], r["name"], r["status"]) for r in rows] == [
            ("陈静", "laptop", "active"),
            ("陈静", "initial", "active"),
        ]
        assert rows[0]["expires_at"] != "-" and rows[1]["expires_at"] == "-"
        assert secret not in repr(token_rows(env)) and rows[0] in token_rows(env)

        rotated = relaydesk("tokens", "rotate", rows[0]["id"], env=env.environ())
        assert rotated.returncode == 0, rotated.stderr
        successor = rotated.stdout.strip()
        assert await refused(env, secret)
        assert (await call(env, successor, "GET", "/v1/me"))[0] == 200
        [new_row] = [r for r in token_rows(env, "陈静") if r["status"] == "active" and r["name"] == "laptop"]
        revoked = relaydesk("tokens", "revoke", new_row["id"], env=env.environ())
        assert revoked.returncode == 0 and new_row["id"] in revoked.stdout
        assert await refused(env, successor)

        for bad in [
            ("tokens", "create", "nobody"),
            ("tokens", "create", "陈静", "--expires-in-days", "0"),
            ("tokens", "create", "陈静", "--expires-in-days", "soon"),
            ("tokens", "create", "陈静", "--name", " "),
            ("tokens", "list", "nobody"),
            ("tokens", "rotate", "not-a-uuid"),
            ("tokens", "rotate", rows[0]["id"]),
            ("tokens", "revoke", str(uuid.uuid4())),
        ]:
            result = relaydesk(*bad, env=env.environ())
            assert result.returncode == 1, (bad, result.stderr)
            assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr, bad
            assert result.stdout == "", bad
