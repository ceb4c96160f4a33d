"""The agent's workspace: lists with filters and cursors, conversations seen before, notes, tags,
reopening, canned responses and files sent with replies."""

import uuid

import aiohttp
import pytest

from tests.support import System, inbound, publish_inbound

pytestmark = pytest.mark.e2e

PNG = b"\x89PNG\r\n\x1a\n" + bytes(100)


async def _assigned(agent, count: int) -> list[str]:
    return [(await agent.next_event("assignment"))["conversation_id"] for _ in range(count)]


async def _all_pages(client, query: str) -> list[dict]:
    found, cursor = [], None
    while True:
        path = f"/v1/conversations?{query}" + (f"&cursor={cursor}" if cursor else "")
        status, body = await client.request("GET", path)
        assert status == 200, body
        found += body["conversations"]
        if (cursor := body["next_cursor"]) is None:
            return found


async def test_lists_filter_and_page_without_gaps_or_repeats(env, system, people):
    agent = await people.agent(capacity=10)
    other = await people.agent(online=False)
    supervisor = await people.agent(role="supervisor", online=False)
    await publish_inbound(
        env.settings, [inbound(f"visitor-{n}-{uuid.uuid4().hex[:6]}", f"hello {n}") for n in range(7)]
    )
    ids = await _assigned(agent, 7)
    for conversation_id in ids[:2]:
        assert (await agent.request("POST", f"/v1/conversations/{conversation_id}/tags", {"tag": "vip"}))[0] == 200
    assert (await agent.request("POST", f"/v1/conversations/{ids[2]}/resolve"))[0] == 202
    await agent.next_event("resolved")

    paged = await _all_pages(supervisor, "limit=3")
    assert sorted(c["id"] for c in paged) == sorted(ids) and len(paged) == 7
    keys = [(c["created_at"], c["id"]) for c in paged]
    assert keys == sorted(keys, reverse=True)

    assert [c["id"] for c in await _all_pages(supervisor, "status=resolved")] == [ids[2]]
    assert sorted(c["id"] for c in await _all_pages(agent, "tag=vip")) == sorted(ids[:2])
    assert all(c["tags"] == ["vip"] for c in await _all_pages(agent, "tag=vip"))
    assert await _all_pages(supervisor, "channel=sms,email") == []
    assert len(await _all_pages(supervisor, f"agent_id={agent.id}&status=queued,assigned")) == 6
    assert len(await _all_pages(agent, "agent_id=me&status=assigned")) == 6
    assert await _all_pages(other, "") == []

    for client, query, status, code in [
        (other, f"agent_id={agent.id}", 403, "forbidden"),
        (agent, "cursor=bm90LWEtY3Vyc29y", 400, "invalid_cursor"),
        (agent, "status=sleeping", 422, "invalid_request"),
        (agent, "limit=1000", 422, "invalid_request"),
        (agent, "colour=red", 422, "invalid_request"),
    ]:
        got_status, body = await client.request("GET", f"/v1/conversations?{query}")
        assert (got_status, body["error"]["code"]) == (status, code), query


async def test_an_agent_keeps_seeing_what_they_handed_over_and_the_note_goes_with_it(system, people):
    first, second = await people.agent(), await people.agent()
    visitor = await people.visitor()
    await visitor.send("I want a refund")
    [conversation_id] = await _assigned(first, 1)
    path = f"/v1/conversations/{conversation_id}"
    note = "refund for card 4111 1111 1111 1111, already checked the ledger"
    status, _ = await first.request("POST", f"{path}/transfer", {"to_agent_id": second.id, "note": note})
    assert status == 202
    assert (await second.next_event("assignment"))["conversation_id"] == conversation_id

    status, detail = await second.request("GET", path)
    assert status == 200
    [shown] = detail["notes"]
    assert (shown["kind"], shown["author_id"]) == ("transfer", first.id)
    assert "4111 1111 1111 1111" not in shown["text"] and shown["text"].endswith("already checked the ledger")
    status, seen = await first.request("GET", path)
    assert status == 200 and seen["agent_id"] == second.id
    assert [c["id"] for c in (await first.request("GET", "/v1/conversations"))[1]["conversations"]] == [conversation_id]
    status, body = await first.request("POST", f"{path}/replies", {"text": "still me"})
    assert (status, body["error"]["code"]) == (409, "not_assigned_to_you")


