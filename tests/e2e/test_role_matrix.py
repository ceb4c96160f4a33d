"""Every endpoint × role × owner or not: the status each caller gets for a well-formed request.

The owner is the agent the conversation (and the personal canned response) belongs to; the
other agent has none of it. Requests that change what the next one sees run on a fresh
resource each, so every cell is answered for the same reason whatever ran before.
"""

import re
import uuid

import aiohttp
import pytest

from services.agent_api.http.openapi import OPERATIONS
from tests.support import inbound, publish_inbound, shown_webchat, wait_until

pytestmark = pytest.mark.e2e

ROLES = ("owner", "other", "supervisor", "admin")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)
NOT_IN_MATRIX = {("GET", "/v1/stream"), ("GET", "/files/{key}/{name}"), ("GET", "/v1/openapi.json")}
"""The stream has its own tests; files and this document are public (checked below)."""


def shape(path: str) -> str:
    """A path with every parameter as `*` and no query: how the matrix and the document are compared."""
    return re.sub(r"\{[^}]+\}|<[^>]+>", "*", path.split("?")[0])


def cells(owner, other, supervisor, admin):
    """(method, path template, body, {role: status}); a path value in <> is made per call."""
    everyone = dict.fromkeys(ROLES, 200)
    mine = {"owner": 200, "other": 404, "supervisor": 200, "admin": 200}
    staff = {"owner": 403, "other": 403, "supervisor": 200, "admin": 200}
    admins = {"owner": 403, "other": 403, "supervisor": 403, "admin": 200}
    unique = lambda: f"k{uuid.uuid4().hex[:10]}"  # noqa: E731 - a fresh shortcut per call
    return [
        ("GET", "/v1/me", None, everyone),
        ("GET", "/v1/conversations", None, everyone),
        ("GET", "/v1/conversations/{C}", None, mine),
        (
            "POST",
            "/v1/conversations/{C}/replies",
            {"text": "hello"},
            {"owner": 202, "other": 404, "supervisor": 409, "admin": 409},
        ),
        (
            "POST",
            "/v1/conversations/<fresh>/resolve",
            None,
            {"owner": 202, "other": 404, "supervisor": 409, "admin": 409},
        ),
        (
            "POST",
            "/v1/conversations/<fresh>/transfer",
            {},
            {"owner": 202, "other": 404, "supervisor": 409, "admin": 409},
        ),
        ("POST", "/v1/conversations/{C}/accept", None, dict.fromkeys(ROLES, 404)),
        ("POST", "/v1/conversations/{C}/decline", None, dict.fromkeys(ROLES, 404)),
        (
            "POST",
            "/v1/conversations/<resolved>/reopen",
            {},
            {**mine, **dict.fromkeys(("owner", "supervisor", "admin"), 202)},
        ),
        ("GET", "/v1/conversations/{C}/notes", None, mine),
        (
            "POST",
            "/v1/conversations/{C}/notes",
            {"text": "n"},
            {**mine, **dict.fromkeys(("owner", "supervisor", "admin"), 201)},
        ),
        ("POST", "/v1/conversations/{C}/tags", {"tag": "t"}, mine),
        ("DELETE", "/v1/conversations/{C}/tags/{T}", None, mine),
        ("GET", "/v1/conversations/{C}/customer", None, mine),
        (
            "PUT",
            "/v1/conversations/{C}/consent",
            {"channel": "webchat", "allowed": True},
            {**mine, **dict.fromkeys(("owner", "supervisor", "admin"), 202)},
        ),
        ("GET", "/v1/customers", None, staff),
        (
            "POST",
            "/v1/customers",
            lambda: {"name": "x", "conversation_id": "<fresh>"},
            {"owner": 201, "other": 404, "supervisor": 201, "admin": 201},
        ),
        ("GET", "/v1/customers/{P}", None, mine),
        ("PATCH", "/v1/customers/{P}", {"name": "李伟"}, mine),
        ("POST", "/v1/customers/{P}/links", lambda: {"conversation_id": "<fresh>"}, mine),
        (
            "PUT",
            "/v1/customers/{P}/consent",
            {"channel": "webchat", "allowed": True},
            {**mine, **dict.fromkeys(("owner", "supervisor", "admin"), 202)},
        ),
        ("GET", "/v1/canned-responses", None, everyone),
        (
            "POST",
            "/v1/canned-responses",
            lambda: {"shortcut": unique(), "title": "t", "text": "x", "shared": True},
            {"owner": 403, "other": 403, "supervisor": 201, "admin": 201},
        ),
        (
            "PATCH",
            "/v1/canned-responses/{K}",
            {"title": "mine"},
            {"owner": 200, "other": 404, "supervisor": 404, "admin": 404},
        ),
        (
            "DELETE",
            "/v1/canned-responses/<canned>",
            None,
            {"owner": 204, "other": 404, "supervisor": 404, "admin": 404},
        ),
        ("GET", "/v1/canned-responses/{S}/render?conversation_id={C}", None, mine),
        ("POST", "/v1/files?name=a.png", PNG, dict.fromkeys(ROLES, 201)),
        ("GET", "/v1/files/{F}", None, mine),
        ("GET", "/v1/conversations/{C}/attachments/{R}/{zero}", None, mine),
        ("POST", "/v1/messages/{M}/unmask", {"reason": "fraud review"}, staff),
        ("GET", "/v1/admin/audit", None, admins),
        ("GET", "/v1/admin/agents", None, admins),
        ("POST", "/v1/admin/agents", lambda: {"name": unique()}, {**admins, "admin": 201}),
        ("GET", "/v1/admin/tokens", None, admins),
        ("POST", "/v1/admin/agents/{other}/tokens", {"name": "spare"}, {**admins, "admin": 201}),
        ("POST", "/v1/admin/tokens/<token>/rotate", None, admins),
        ("DELETE", "/v1/admin/tokens/<token>", None, {**admins, "admin": 204}),
        ("PUT", "/v1/admin/agents/{other}/password", {"password": "a long passphrase"}, {**admins, "admin": 204}),
        ("DELETE", "/v1/admin/agents/{other}/sessions", None, {**admins, "admin": 204}),
        ("PATCH", "/v1/admin/agents/{other}", {"capacity": 3}, admins),
        # Console sessions: signing in is public (these agents have no password); a bearer caller
        # has no session to show, and signing out without one just clears the cookie.
        ("POST", "/v1/session", {"name": "nobody", "password": "not a password"}, dict.fromkeys(ROLES, 401)),
        ("GET", "/v1/session", None, dict.fromkeys(ROLES, 401)),
        ("DELETE", "/v1/session", None, dict.fromkeys(ROLES, 204)),
        ("GET", "/v1/stats/{stat}", None, staff),
        ("GET", "/v1/callbacks", None, everyone),
        (
            "POST",
            "/v1/callbacks",
            {"conversation_id": "{C}", "reason": "call back about the refund"},
            {**mine, **dict.fromkeys(("owner", "supervisor", "admin"), 202)},
        ),
        ("GET", "/v1/callbacks/{CB}", None, mine),
        ("POST", "/v1/callbacks/{CB}/reveal", None, mine),
        ("POST", "/v1/callbacks/{CB}/claim", None, {"owner": 202, "other": 404, "supervisor": 202, "admin": 202}),
        (
            "POST",
            "/v1/callbacks/{CB}/outcome",
            {"outcome": "reached"},
            {"owner": 202, "other": 404, "supervisor": 409, "admin": 409},
        ),
        ("GET", "/v1/broadcasts", None, staff),
        (
            "POST",
            "/v1/broadcasts",
            {"name": "n", "audience": {"kind": "everyone"}, "content": {"sms": {"text": "t"}}},
            {**staff, "supervisor": 202, "admin": 202},
        ),
        (
            "POST",
            "/v1/broadcasts/estimate",
            {"name": "n", "audience": {"kind": "everyone"}, "content": {"sms": {"text": "t"}}},
            staff,
        ),
        ("GET", "/v1/broadcasts/{B}", None, staff),
        ("POST", "/v1/broadcasts/{B}/pause", None, {**staff, "supervisor": 202, "admin": 202}),
        ("POST", "/v1/broadcasts/{B}/resume", None, {**staff, "supervisor": 409, "admin": 409}),
        ("POST", "/v1/broadcasts/{B}/cancel", None, {**staff, "supervisor": 202, "admin": 202}),
        # Last: once the others are online, new conversations no longer all go to the owner.
        ("PUT", "/v1/me/status", {"status": "online"}, dict.fromkeys(ROLES, 202)),
    ]


