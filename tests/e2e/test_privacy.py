"""Privacy end to end: agents read identifiers masked, supervisors unmask with a reason, admins audit."""

import json
import uuid
from urllib.parse import urlencode

import msgspec
import pytest

from tests.support import System, inbound, publish_inbound

pytestmark = pytest.mark.e2e

CHINESE = (
    "你好，我的卡号是6222021234567890128，身份证号110101199003078515，手机+86 138-1234-5678，"
    "邮箱wang.li@example.com，订单号2026112400123456789"
)
CHINESE_MASKED = (
    "你好，我的卡号是***************0128，身份证号**************8515，手机+** ***-****-5678，"
    "邮箱w***@example.com，订单号2026112400123456789"
)
ENGLISH = (
    "Card 4111 1111 1111 1111 was charged ¥1,234.56 twice. ID 11010519491231002X, "
    "call 13912345678 or mail zhang.san@example.org"
)
ENGLISH_MASKED = (
    "Card **** **** **** 1111 was charged ¥1,234.56 twice. ID **************002X, "
    "call *******5678 or mail z***@example.org"
)
SECRETS = [
    "6222021234567890128",
    "110101199003078515",
    "138-1234-5678",
    "wang.li",
    "4111 1111 1111 1111",
    "11010519491231002X",
    "13912345678",
    "zhang.san",
]
REASON = "Customer disputes the charge; bank asked for the card number (ticket 4711)"


@pytest.fixture
async def running(env):
    system = await System(env, ["router", "agent_api", "webchat_adapter"]).start()
    yield system
    system.stop()


def assert_nothing_secret(payload) -> None:
    shown = json.dumps(payload, ensure_ascii=False)
    assert not [secret for secret in SECRETS if secret in shown], shown


async def customer_writes_twice(env, agent) -> tuple[str, dict, dict]:
    """A customer writes in Chinese, then in English; the agent's stream shows both (conversation id, events)."""
    customer = f"privacy-{uuid.uuid4().hex[:8]}"
    await publish_inbound(env.settings, [inbound(customer, CHINESE)])
    assignment = await agent.next_event("assignment")
    await publish_inbound(env.settings, [inbound(customer, ENGLISH)])
    message = await agent.next_event("message")
    return assignment["conversation_id"], assignment, message


async def test_agents_read_every_identifier_masked_in_the_stream_and_the_history(env, running, people):
    agent = await people.agent()
    conversation_id, assignment, message = await customer_writes_twice(env, agent)
    assert assignment["preview"] == CHINESE_MASKED
    assert message["text"] == ENGLISH_MASKED
    assert_nothing_secret([assignment, message])

    status, body = await agent.request("GET", f"/v1/conversations/{conversation_id}")
    assert status == 200
    assert [m["text"] for m in body["messages"] if m["direction"] == "in"] == [CHINESE_MASKED, ENGLISH_MASKED]
    assert_nothing_secret(body)


async def test_a_supervisor_unmasks_one_message_for_a_reason_and_admins_see_who_and_why(env, running, people):
    agent = await people.agent()
    supervisor = await people.agent(role="supervisor", online=False, stream=False)
    admin = await people.agent(role="admin", online=False, stream=False)
    conversation_id, _, _ = await customer_writes_twice(env, agent)
    status, body = await agent.request("GET", f"/v1/conversations/{conversation_id}")
    assert status == 200
    chinese_id, english_id = [m["id"] for m in body["messages"] if m["direction"] == "in"]
    unmask = f"/v1/messages/{chinese_id}/unmask"

    for who in (agent, supervisor):  # the log is the admins'
        status, refused = await who.request("GET", "/v1/admin/audit")
        assert (status, refused["error"]["code"]) == (403, "forbidden")
    status, refused = await agent.request("POST", unmask, {"reason": "I am curious"})
    assert (status, refused["error"]["code"]) == (403, "forbidden")
    unfit = ({}, {"reason": "ok"}, {"reason": "   x   "}, {"reason": "x" * 501}, {"reason": REASON, "all": 1})
    for reason_body in unfit:
        status, refused = await supervisor.request("POST", unmask, reason_body)
        assert (status, refused["error"]["code"]) == (422, "invalid_request"), reason_body
    for unknown in (uuid.uuid4(), "not-a-message"):
        status, refused = await supervisor.request("POST", f"/v1/messages/{unknown}/unmask", {"reason": REASON})
        assert (status, refused["error"]["code"]) == (404, "not_found")

    status, original = await supervisor.request("POST", unmask, {"reason": REASON})
    assert status == 200, original
    assert original.pop("audit_id") > 0
    assert original == {"id": chinese_id, "conversation_id": conversation_id, "text": CHINESE}

    status, log = await admin.request("GET", "/v1/admin/audit?" + urlencode({"conversation_id": conversation_id}))
    assert status == 200, log
    # Refused attempts leave no entry: newest first, the unmask, then the agent's view.
    assert [(e["action"], e["actor_id"], e["actor_role"]) for e in log["entries"]] == [
        ("unmask_message", supervisor.id, "supervisor"),
        ("view_conversation", agent.id, "agent"),
    ]
    unmasked, viewed = log["entries"]
    assert (unmasked["message_id"], unmasked["conversation_id"]) == (chinese_id, conversation_id)
    assert unmasked["reason"] == REASON
    assert unmasked["actor_name"] and unmasked["at"] and unmasked["detail"]["token_id"]
    assert (viewed["message_id"], viewed["reason"], viewed["detail"]["messages"]) == (None, "", 2)
    assert english_id not in json.dumps(log) and log["next_after"] is None
    assert_nothing_secret(log)  # the trail names what was read, never what it said