async def test_notes_and_tags_stay_inside(system, people):
    agent, stranger = await people.agent(), await people.agent(online=False)
    visitor = await people.visitor()
    await visitor.send("where is my transfer")
    [conversation_id] = await _assigned(agent, 1)
    path = f"/v1/conversations/{conversation_id}"

    status, note = await agent.request("POST", f"{path}/notes", {"text": "customer sounds worried, call 13800138000"})
    assert status == 201 and "13800138000" not in note["text"]
    await agent.reply(conversation_id, "Let me check that for you.")
    assert (await visitor.next_frame("message"))["text"] == "Let me check that for you."  # the note never went out
    assert [n["id"] for n in (await agent.request("GET", f"{path}/notes"))[1]["notes"]] == [note["id"]]

    assert (await agent.request("POST", f"{path}/tags", {"tag": "transfer-delay"}))[1]["tags"] == ["transfer-delay"]
    assert (await agent.request("POST", f"{path}/tags", {"tag": "vip"}))[1]["tags"] == ["transfer-delay", "vip"]
    assert (await agent.request("DELETE", f"{path}/tags/vip"))[1]["tags"] == ["transfer-delay"]
    assert (await agent.request("POST", f"{path}/tags", {"tag": "Not A Tag!"}))[0] == 422
    assert (await agent.request("POST", f"{path}/notes", {"text": ""}))[0] == 422
    for method, suffix, body in [
        ("GET", "/notes", None),
        ("POST", "/notes", {"text": "x"}),
        ("POST", "/tags", {"tag": "x"}),
        ("DELETE", "/tags/x", None),
    ]:
        assert (await stranger.request(method, f"{path}{suffix}", body))[0] == 404


async def test_reopen_puts_a_resolved_conversation_back_with_the_agent(system, people):
    agent = await people.agent()
    visitor = await people.visitor()
    await visitor.send("my loan repayment failed")
    [conversation_id] = await _assigned(agent, 1)
    path = f"/v1/conversations/{conversation_id}"
    status, body = await agent.request("POST", f"{path}/reopen", {})
    assert (status, body["error"]["code"]) == (409, "conversation_not_resolved")

    assert (await agent.request("POST", f"{path}/resolve"))[0] == 202
    await agent.next_event("resolved")
    assert (await agent.request("POST", f"{path}/reopen", {"note": "customer called back"}))[0] == 202
    assignment = await agent.next_event("assignment")
    assert assignment["conversation_id"] == conversation_id
    detail = (await agent.request("GET", path))[1]
    assert detail["status"] == "assigned" and detail["resolved_at"] is None
    assert [n["kind"] for n in detail["notes"]] == ["reopen"]

    assert (await agent.request("POST", f"{path}/resolve"))[0] == 202
    await agent.next_event("resolved")
    await visitor.send("one more question")
    newer = (await agent.next_event("assignment"))["conversation_id"]
    assert newer != conversation_id
    status, body = await agent.request("POST", f"{path}/reopen", {})
    assert (status, body["error"]["code"]) == (409, "customer_has_open_conversation")


