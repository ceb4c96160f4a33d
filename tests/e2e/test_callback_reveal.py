"""Revealing the number behind a due callback: its agent and supervisors only, while it is open and due,
each reveal audited by callback id and never with the number."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from contracts.topology import APPLICATION_PREAPPROVED_KEY
from tests.e2e.test_callback_api import cast, claimed
from tests.notifier_support import PHONE, desk, preapproval, publish_in_order
from tests.support import wait_until

pytestmark = pytest.mark.e2e


async def reveals(env) -> list[dict]:
    conn = await env.db()
    try:
        rows = await conn.fetch(
            "SELECT actor_id::text AS actor_id, conversation_id, reason, detail::text AS detail FROM audit_log"
            " WHERE action = 'reveal_phone' ORDER BY id"
        )
    finally:
        await conn.close()
    return [dict(row) for row in rows]


async def test_the_owner_and_supervisors_reveal_a_due_callbacks_number_and_each_reveal_is_audited(env, people):
    async with desk(env, callback_preapproval_due="1s"):
        owner, other, supervisor, mine, pooled = await cast(env, people)

        status, body = await owner.request("POST", f"/v1/callbacks/{mine}/reveal")
        assert status == 200, body
        assert (body["phone"], body["tel"]) == (PHONE, f"tel:{PHONE}")
        assert (await supervisor.request("POST", f"/v1/callbacks/{mine}/reveal"))[0] == 200

        for who, callback, status, code in [
            (other, mine, 404, "not_found"),
            (other, pooled, 403, "forbidden"),  # the pool's callbacks are seen, but not their numbers
            (owner, pooled, 403, "forbidden"),
            (owner, str(uuid.uuid4()), 404, "not_found"),
            (owner, "not-a-uuid", 404, "not_found"),
        ]:
            got, answer = await who.request("POST", f"/v1/callbacks/{callback}/reveal")
            assert (got, answer["error"]["code"]) == (status, code), (callback, answer)

        audited = await reveals(env)
        assert [entry["actor_id"] for entry in audited] == [owner.id, supervisor.id]
        for entry in audited:
            assert f'"callback_id": "{mine}"' in entry["detail"]
            assert "13800138000" not in entry["detail"] + entry["reason"]

        # Claimed out of the pool but due tomorrow: not yet.
        assert (await other.request("POST", f"/v1/callbacks/{pooled}/claim"))[0] == 202
        await wait_until(lambda: claimed(other, pooled), what="the claim applied")
        status, answer = await other.request("POST", f"/v1/callbacks/{pooled}/reveal")
        assert (status, answer["error"]["code"]) == (409, "callback_not_due")

        assert (await owner.request("POST", f"/v1/callbacks/{mine}/outcome", {"outcome": "reached"}))[0] == 202
        assert (await owner.next_event("callback_updated"))["state"] == "closed"
        for who in (owner, supervisor):
            status, answer = await who.request("POST", f"/v1/callbacks/{mine}/reveal")
            assert (status, answer["error"]["code"]) == (409, "callback_closed")
        assert len(await reveals(env)) == 2  # refusals leave no entry


async def test_a_web_chat_callbacks_number_comes_from_the_customers_profile(env, people):
    async with desk(env):
        owner = await people.agent()
        supervisor = await people.agent(role="supervisor", online=False)
        visitor = await people.visitor()
        await visitor.send("please call me about my loan")
        conversation = (await owner.next_event("assignment"))["conversation_id"]
        status, body = await owner.request(
            "POST", "/v1/callbacks", {"conversation_id": conversation, "reason": "贷款回访"}
        )
        assert status == 202
        callback = (await owner.next_event("callback_assigned"))["callback_id"]
        assert callback == body["id"]

        status, answer = await owner.request("POST", f"/v1/callbacks/{callback}/reveal")
        assert (status, answer["error"]["code"]) == (409, "no_phone_number")

        profile = {"name": "李雷", "phone": "138 0013 9999", "conversation_id": conversation}
        assert (await supervisor.request("POST", "/v1/customers", profile))[0] == 201
        status, body = await owner.request("POST", f"/v1/callbacks/{callback}/reveal")
        assert (status, body["phone"], body["tel"]) == (200, "+8613800139999", "tel:+8613800139999")
        [entry] = await reveals(env)
        assert str(entry["conversation_id"]) == conversation and "13800139999" not in entry["detail"]


async def test_a_callback_moved_to_later_hides_its_number_until_it_is_due_again(env, people):
    async with desk(env, callback_preapproval_due="1s"):
        owner = await people.agent()
        await publish_in_order(env, APPLICATION_PREAPPROVED_KEY, preapproval(f"APP-{uuid.uuid4().hex[:8]}"))
        mine = (await owner.next_event("callback_due"))["callback_id"]
        later = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
        body = {"outcome": "reschedule", "reschedule_at": later}
        assert (await owner.request("POST", f"/v1/callbacks/{mine}/outcome", body))[0] == 202
        assert (await owner.next_event("callback_updated"))["state"] == "scheduled"
        status, answer = await owner.request("POST", f"/v1/callbacks/{mine}/reveal")
        assert (status, answer["error"]["code"]) == (409, "callback_not_due")
