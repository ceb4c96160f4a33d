"""Files and pages through real HTTP: customer file links are signed and expire, agents read files with
their token, names agree with types, uploads have a daily quota, and every HTML page any service
serves carries a CSP, nosniff and framing rules."""

import secrets
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import aiohttp
import msgspec
import pytest

from contracts.topology import AGENT_COMMAND_KEY
from shared.filelinks import signature
from tests.support import BusTap, System, inbound, publish_inbound

pytestmark = pytest.mark.e2e

PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)
SECRET = "test-file-link-secret-" + "x" * 8


async def upload(agent, body: bytes, content_type: str, name: str) -> tuple[int, dict]:
    url = agent.env.url("agent_api", f"/v1/files?name={name}")
    async with agent.http.post(url, data=body, headers={"Content-Type": content_type}) as response:
        return response.status, await response.json()


def tampered(sig: str) -> str:
    """The signature with its last character changed (to one it is not already)."""
    return sig[:-1] + ("B" if sig.endswith("A") else "A")


async def fetch(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    async with aiohttp.ClientSession() as anyone, anyone.get(url, headers=headers) as response:
        return response.status, dict(response.headers), await response.read()


async def file_rows(env) -> int:
    conn = await env.db()
    try:
        return await conn.fetchval("SELECT count(*) FROM files")
    finally:
        await conn.close()


async def test_file_links_are_signed_and_expire_and_agents_read_files_with_their_token(env, people):
    api = env.url("agent_api")
    system = await System(env, ["router", "agent_api"], agent_api_public_url=api, file_link_secret=SECRET).start()
    try:
        agent, colleague = await people.agent(), await people.agent(online=False)
        supervisor = await people.agent(role="supervisor", online=False)
        status, file = await upload(agent, PNG, "image/png", "receipt.png")
        assert status == 201
        link = urlsplit(file["url"])
        base, query = f"{api}{link.path}", {k: v[0] for k, v in parse_qs(link.query).items()}
        assert set(query) == {"expires", "sig"}
        assert 29 * 86400 < int(query["expires"]) - time.time() <= 30 * 86400  # the default: 30 days

        status, headers, body = await fetch(file["url"])
        assert (status, body) == (200, PNG) and headers["X-Content-Type-Options"] == "nosniff"
        key, name = link.path.split("/")[2:4]
        past = int(time.time()) - 1
        for url, expected in [
            (base, (403, "invalid_link")),  # the old unsigned form
            (f"{base}?expires={int(query['expires']) + 86400}&sig={query['sig']}", (403, "invalid_link")),
            (f"{base}?expires={query['expires']}&sig={tampered(query['sig'])}", (403, "invalid_link")),
            (f"{base}?expires=1e99&sig={query['sig']}", (403, "invalid_link")),
            (f"{base}?expires={past}&sig={signature(SECRET, key, name, past)}", (410, "link_expired")),
            (
                f"{base}?expires={past}&sig={signature('another-secret-0123456', key, name, past)}",
                (403, "invalid_link"),
            ),
        ]:
            status, _, body = await fetch(url)
            assert (status, msgspec.json.decode(body)["error"]["code"]) == expected, url

        own = f"{api}/v1/files/{file['id']}"
        for who, expected in [(agent, 200), (supervisor, 200), (colleague, 404), (None, 401)]:
            status, headers, body = await fetch(own, who.headers if who else None)
            assert status == expected, who
            if status == 200:
                assert body == PNG and headers["Content-Type"] == "image/png"
                assert (
                    headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in headers["Content-Security-Policy"]
                )
    finally:
        system.stop()


async def test_names_agree_with_types_and_each_agent_has_a_daily_quota(env, people):
    api = env.url("agent_api")
    system = await System(
        env, ["router", "agent_api"], agent_api_public_url=api, agent_api_upload_quota=2048, agent_api_max_upload=4096
    ).start()
    try:
        agent, colleague = await people.agent(), await people.agent(online=False)
        before = await file_rows(env)
        for body, kind, name in [
            (b"<script>alert(1)</script>", "text/plain", "x.html"),
            (PNG, "image/png", "photo.svg"),
            (b"a,b", "text/csv", "sheet.exe"),
        ]:
            status, answer = await upload(agent, body, kind, name)
            assert (status, answer["error"]["code"]) == (415, "file_name_mismatch"), name
            assert name.rsplit(".", 1)[1] in answer["error"]["message"]
        assert await file_rows(env) == before

        for body, kind, name, stored in [
            (b"hello", "text/plain", "notes", "notes.txt"),
            (b"\xff\xd8\xff\xe0", "image/jpeg", "scan.JPG", "scan.JPG"),
        ]:
            status, answer = await upload(agent, body, kind, name)
            assert (status, answer["name"]) == (201, stored)
            assert urlsplit(answer["url"]).path.endswith(f"/{stored}")

        assert (await upload(agent, bytes(1500), "text/plain", "big.txt"))[0] == 201
        status, answer = await upload(agent, bytes(1000), "text/plain", "more.txt")
        assert (status, answer["error"]["code"]) == (429, "upload_quota_exceeded")
        assert "2048" in answer["error"]["message"]
        assert (await upload(colleague, bytes(1000), "text/plain", "theirs.txt"))[0] == 201  # per agent
        assert await file_rows(env) == before + 4
    finally:
        system.stop()


def notifier(env, path: str) -> str:
    return f"http://127.0.0.1:{env.settings.notifier_port}{path}"


def assert_page_headers(headers: dict, ancestors: str = "'none'") -> str:
    policy = headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert f"frame-ancestors {ancestors}" in policy and "default-src 'none'" in policy
    assert headers.get("X-Frame-Options") == ("DENY" if ancestors == "'none'" else None)
    return policy


async def test_every_html_page_has_a_csp_nosniff_and_framing_rules(env, people):
    system = await System(env, ["router", "agent_api", "webchat_adapter", "notifier"]).start()
    try:
        for path in ("/", "/static/index.html"):
            status, headers, _ = await fetch(env.url("webchat", path))
            assert status == 200 and headers["Content-Type"].startswith("text/html")
            assert "script-src 'self'" in assert_page_headers(headers)
        status, headers, _ = await fetch(env.url("webchat", "/static/widget.js"))
        assert status == 200 and headers["X-Content-Type-Options"] == "nosniff"
        for path in (f"/survey/{secrets.token_urlsafe(16)}", f"/unsubscribe/{secrets.token_urlsafe(16)}"):
            status, headers, _ = await fetch(notifier(env, path))
            assert status == 404 and headers["Content-Type"].startswith("text/html")
            assert "script-src" not in assert_page_headers(headers)

        # A survey answer with a NUL is refused on the page, not dead-lettered by the router.
        agent = await people.agent()
        await publish_inbound(env.settings, [inbound("survey-customer", "need help")])
        conversation = (await agent.next_event("assignment"))["conversation_id"]
        token = secrets.token_urlsafe(16)
        conn = await env.db()
        try:
            await conn.execute(
                "INSERT INTO surveys (conversation_id, token, channel) VALUES ($1, $2, 'webchat')",
                uuid.UUID(conversation),
                token,
            )
        finally:
            await conn.close()
        async with BusTap(env.settings, AGENT_COMMAND_KEY) as tap, aiohttp.ClientSession() as anyone:
            async with anyone.post(notifier(env, f"/survey/{token}"), data={"score": "4", "comment": "a\x00b"}) as r:
                assert r.status == 400 and "NUL" in await r.text()
                assert_page_headers(dict(r.headers))
            async with anyone.post(notifier(env, f"/survey/{token}"), data={"score": "5", "comment": "ok"}) as r:
                assert r.status == 200
            [first] = await tap.take(1)
            assert msgspec.json.decode(first)["score"] == 5
    finally:
        system.stop()


async def test_the_widget_page_may_be_framed_only_by_the_listed_sites(env):
    sites = "https://shop.example https://m.shop.example"
    system = await System(env, ["webchat_adapter"], webchat_frame_ancestors=sites).start()
    try:
        status, headers, _ = await fetch(env.url("webchat", "/"))
        assert status == 200
        assert_page_headers(headers, sites)
    finally:
        system.stop()