async def test_canned_responses_are_kept_per_owner_and_filled_in_for_the_customer(system, people):
    agent, colleague = await people.agent(), await people.agent(online=False)
    supervisor = await people.agent(role="supervisor", online=False)
    visitor = await people.visitor(name="王芳")
    await visitor.send("你好")
    [conversation_id] = await _assigned(agent, 1)

    greet = {"shortcut": "greet", "title": "问候", "text": "{{customer_name}}您好，我是{{agent_name}}。"}
    status, mine = await agent.request("POST", "/v1/canned-responses", greet)
    assert status == 201 and not mine["shared"]
    status, shared = await supervisor.request(
        "POST",
        "/v1/canned-responses",
        {"shortcut": "thanks", "title": "Thanks", "text": "Thanks, {{customer_name}}!", "shared": True},
    )
    assert status == 201 and shared["shared"]
    for client, body, status, code in [
        (agent, {**greet, "shortcut": "mine2", "shared": True}, 403, "forbidden"),
        (supervisor, {"shortcut": "thanks", "title": "t", "text": "x", "shared": True}, 409, "shortcut_taken"),
        (agent, {"shortcut": "bad", "title": "t", "text": "Hi {{card_number}}"}, 422, "invalid_request"),
    ]:
        got_status, got = await client.request("POST", "/v1/canned-responses", body)
        assert (got_status, got["error"]["code"]) == (status, code)
    assert {c["shortcut"] for c in (await agent.request("GET", "/v1/canned-responses"))[1]["canned_responses"]} == {
        "greet",
        "thanks",
    }
    assert [c["shortcut"] for c in (await colleague.request("GET", "/v1/canned-responses"))[1]["canned_responses"]] == [
        "thanks"
    ]
    assert (await colleague.request("PATCH", f"/v1/canned-responses/{mine['id']}", {"title": "x"}))[0] == 404
    assert (await agent.request("PATCH", f"/v1/canned-responses/{shared['id']}", {"title": "x"}))[0] == 403

    agent_name = (await agent.request("GET", "/v1/me"))[1]["name"]
    status, rendered = await agent.request(
        "GET", f"/v1/canned-responses/{mine['id']}/render?conversation_id={conversation_id}"
    )
    assert (status, rendered["text"]) == (200, f"王芳您好，我是{agent_name}。")
    replies = f"/v1/conversations/{conversation_id}/replies"
    assert (await agent.request("POST", replies, {"canned_response_id": mine["id"], "text": "x"}))[0] == 422
    assert (await agent.request("POST", replies, {"canned_response_id": mine["id"]}))[0] == 202
    assert (await visitor.next_frame("message"))["text"] == f"王芳您好，我是{agent_name}。"
    assert (await agent.request("PATCH", f"/v1/canned-responses/{mine['id']}", {"text": "{{customer_name}}，再见"}))[
        0
    ] == 200
    async with agent.http.delete(agent.env.url("agent_api", f"/v1/canned-responses/{mine['id']}")) as response:
        assert response.status == 204
    assert (await agent.request("POST", replies, {"canned_response_id": mine["id"]}))[0] == 404


async def test_files_go_out_with_a_reply_and_are_served_to_whoever_holds_the_link(env, people):
    api = env.url("agent_api")
    system = await System(
        env, ["router", "agent_api", "webchat_adapter"], agent_api_public_url=api, agent_api_max_upload=4096
    ).start()
    try:
        agent, colleague = await people.agent(), await people.agent(online=False)
        visitor = await people.visitor()
        await visitor.send("here is the problem")
        [conversation_id] = await _assigned(agent, 1)

        async def upload(client, body: bytes, content_type: str, name: str = "receipt.png"):
            async with client.http.post(
                f"{api}/v1/files?name={name}", data=body, headers={"Content-Type": content_type}
            ) as response:
                return response.status, await response.json()

        status, file = await upload(agent, PNG, "image/png", "回执 1.png")
        assert status == 201 and file["size"] == len(PNG) and file["url"].startswith(f"{api}/files/")
        for body, kind, code in [
            (b"hello", "image/png", 415),
            (b"<html>", "text/html", 415),
            (bytes(5000), "text/plain", 413),
        ]:
            assert (await upload(agent, body, kind))[0] == code
        form = aiohttp.FormData()
        form.add_field("file", b"%PDF-1.4 statement", filename="statement.pdf", content_type="application/pdf")
        async with agent.http.post(f"{api}/v1/files", data=form) as response:
            assert response.status == 201 and (await response.json())["content_type"] == "application/pdf"

        replies = f"/v1/conversations/{conversation_id}/replies"
        _, theirs = await upload(colleague, PNG, "image/png")
        status, body = await agent.request("POST", replies, {"attachments": [theirs["id"]]})
        assert (status, body["error"]["code"]) == (422, "unknown_file")
        assert (await agent.request("POST", replies, {"text": "your receipt", "attachments": [file["id"]]}))[0] == 202
        frame = await visitor.next_frame("message")
        # Each link is signed when it is made (its expiry counts from then): compare what it names.
        sent = [a["url"].split("?")[0] for a in frame["attachments"]]
        assert frame["text"] == "your receipt" and sent == [file["url"].split("?")[0]]
        async with aiohttp.ClientSession() as anyone, anyone.get(file["url"]) as response:
            assert response.status == 200 and await response.read() == PNG
            assert response.headers["Content-Type"] == "image/png"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        async with aiohttp.ClientSession() as anyone, anyone.get(file["url"] + "x") as response:
            assert response.status == 403  # a signature changed by one character
    finally:
        system.stop()
