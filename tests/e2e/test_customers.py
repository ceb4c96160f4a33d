"""Customer profiles: one person across channels, their history, consent, who may see and change what."""

import pytest

from tests.support import inbound, publish_inbound, wait_until

pytestmark = pytest.mark.e2e

PHONE = "+8613800138000"


async def test_a_profile_joins_channels_and_shows_history_and_consent(env, system, people):
    agent = await people.agent()
    stranger = await people.agent(online=False)
    supervisor = await people.agent(role="supervisor", online=False)
    visitor = await people.visitor(name="Li Wei")
    await visitor.send("my transfer is stuck")
    webchat_id = (await agent.next_event("assignment"))["conversation_id"]

    status, body = await agent.request("GET", f"/v1/conversations/{webchat_id}/customer")
    assert status == 200 and body["id"] is None and [i["channel"] for i in body["identities"]] == ["webchat"]
    assert (await agent.request("POST", "/v1/customers", {"name": "Li Wei"}))[0] == 422
    status, created = await agent.request(
        "POST",
        "/v1/customers",
        {"name": "李伟", "conversation_id": webchat_id, "tags": ["vip"], "timezone": "Asia/Shanghai"},
    )
    assert status == 201
    customer = f"/v1/customers/{created['id']}"
    status, body = await agent.request("PATCH", customer, {"phone": "138 0013 8000"})
    assert (status, body["error"]["code"]) == (403, "forbidden")
    assert (await supervisor.request("PATCH", customer, {"phone": "138 0013 8000", "email": "Li.Wei@Example.com"}))[
        0
    ] == 200

    await publish_inbound(env.settings, [inbound(PHONE, "还是没到账", channel="sms")])
    sms_id = (await agent.next_event("assignment"))["conversation_id"]
    status, profile = await agent.request("GET", f"/v1/conversations/{sms_id}/customer")
    assert status == 200 and profile["id"] == created["id"] and profile["name"] == "李伟"
    assert {i["channel"] for i in profile["identities"]} == {"webchat", "sms", "email"}
    assert PHONE not in str(profile) and "li.wei@example.com" not in str(profile)
    assert [c["id"] for c in profile["conversations"]] == [sms_id, webchat_id]
    assert all(c["worked_on"] for c in profile["conversations"])
    assert profile["consent"] == {"sms_opted_out": False, "email_unsubscribed": False, "wechat_unfollowed": False}
    listed = (await agent.request("GET", f"/v1/conversations?customer_id={created['id']}"))[1]["conversations"]
    assert {c["id"] for c in listed} == {sms_id, webchat_id} and {c["customer_name"] for c in listed} == {"李伟"}

    status, _ = await agent.request(
        "PUT", f"{customer}/consent", {"channel": "sms", "allowed": False, "reason": "asked on web chat to stop texts"}
    )
    assert status == 202

    async def opted_out() -> bool:
        return (await agent.request("GET", customer))[1]["consent"]["sms_opted_out"]

    await wait_until(opted_out, what="SMS opt-out recorded")
    status, body = await agent.request("PUT", f"{customer}/consent", {"channel": "wechat", "allowed": False})
    assert (status, body["error"]["code"]) == (409, "no_contact_on_channel")
    await agent.reply(sms_id, "收到")
    assert (await agent.next_event("command_rejected"))["reason"] == "customer_unreachable"

    assert (await stranger.request("GET", customer))[0] == 404
    assert (await stranger.request("GET", f"/v1/conversations/{sms_id}/customer"))[0] == 404
    assert (await supervisor.request("GET", customer))[0] == 200
    status, body = await supervisor.request("POST", "/v1/customers", {"name": "someone else", "phone": PHONE})
    assert (status, body["error"]["code"]) == (409, "conflict")
    assert (await agent.request("GET", "/v1/customers"))[0] == 403
    found = (await supervisor.request("GET", "/v1/customers?tag=vip"))[1]["customers"]
    assert [c["id"] for c in found] == [created["id"]] and PHONE not in str(found)

    conn = await env.db()
    try:
        views = await conn.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'view_customer' AND actor_id = $1",
            __import__("uuid").UUID(agent.id),
        )
    finally:
        await conn.close()
    assert views >= 3


async def test_supervisors_link_raw_addresses_and_bad_profiles_are_refused(env, system, people):
    supervisor = await people.agent(role="supervisor", online=False)
    for body in [
        {"phone": "12"},
        {"email": "not-an-email"},
        {"timezone": "Mars/Base"},
        {"tags": ["Bad Tag"]},
        {"name": "x", "colour": "red"},
    ]:
        status, answer = await supervisor.request("POST", "/v1/customers", body)
        assert (status, answer["error"]["code"]) == (422, "invalid_request"), body
    status, created = await supervisor.request(
        "POST",
        "/v1/customers",
        {"name": "Zhang", "external_id": "W-1001", "contacts": [{"channel": "wechat", "address": "o-openid-1"}]},
    )
    assert status == 201
    status, body = await supervisor.request("POST", "/v1/customers", {"external_id": "W-1001"})
    assert (status, body["error"]["code"]) == (409, "conflict")
    link = f"/v1/customers/{created['id']}/links"
    assert (await supervisor.request("POST", link, {"channel": "email", "address": "zhang@example.com"}))[0] == 200
    assert (await supervisor.request("POST", link, {"channel": "email"}))[0] == 422
    profile = (await supervisor.request("GET", f"/v1/customers/{created['id']}"))[1]
    assert {i["channel"] for i in profile["identities"]} == {"wechat", "email"} and profile["conversations"] == []