async def test_the_audit_log_filters_and_pages_newest_first(env, running, people):
    agent = await people.agent()
    supervisor = await people.agent(role="supervisor", online=False, stream=False)
    admin = await people.agent(role="admin", online=False, stream=False)
    conversation_id, _, _ = await customer_writes_twice(env, agent)
    path = f"/v1/conversations/{conversation_id}"
    for viewer in (agent, supervisor, agent, admin):
        assert (await viewer.request("GET", path))[0] == 200
    status, body = await admin.request("GET", path)
    message_id = body["messages"][0]["id"]
    assert (await admin.request("POST", f"/v1/messages/{message_id}/unmask", {"reason": "fraud review"}))[0] == 200

    async def audit(**params):
        status, body = await admin.request("GET", "/v1/admin/audit?" + urlencode(params))
        assert status == 200, body
        return body

    everything = (await audit())["entries"]
    assert [e["action"] for e in everything] == ["unmask_message"] + ["view_conversation"] * 5
    assert [e["id"] for e in everything] == sorted((e["id"] for e in everything), reverse=True)
    assert [e["actor_id"] for e in (await audit(actor_id=agent.id))["entries"]] == [agent.id, agent.id]
    assert [e["actor_id"] for e in (await audit(action="unmask_message"))["entries"]] == [admin.id]
    assert (await audit(conversation_id=str(uuid.uuid4())))["entries"] == []
    assert (await audit(actor_id="", action=""))["entries"] == everything  # empty values filter nothing
    middle = everything[2]
    since, until = (await audit(**{"from": middle["at"]}))["entries"], (await audit(to=middle["at"]))["entries"]
    assert [e["id"] for e in since + until] == [e["id"] for e in everything]  # from inclusive, to exclusive
    assert since[-1]["id"] == middle["id"]

    pages, after = [], None
    while True:
        page = await audit(limit=4, **({"after": after} if after else {}))
        pages.append([e["id"] for e in page["entries"]])
        if (after := page["next_after"]) is None:
            break
    assert pages == [[e["id"] for e in everything[:4]], [e["id"] for e in everything[4:]]]

    for bad in (
        {"limit": 0},
        {"limit": 501},
        {"limit": "ten"},
        {"after": -1},
        {"actor_id": "nobody"},
        {"from": "yesterday"},
        {"from": "2026-01-01T00:00:00"},
        {"from": middle["at"], "to": middle["at"]},
        {"colour": "red"},
    ):
        status, refused = await admin.request("GET", "/v1/admin/audit?" + urlencode(bad))
        assert (status, refused["error"]["code"]) == (422, "invalid_request"), bad


NAMED = "我是张三，卡号6222.0212.3456.7894，手机138.1234.5678，也可以打（１３８）１２３４５６７８"
NAMED_MASKED = "我是张*，卡号****.****.****.7894，手机***.****.5678，也可以打（***）****５６７８"
NAMED_LATER = "张三 again: card 6 2 2 2 0 2 1 2 3 4 5 6 7 8 9 4, phone +86 (138) 1234-5678"
NAMED_LATER_MASKED = "张* again: card * * * * * * * * * * * * 7 8 9 4, phone +** (***) ****-5678"


async def test_dotted_spaced_and_full_width_numbers_and_the_customers_name_are_masked(env, running, people):
    agent = await people.agent()
    supervisor = await people.agent(role="supervisor", online=False, stream=False)
    customer = f"privacy-{uuid.uuid4().hex[:8]}"
    named = msgspec.structs.replace(inbound(customer, NAMED), customer_name="张三")
    await publish_inbound(env.settings, [named])
    assignment = await agent.next_event("assignment")
    # The name itself is shown where the console names the customer (CONSOLE.md); in text it is masked.
    assert (assignment["customer_name"], assignment["preview"]) == ("张三", NAMED_MASKED)
    await publish_inbound(env.settings, [inbound(customer, NAMED_LATER)])
    assert (await agent.next_event("message"))["text"] == NAMED_LATER_MASKED
    conversation_id = assignment["conversation_id"]
    status, _ = await agent.request("POST", f"/v1/conversations/{conversation_id}/notes", {"text": "张三说卡丢了"})
    assert status in (200, 201)

    status, body = await agent.request("GET", f"/v1/conversations/{conversation_id}")
    assert status == 200
    assert [m["text"] for m in body["messages"] if m["direction"] == "in"] == [NAMED_MASKED, NAMED_LATER_MASKED]
    assert [n["text"] for n in body["notes"]] == ["张*说卡丢了"]
    message_id = body["messages"][0]["id"]
    status, original = await supervisor.request("POST", f"/v1/messages/{message_id}/unmask", {"reason": REASON})
    assert (status, original["text"]) == (200, NAMED)
