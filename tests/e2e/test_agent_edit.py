"""Admins change an agent's role, skills, languages, channels, teams and capacity: only the fields given,
bounded, audited, and in force from the agent's next request."""

import json
import uuid

import pytest

pytestmark = pytest.mark.e2e


async def audited(env, agent_id: str) -> list[str]:
    conn = await env.db()
    try:
        rows = await conn.fetch(
            "SELECT detail::text FROM audit_log WHERE action = 'update_agent' AND detail ->> 'agent_id' = $1"
            " ORDER BY id",
            agent_id,
        )
    finally:
        await conn.close()
    return [row[0] for row in rows]


async def test_an_admin_changes_only_the_fields_given_and_a_new_role_holds_from_the_next_request(env, system, people):
    admin = await people.agent(role="admin", online=False, stream=False)
    agent = await people.agent(online=False, stream=False)
    before = next(a for a in (await admin.request("GET", "/v1/admin/agents"))[1]["agents"] if a["id"] == agent.id)
    assert (await agent.request("GET", "/v1/stats/live"))[0] == 403

    changes = {"role": "supervisor", "capacity": 12, "skills": ["loan", "complaint", "loan"], "teams": ["vip"]}
    status, after = await admin.request("PATCH", f"/v1/admin/agents/{agent.id}", changes)
    assert status == 200, after
    assert (after["role"], after["capacity"], after["skills"], after["teams"]) == (
        "supervisor",
        12,
        ["loan", "complaint"],
        ["vip"],
    )
    assert (after["languages"], after["channels"], after["name"]) == (
        before["languages"],
        before["channels"],
        before["name"],
    )
    listed = next(a for a in (await admin.request("GET", "/v1/admin/agents"))[1]["agents"] if a["id"] == agent.id)
    assert listed == after
    assert (await agent.request("GET", "/v1/stats/live"))[0] == 200  # the same token, the new role
    assert (await agent.request("GET", "/v1/me"))[1]["role"] == "supervisor"

    [entry] = await audited(env, agent.id)
    changed = json.loads(entry)["changed"]
    assert changed["capacity"] == {"from": 5, "to": 12} and changed["role"] == {"from": "agent", "to": "supervisor"}
    assert "languages" not in changed  # not asked to change

    status, again = await admin.request("PATCH", f"/v1/admin/agents/{agent.id}", {"channels": ["sms", "wechat"]})
    assert (status, again["channels"], again["capacity"]) == (200, ["sms", "wechat"], 12)


async def test_only_admins_edit_agents_and_bad_values_change_nothing(env, system, people):
    admin = await people.agent(role="admin", online=False, stream=False)
    supervisor = await people.agent(role="supervisor", online=False, stream=False)
    agent = await people.agent(online=False, stream=False)
    path = f"/v1/admin/agents/{agent.id}"

    for who in (agent, supervisor):
        status, body = await who.request("PATCH", path, {"capacity": 50})
        assert (status, body["error"]["code"]) == (403, "forbidden")
    for body in [
        {},
        {"capacity": 0},
        {"capacity": 1001},
        {"capacity": "7"},
        {"skills": ["cooking"]},
        {"channels": ["fax"]},
        {"languages": ["EN!"]},
        {"teams": ["x"] * 33},
        {"role": "owner"},
        {"name": "renamed"},
    ]:
        status, answer = await admin.request("PATCH", path, body)
        assert (status, answer["error"]["code"]) == (422, "invalid_request"), body
    for missing in (str(uuid.uuid4()), "not-an-id"):
        status, answer = await admin.request("PATCH", f"/v1/admin/agents/{missing}", {"capacity": 2})
        assert (status, answer["error"]["code"]) == (404, "no_such_agent"), missing

    status, answer = await admin.request("PATCH", f"/v1/admin/agents/{admin.id}", {"role": "agent"})
    assert (status, answer["error"]["code"]) == (409, "last_admin")
    assert (await admin.request("GET", "/v1/admin/agents"))[0] == 200  # still an admin

    unchanged = next(a for a in (await admin.request("GET", "/v1/admin/agents"))[1]["agents"] if a["id"] == agent.id)
    assert (unchanged["capacity"], unchanged["role"], unchanged["skills"]) == (5, "agent", [])
    assert await audited(env, agent.id) == [] and await audited(env, admin.id) == []
