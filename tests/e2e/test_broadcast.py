"""A broadcast to 5,000 contacts on three channels, with opted-out customers, customers in their
quiet hours and customers reachable on two channels: exact counts per outcome, nobody twice,
though two notifier replicas are killed mid-send, one after the other, and one started again."""

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import aio_pika
import msgspec
import pytest

from contracts.topology import EMAIL_OUTBOUND, SMS_OUTBOUND, WECHAT_OUTBOUND
from tests.support import System, free_port, queue_depth, wait_until

pytestmark = pytest.mark.e2e

CONTENT = {
    "wechat": {
        "text": "钱包新功能上线 / New wallet feature",
        "template_id": "TPL-NOTICE",
        "template_data": {"first": "您好"},
    },
    "email": {
        "subject": "手续费调整 / Fee change",
        "text": "Fees change on 1 December.",
        "html": "<p>Fees change.</p>",
    },
    "sms": {"text": "【钱包】12月1日起手续费调整，详情见App。回T退订"},
}


def zone_at(local_hour: int) -> str:
    """A fixed-offset zone where it is now `local_hour` o'clock (Etc/GMT-3 is UTC+3)."""
    offset = (local_hour - datetime.now(UTC).hour + 12) % 24 - 12
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


async def seed(conn, now: datetime, quiet_zone: str) -> None:
    """2000 SMS, 1500 email and 1500 WeChat contacts; 100 people with both an SMS and an email
    contact; 400 opted out; 300 SMS customers whose own zone is in quiet hours."""
    recent, old = now - timedelta(hours=1), now - timedelta(days=10)
    contacts = []
    for n in range(2000):
        contacts.append(("sms", f"+8613{n:09d}", n >= 1800, old))  # 200 opted out
    for n in range(1500):
        contacts.append(("email", f"c{n}@example.com", n >= 1400, recent if n < 100 else old))  # 100 out
    for n in range(1500):
        contacts.append(("wechat", f"openid-{n}", n >= 1400, recent if n < 700 else old))  # 100 unfollowed
    await conn.copy_records_to_table(
        "contacts",
        columns=["channel", "address", "reachable", "last_inbound_at", "account"],
        records=[(channel, address, not out, seen, "main") for channel, address, out, seen in contacts],
    )
    people = [(uuid.uuid4(), "", []) for _ in range(100)] + [(uuid.uuid4(), quiet_zone, ["sms"]) for _ in range(300)]
    await conn.copy_records_to_table(
        "customers", columns=["id", "timezone"], records=[(pid, zone) for pid, zone, _ in people]
    )
    identities = [("sms", f"+8613{n:09d}", pid) for n, (pid, _, _) in enumerate(people[:100])]  # both channels:
    identities += [("email", f"c{n}@example.com", pid) for n, (pid, _, _) in enumerate(people[:100])]  # email newer
    identities += [("sms", f"+8613{100 + n:09d}", pid) for n, (pid, _, _) in enumerate(people[100:])]
    await conn.copy_records_to_table(
        "customer_identities", columns=["channel", "address", "customer_id"], records=identities
    )


async def drain(settings, queue: str) -> list[dict]:
    """Everything waiting on a queue, decoded."""
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        source = await (await connection.channel()).get_queue(queue)
        found = []
        while (message := await source.get(fail=False)) is not None:
            await message.ack()
            found.append(msgspec.json.decode(message.body))
        return found
    finally:
        await connection.close()


async def test_a_broadcast_reaches_each_person_once_across_a_crash(env, people):
    conn = await env.db()
    try:
        await seed(conn, datetime.now(UTC), zone_at(2))
    finally:
        await conn.close()
    settings = {
        "default_timezone": zone_at(12),
        "broadcast_rates": {"wechat": 300.0, "email": 300.0, "sms": 300.0},
        "survey_delay": "off",
    }
    api = await System(env, ["agent_api"]).start()
    first, second = [await System(env, ["notifier"], **settings, notifier_port=free_port()).start() for _ in range(2)]
    try:
        supervisor = await people.agent(role="supervisor", online=False, stream=False)
        status, created = await supervisor.request(
            "POST", "/v1/broadcasts", {"name": "Fee change", "audience": {"kind": "everyone"}, "content": CONTENT}
        )
        assert status == 202 and created["estimate"]["sms"]["segments"] == 1
        path = f"/v1/broadcasts/{created['id']}"

        async def progress() -> dict:
            status, body = await supervisor.request("GET", path)
            return body["progress"] if status == 200 else {}

        await wait_until(lambda: _reached(progress, "sent", 600), what="sending under way")
        first.kill()  # the other replica takes over what it was planning or sending
        await wait_until(lambda: _reached(progress, "sent", 1800), what="sending goes on")
        second.kill()  # now nobody: everything stops mid-send
        assert (await progress())["sent"] < 4200
        first = await System(env, ["notifier"], **settings).start()
        final = await wait_until(lambda: _settled(progress), timeout=120, what="every recipient handled")
    finally:
        for process in (first, second, api):
            process.stop()

    assert {k: final[k] for k in ("sent", "held", "skipped", "queued", "failed", "delivered")} == {
        "sent": 4200,
        "held": 300,
        "skipped": 400,
        "queued": 0,
        "failed": 0,
        "delivered": 0,
    }
    assert final["reasons"] == {"opted_out": 400}
    assert {channel: counts["sent"] for channel, counts in final["by_channel"].items()} == {
        "sms": 1400,
        "email": 1400,
        "wechat": 1400,
    }
    assert final["by_channel"]["sms"]["held"] == 300

    messages = {
        queue.name: await drain(env.settings, queue.name) for queue in (SMS_OUTBOUND, EMAIL_OUTBOUND, WECHAT_OUTBOUND)
    }
    sent = [m for found in messages.values() for m in found]
    by_id = {m["message_id"]: m.get("customer_address") or m.get("openid") for m in sent}
    assert len(by_id) == 4200  # a message resent after the kill carries its first id: the adapter sends it once
    assert len(set(by_id.values())) == 4200  # and no person has two
    assert Counter(m["type"] for m in messages[WECHAT_OUTBOUND.name]).keys() <= {"outbound_message", "wechat_template"}
    mails = {m["customer_address"] for m in messages[EMAIL_OUTBOUND.name]}
    assert {f"c{n}@example.com" for n in range(100)} <= mails  # the two-channel people got the email
    assert all(m["unsubscribe_url"].startswith("http") for m in messages[EMAIL_OUTBOUND.name])
    assert await queue_depth(env.settings, SMS_OUTBOUND.name) == 0


async def _reached(progress, outcome: str, count: int) -> bool:
    return (await progress()).get(outcome, 0) >= count


async def _settled(progress) -> dict | None:
    found = await progress()
    return (
        found if found and found["queued"] == 0 and sum(found[k] for k in ("sent", "held", "skipped")) == 4900 else None
    )
