"""The agent API: authentication, visibility, errors as JSON, status and transfers."""

import uuid

import aiohttp
import pytest

from tests.support import wait_until

pytestmark = pytest.mark.e2e


async def test_requests_without_a_valid_token_are_refused(env, system):
    async with aiohttp.ClientSession() as http:
        for headers, code in [
            ({}, "unauthenticated"),
            ({"Authorization": "Basic abc"}, "unauthenticated"),
            ({"Authorization": "Bearer rdk_unknown"}, "invalid_token"),
        ]:
            async with http.get(env.url("agent_api", "/v1/me"), headers=headers) as response:
                assert response.status == 401
                assert (await response.json())["error"]["code"] == code


async def test_errors_are_json_with_fitting_statuses(system, people):
    agent = await people.agent()
    conversation = f"/v1/conversations/{uuid.uuid4()}"
    cases = [
        ("GET", "/v1/nowhere", None, 404, "not_found"),
        ("GET", conversation, None, 404, "not_found"),
        ("GET", "/v1/conversations/not-a-uuid", None, 404, "not_found"),
        ("POST", f"{conversation}/replies", {"text": "hi"}, 404, "not_found"),
        ("PUT", "/v1/me/status", {"status": "sleeping"}, 422, "invalid_request"),
        ("PUT", "/v1/me/status", {"status": "online", "extra": 1}, 422, "invalid_request"),
        ("DELETE", "/v1/me", None, 405, "method_not_allowed"),
    ]
    for method, path, body, status, code in cases:
        got_status, got = await agent.request(method, path, body)
        assert (got_status, got["error"]["code"]) == (status, code), (method, path)

    async with agent.http.put(agent.env.url("agent_api", "/v1/me/status"), data=b"{oops") as response:
        assert response.status == 400 and (await response.json())["error"]["code"] == "invalid_json"


async def test_agents_see_only_their_conversations_and_supervisors_see_all(system, people):
    owner, other = await people.agent(), await people.agent(capacity=1, online=False)
    supervisor = await people.agent(role="supervisor", online=False)
    visitor = await people.visitor()
    await visitor.send("card was charged twice")
    conversation_id = (await owner.next_event("assignment"))["conversation_id"]
    path = f"/v1/conversations/{conversation_id}"

    assert (await other.request("GET", path))[0] == 404
    status, body = await other.request("POST", f"{path}/replies", {"text": "not mine"})
    assert (status, body["error"]["code"]) == (404, "not_found")
    status, body = await supervisor.request("GET", path)
    assert status == 200 and [m["text"] for m in body["messages"]] == ["card was charged twice"]
    status, body = await supervisor.request("POST", f"{path}/replies", {"text": "jumping in"})
    assert (status, body["error"]["code"]) == (409, "not_assigned_to_you")
    status, body = await owner.request("POST", f"{path}/replies", {"text": ""})
    assert (status, body["error"]["code"]) == (422, "invalid_request")


async def test_going_offline_hands_conversations_to_an_online_colleague(system, people):
    leaving = await people.agent()
    visitor = await people.visitor()
    await visitor.send("need help with a loan repayment")
    conversation_id = (await leaving.next_event("assignment"))["conversation_id"]

    staying = await people.agent()
    status, _ = await leaving.request("PUT", "/v1/me/status", {"status": "offline"})
    assert status == 202
    unassigned = await leaving.next_event("unassigned")
    assert (unassigned["conversation_id"], unassigned["reason"]) == (conversation_id, "agent_offline")
    taken = await staying.next_event("assignment")
    assert (taken["conversation_id"], taken["reason"]) == (conversation_id, "queue")
    assert (await leaving.request("GET", "/v1/me"))[1]["open_conversations"] == 0


async def test_transfer_to_a_named_colleague(system, people):
    first, second = await people.agent(), await people.agent()
    visitor = await people.visitor()
    await visitor.send("please transfer me")
    assignment = await wait_until(lambda: _first_assignment(first, second), what="an assignment")
    owner, colleague = (first, second) if assignment["agent_id"] == first.id else (second, first)
    path = f"/v1/conversations/{assignment['conversation_id']}/transfer"

    status, _body = await owner.request("POST", path, {"to_agent_id": str(uuid.uuid4())})
    assert status == 202
    assert (await owner.next_event("command_rejected"))["reason"] == "target_agent_unavailable"

    status, _ = await owner.request("POST", path, {"to_agent_id": colleague.id, "note": "VIP"})
    assert status == 202
    assert (await owner.next_event("unassigned"))["reason"] == "transferred"
    moved = await colleague.next_event("assignment")
    assert (moved["conversation_id"], moved["reason"]) == (assignment["conversation_id"], "transfer")
    await colleague.reply(assignment["conversation_id"], "I can help")
    assert (await visitor.next_frame("message"))["text"] == "I can help"


async def _first_assignment(*agents):
    for agent in agents:
        try:
            return await agent.next_event("assignment", timeout=0.2)
        except TimeoutError:
            continue
    return None
