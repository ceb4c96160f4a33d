"""Signing in to the console as a browser does: the session cookie and its attributes, CSRF on
writes, the idle timeout and lifetime, sign-out, lockouts, the stream's Origin check, and
admins resetting passwords. Real cookies: aiohttp's CookieJar keeps and sends them."""

import asyncio
import hashlib
import uuid
from contextlib import asynccontextmanager

import aiohttp
import pytest

from services.agent_api.commands import accounts, passwords, sessions
from tests.support import System, wait_until

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"


@asynccontextmanager
async def running(env, **overrides):
    system = await System(env, ["agent_api"], **overrides).start()
    try:
        yield system
    finally:
        system.stop()


def browser() -> aiohttp.ClientSession:
    """A client that keeps cookies for 127.0.0.1 as a browser keeps them for a host name."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def in_db(env, work):
    conn = await env.db()
    try:
        return await work(conn)
    finally:
        await conn.close()


async def new_agent(env, role: str = "agent", password: str | None = PASSWORD) -> tuple[str, str, str]:
    """(agent_id, name, bearer token) of a fresh agent, with a console password unless None."""
    name = f"{role}-{uuid.uuid4().hex[:8]}"

    async def work(conn):
        agent_id, token = await accounts.add_agent(conn, name, capacity=2, skills=[], languages=["en"], role=role)
        if password is not None:
            await sessions.set_password(conn, agent_id, passwords.hash_password(password))
        return agent_id, name, token

    return await in_db(env, work)


async def login(http: aiohttp.ClientSession, url: str, name: str, password: str = PASSWORD):
    """(status, body, Set-Cookie headers, Retry-After) of one sign-in."""
    async with http.post(f"{url}/v1/session", json={"name": name, "password": password}) as response:
        return (
            response.status,
            await response.json(),
            response.headers.getall("Set-Cookie", []),
            response.headers.get("Retry-After"),
        )


async def status_of(http: aiohttp.ClientSession, method: str, url: str, **kwargs) -> tuple[int, dict | None]:
    async with http.request(method, url, **kwargs) as response:
        return response.status, (await response.json() if response.content_length else None)


def attributes(set_cookie: str) -> set[str]:
    """The attribute names and flags of one Set-Cookie header, lower-cased, values dropped."""
    return {part.split("=")[0].strip().lower() for part in set_cookie.split(";")[1:]}


async def test_signing_in_sets_an_httponly_strict_cookie_that_opens_the_api(env):
    agent_id, name, token = await new_agent(env)
    async with running(env) as system, browser() as http:
        url = system.url("agent_api")
        status, body, cookies, _ = await login(http, url, name)
        assert status == 200, body
        [cookie] = cookies
        assert cookie.startswith("rd_session=")
        assert {"httponly", "samesite", "path"} <= attributes(cookie) and "secure" not in attributes(cookie)
        assert "SameSite=Strict" in cookie and "Path=/" in cookie
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as bearer:
            assert body["agent"] == (await status_of(bearer, "GET", f"{url}/v1/me"))[1]
        assert body["idle_timeout_s"] == 1800 and body["csrf_token"]

        assert await status_of(http, "GET", f"{url}/v1/me") == (200, body["agent"])
        assert await status_of(http, "GET", f"{url}/v1/session") == (200, body)

        value = cookie.split(";")[0].removeprefix("rd_session=")
        row = await in_db(env, lambda conn: conn.fetchrow("SELECT agent_id::text, token_hash FROM agent_sessions"))
        assert row["agent_id"] == agent_id and row["token_hash"] == hashlib.sha256(value.encode()).digest()
        actions = await in_db(env, lambda conn: conn.fetch("SELECT action, actor_id::text FROM audit_log"))
        assert [(a["action"], a["actor_id"]) for a in actions] == [("login", agent_id)]

        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as bearer:
            status, answer = await status_of(bearer, "GET", f"{url}/v1/session")  # a token has no session
            assert (status, answer["error"]["code"]) == (401, "no_session")


async def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(env):
    agent_id, name, _ = await new_agent(env)
    without_id, no_password, _ = await new_agent(env, password=None)
    async with running(env) as system, browser() as http:
        url = system.url("agent_api")
        answers = [
            await login(http, url, name, "not the password"),
            await login(http, url, f"nobody-{uuid.uuid4().hex[:6]}", PASSWORD),
            await login(http, url, no_password, PASSWORD),
        ]
        assert all(answer == answers[0] for answer in answers)
        assert answers[0][0] == 401 and answers[0][1]["error"]["code"] == "invalid_credentials"
        assert answers[0][2] == [] and len(http.cookie_jar) == 0
    entries = await in_db(env, lambda conn: conn.fetch("SELECT actor_id::text, detail FROM audit_log ORDER BY id"))
    assert [entry["actor_id"] for entry in entries] == [agent_id, None, without_id]
    assert not any("not the password" in entry["detail"] or PASSWORD in entry["detail"] for entry in entries)


async def test_five_failures_lock_the_name_out_doubling_and_a_success_before_resets_the_count(env):
    _, name, _ = await new_agent(env)
    async with running(env) as system, browser() as http:
        url = system.url("agent_api")
        for _ in range(4):
            assert (await login(http, url, name, "guess-guess"))[0] == 401
        assert (await login(http, url, name))[0] == 200  # four in a row, then the right one: count reset
        for _ in range(4):
            assert (await login(http, url, name, "guess-guess"))[0] == 401
        assert (await login(http, url, name.upper(), "guess-guess"))[0] == 401  # the fifth, another spelling

        status, body, _, retry_after = await login(http, url, name)  # even the right password now
        assert (status, body["error"]["code"]) == (429, "login_locked")
        assert 25 <= int(retry_after) <= 30

        # Once the window has passed (moved back in the database), one more failure locks for twice as long.
        await in_db(env, lambda conn: conn.execute("UPDATE login_failures SET locked_until = now() - interval '1 s'"))
        assert (await login(http, url, name, "guess-guess"))[0] == 401
        status, _, _, retry_after = await login(http, url, name)
        assert status == 429 and 55 <= int(retry_after) <= 60

        # A name no agent has locks the same way, so a lockout tells nothing about who exists.
        ghost = f"ghost-{uuid.uuid4().hex[:6]}"
        for _ in range(5):
            assert (await login(http, url, ghost, "guess-guess"))[0] == 401
        assert (await login(http, url, ghost, "guess-guess"))[0] == 429
    locks = await in_db(env, lambda conn: conn.fetchval("SELECT count(*) FROM audit_log WHERE action = 'login_locked'"))
    assert locks == 3


async def test_guesses_sent_at_once_are_checked_one_at_a_time_so_the_lockout_holds(env):
    _, name, _ = await new_agent(env)
    async with running(env) as system, browser() as http:
        url = system.url("agent_api")
        answers = await asyncio.gather(*(login(http, url, name, f"guess-{n}-guess") for n in range(20)))
        statuses = sorted(status for status, _, _, _ in answers)
        assert statuses.count(401) <= 5 and set(statuses) <= {401, 429}, statuses
        assert all(retry_after for status, _, _, retry_after in answers if status == 429)
    failures = "SELECT count(*) FROM audit_log WHERE action = 'login_failed'"
    assert await in_db(env, lambda conn: conn.fetchval(failures)) == statuses.count(401)


async def test_many_failures_from_one_address_lock_it_out_for_every_name(env):
    _, name, _ = await new_agent(env)
    async with running(env) as system, browser() as http:
        url = system.url("agent_api")
        for attempt in range(30):
            assert (await login(http, url, f"spray-{attempt}", "guess-guess"))[0] == 401
        status, _, _, retry_after = await login(http, url, name)
        assert status == 429 and 25 <= int(retry_after) <= 30


async def test_cookie_writes_need_the_csrf_token_and_bearer_writes_do_not(env):
    _, name, token = await new_agent(env)
    async with running(env) as system, browser() as http:
        url = system.url("agent_api")
        csrf = (await login(http, url, name))[1]["csrf_token"]
        away = {"json": {"status": "away"}}
        assert (await status_of(http, "PUT", f"{url}/v1/me/status", **away))[1]["error"]["code"] == "csrf_failed"
        wrong = {"X-CSRF-Token": csrf[:-1] + ("A" if csrf[-1] != "A" else "B")}
        assert (await status_of(http, "PUT", f"{url}/v1/me/status", headers=wrong, **away))[0] == 403
        assert (await status_of(http, "PUT", f"{url}/v1/me/status", headers={"X-CSRF-Token": "文字"}, **away))[0] == 403
        assert (await status_of(http, "DELETE", f"{url}/v1/session"))[0] == 403
        ok = {"X-CSRF-Token": csrf}
        assert (await status_of(http, "PUT", f"{url}/v1/me/status", headers=ok, **away))[0] == 202
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as bearer:
            assert (await status_of(bearer, "PUT", f"{url}/v1/me/status", **away))[0] == 202


async def test_each_session_has_its_own_rate_limit_apart_from_the_token(env):
    _, name, token = await new_agent(env)
    async with running(env, agent_api_rate=0.01, agent_api_burst=3) as system, browser() as one, browser() as two:
        url = system.url("agent_api")
        assert (await login(one, url, name))[0] == 200 and (await login(two, url, name))[0] == 200
        assert [(await status_of(one, "GET", f"{url}/v1/session"))[0] for _ in range(4)] == [200, 200, 200, 429]
        assert (await status_of(two, "GET", f"{url}/v1/session"))[0] == 200
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as bearer:
            assert (await status_of(bearer, "GET", f"{url}/v1/me"))[0] == 200


async def test_a_session_ends_when_idle_but_not_while_used_and_at_its_lifetime(env):
    _, name, _ = await new_agent(env)
    async with running(env, console_idle_timeout=2) as system, browser() as http:
        url = system.url("agent_api")
        body = (await login(http, url, name))[1]
        assert body["idle_timeout_s"] == 2

        async def used_past_the_timeout() -> bool:
            status, answer = await status_of(http, "GET", f"{url}/v1/me")
            assert status == 200, answer  # in use: never idle
            age = "SELECT now() - created_at > interval '3 s' FROM agent_sessions"
            return await in_db(env, lambda conn: conn.fetchval(age))

        await wait_until(used_past_the_timeout, what="the session used for longer than its idle timeout")

        async def expired() -> bool:
            answer = (await status_of(http, "GET", f"{url}/v1/me"))[1]
            return answer.get("error", {}).get("code") == "session_expired"

        idle = "SELECT now() - last_seen_at > interval '2 s' FROM agent_sessions"
        await wait_until(lambda: in_db(env, lambda conn: conn.fetchval(idle)), what="the session idle 2 s")
        await wait_until(expired, what="the idle session refused")

        # A busy session still ends at its lifetime.
        await login(http, url, name)
        assert (await status_of(http, "GET", f"{url}/v1/me"))[0] == 200
        await in_db(env, lambda conn: conn.execute("UPDATE agent_sessions SET expires_at = now()"))
        assert await expired()


async def test_signing_out_ends_the_session_and_clears_the_cookie(env):
    agent_id, name, _ = await new_agent(env)
    async with running(env) as system, browser() as http:
        url = system.url("agent_api")
        _, body, [cookie], _ = await login(http, url, name)
        async with http.delete(f"{url}/v1/session", headers={"X-CSRF-Token": body["csrf_token"]}) as response:
            assert response.status == 204
            [cleared] = response.headers.getall("Set-Cookie")
            assert cleared.startswith('rd_session="";') and "Max-Age=0" in cleared
        assert len(http.cookie_jar) == 0
        async with aiohttp.ClientSession(headers={"Cookie": cookie.split(";")[0]}) as replay:
            status, answer = await status_of(replay, "GET", f"{url}/v1/me")
            assert (status, answer["error"]["code"]) == (401, "invalid_session")
    assert await in_db(env, lambda conn: conn.fetchval("SELECT count(*) FROM agent_sessions")) == 0
    logout = "SELECT actor_id::text FROM audit_log WHERE action = 'logout'"
    assert await in_db(env, lambda conn: conn.fetchval(logout)) == agent_id


async def test_the_stream_takes_the_cookie_only_from_the_apis_own_origin(env):
    _, name, token = await new_agent(env)
    async with running(env) as system, browser() as http:
        url = system.url("agent_api")
        await login(http, url, name)
        ws = await http.ws_connect(f"{url}/v1/stream", origin=url)
        await ws.close()
        for origin in ("https://evil.example", None):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(f"{url}/v1/stream", **({"origin": origin} if origin else {}))
            assert refused.value.status == 403
        # Integrations: a bearer token needs no Origin.
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as bearer:
            ws = await bearer.ws_connect(f"{url}/v1/stream", origin="https://evil.example")
            await ws.close()


async def test_an_https_console_gets_a_secure_cookie_and_its_public_origin_may_stream(env):
    _, name, _ = await new_agent(env)
    public = "https://console.example.com"
    async with running(env, agent_api_public_url=public) as system, browser() as http:
        url = system.url("agent_api")
        _, _, [cookie], _ = await login(http, url, name)
        assert "secure" in attributes(cookie)
        # Behind the TLS proxy the handshake arrives with the proxy's Host and the public Origin.
        async with aiohttp.ClientSession(headers={"Cookie": cookie.split(";")[0]}) as behind_proxy:
            ws = await behind_proxy.ws_connect(f"{url}/v1/stream", origin=public)
            await ws.close()
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await behind_proxy.ws_connect(f"{url}/v1/stream", origin="https://console.example.com.evil.example")
            assert refused.value.status == 403


async def test_an_admin_resets_a_password_and_ends_the_agents_sessions(env):
    agent_id, name, _ = await new_agent(env)
    _, _, admin_token = await new_agent(env, role="admin")
    async with (
        running(env) as system,
        browser() as http,
        aiohttp.ClientSession(headers={"Authorization": f"Bearer {admin_token}"}) as admin,
    ):
        url = system.url("agent_api")
        assert (await login(http, url, name))[0] == 200
        reset = f"{url}/v1/admin/agents/{agent_id}/password"
        status, answer = await status_of(admin, "PUT", reset, json={"password": "short"})
        assert (status, answer["error"]["code"]) == (422, "invalid_password")
        assert (await status_of(http, "GET", f"{url}/v1/me"))[0] == 200  # a refused reset changes nothing

        assert (await status_of(admin, "PUT", reset, json={"password": "a brand new passphrase"}))[0] == 204
        assert (await status_of(http, "GET", f"{url}/v1/me"))[1]["error"]["code"] == "invalid_session"
        assert (await login(http, url, name))[0] == 401
        assert (await login(http, url, name, "a brand new passphrase"))[0] == 200

        assert (await status_of(admin, "DELETE", f"{url}/v1/admin/agents/{agent_id}/sessions"))[0] == 204
        assert (await status_of(http, "GET", f"{url}/v1/me"))[0] == 401
        missing = f"{url}/v1/admin/agents/{uuid.uuid4()}/password"
        assert (await status_of(admin, "PUT", missing, json={"password": "a brand new passphrase"}))[0] == 404
    actions = "SELECT action FROM audit_log WHERE action IN ('password_set', 'sessions_ended') ORDER BY id"
    assert [row["action"] for row in await in_db(env, lambda conn: conn.fetch(actions))] == [
        "password_set",
        "sessions_ended",
    ]


async def test_a_stream_opened_with_the_cookie_closes_within_seconds_of_signing_out(env):
    """Signing out (like a password reset or an idle session) ends what the session opened too."""
    _, name, _ = await new_agent(env)
    async with running(env, agent_api_auth_interval=0.5) as system, browser() as http:
        url = system.url("agent_api")
        _, body, _, _ = await login(http, url, name)
        ws = await http.ws_connect(f"{url}/v1/stream", origin=url)
        await ws.send_str("ping")
        assert (await asyncio.wait_for(ws.receive_json(), 5)) == {"type": "pong"}
        async with http.delete(f"{url}/v1/session", headers={"X-CSRF-Token": body["csrf_token"]}) as response:
            assert response.status == 204
        closed = await asyncio.wait_for(ws.receive(), 10)
        assert (closed.type, ws.close_code) == (aiohttp.WSMsgType.CLOSE, 4401)