async def test_every_endpoint_answers_each_role_as_its_rights_say(env, system, people):
    owner = await people.agent(capacity=50)
    other = await people.agent(online=False, stream=False)  # no socket: presence would bring them online
    supervisor = await people.agent(role="supervisor", online=False, stream=False)
    admin = await people.agent(role="admin", online=False, stream=False)
    clients = {"owner": owner, "other": other, "supervisor": supervisor, "admin": admin}

    async def fresh() -> str:
        # Letters only: the stream masks digit runs that look like phone or card numbers.
        customer = "matrix-" + uuid.uuid4().hex[:12].translate(str.maketrans("0123456789", "ghijklmnop"))
        await publish_inbound(env.settings, [inbound(customer, "need help")])
        while (event := await owner.next_event("assignment"))["customer_address"] != shown_webchat(customer):
            pass  # a conversation handed back earlier, come round again
        return event["conversation_id"]

    async def resolved() -> str:
        conversation_id = await fresh()
        assert (await owner.request("POST", f"/v1/conversations/{conversation_id}/resolve"))[0] == 202
        await owner.next_event("resolved")
        return conversation_id

    async def canned() -> str:
        return (
            await owner.request(
                "POST", "/v1/canned-responses", {"shortcut": f"c{uuid.uuid4().hex[:8]}", "title": "t", "text": "x"}
            )
        )[1]["id"]

    async def token() -> str:
        return (await admin.request("POST", f"/v1/admin/agents/{other.id}/tokens", {"name": "to-go"}))[1]["id"]

    async def seeded() -> tuple[str, str]:
        """A callback the notifier would have assigned to the owner, not yet claimed, and a broadcast due
        tomorrow (written here: no notifier runs in this test, so its commands are only checked and
        accepted, never applied)."""
        conn = await env.db()
        try:
            callback_id = uuid.uuid4()
            await conn.execute(
                "INSERT INTO callback_tasks (id, dedupe_key, source, reason, channel, customer_address, due_at,"
                " assigned_agent_id, assigned_at)"
                " VALUES ($1, $2, 'rule', 'follow up', 'sms', '+8613800138000', now(), $3, now())",
                callback_id,
                f"matrix:{callback_id}",
                uuid.UUID(owner.id),
            )
            broadcast_id = uuid.uuid4()
            await conn.execute(
                "INSERT INTO broadcasts (id, name, audience, content, send_at) VALUES"
                ' ($1, \'b\', \'{"kind": "everyone"}\', \'{"sms": {"text": "t"}}\', now() + interval \'1 day\')',
                broadcast_id,
            )
        finally:
            await conn.close()
        return str(callback_id), str(broadcast_id)

    async def uploaded() -> str:
        url = env.url("agent_api", "/v1/files?name=owned.png")
        async with owner.http.post(url, data=PNG, headers={"Content-Type": "image/png"}) as response:
            return (await response.json())["id"]

    async def sent_with_file(conversation_id: str, file_id: str) -> str:
        """The id of the owner's reply carrying an uploaded file, once the router has stored it."""
        reply = {"attachments": [file_id]}
        assert (await owner.request("POST", f"/v1/conversations/{conversation_id}/replies", reply))[0] == 202
        found: list[str] = []

        async def stored() -> bool:
            messages = (await owner.request("GET", f"/v1/conversations/{conversation_id}"))[1]["messages"]
            found[:] = [m["id"] for m in messages if m["attachments"] and m["attachments"][0]["url"]]
            return bool(found)

        await wait_until(stored, what="the reply with a file stored")
        return found[0]

    makers = {"<fresh>": fresh, "<resolved>": resolved, "<canned>": canned, "<token>": token}
    conversation = await fresh()
    detail = (await owner.request("GET", f"/v1/conversations/{conversation}"))[1]
    fixed = {
        "{C}": conversation,
        "{T}": "t",
        "{stat}": "volume",
        "{zero}": "0",
        "{M}": detail["messages"][0]["id"],
        "{other}": other.id,
        "{P}": (await owner.request("POST", "/v1/customers", {"conversation_id": conversation}))[1]["id"],
        "{K}": await canned(),
        **dict(zip(("{CB}", "{B}"), await seeded(), strict=True)),
        "{F}": await uploaded(),
        "{S}": (
            await supervisor.request(
                "POST", "/v1/canned-responses", {"shortcut": "shared", "title": "t", "text": "x", "shared": True}
            )
        )[1]["id"],
    }

    fixed["{R}"] = await sent_with_file(conversation, fixed["{F}"])

    async def fill(text: str) -> str:
        for name, value in fixed.items():
            text = text.replace(name, value)
        for name, make in makers.items():
            while name in text:
                text = text.replace(name, await make(), 1)
        return text

    table = cells(owner, other, supervisor, admin)
    rows = {(method, shape(template)) for method, template, _, _ in table}
    assert {(method, shape(path)) for method, path in OPERATIONS if (method, path) not in NOT_IN_MATRIX} == rows

    wrong = []
    for method, template, body, expected in table:
        for role in ROLES:
            path = await fill(template)
            payload = body() if callable(body) else body
            if isinstance(payload, dict):
                payload = {k: await fill(v) if isinstance(v, str) else v for k, v in payload.items()}
            kwargs = (
                {"data": payload, "headers": {"Content-Type": "image/png"}}
                if isinstance(payload, bytes)
                else ({"json": payload} if payload is not None else {})
            )
            async with clients[role].http.request(method, env.url("agent_api", path), **kwargs) as response:
                if response.status != expected[role]:
                    wrong.append(
                        f"{method} {template} as {role}: {response.status} != {expected[role]}"
                        f" {(await response.text())[:200]}"
                    )
    assert wrong == [], "\n".join(wrong)

    async with aiohttp.ClientSession() as anyone:
        async with anyone.get(env.url("agent_api", "/v1/openapi.json")) as response:
            assert response.status == 200
        async with anyone.get(env.url("agent_api", "/v1/me")) as response:
            assert response.status == 401
        signing_in = {"name": "nobody-else", "password": "not a password"}
        async with anyone.post(env.url("agent_api", "/v1/session"), json=signing_in) as response:
            assert (response.status, (await response.json())["error"]["code"]) == (401, "invalid_credentials")
