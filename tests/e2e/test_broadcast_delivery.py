"""A broadcast through the real SMS adapter to a provider stand-in: every number texted exactly
once although the notifier is killed mid-send, and the provider's receipts become progress."""

from collections import Counter

import pytest

from tests.sms_provider import ACCOUNT_SID, AUTH_TOKEN, GENERIC_SECRET, SmsProviderStandIn
from tests.support import System, free_port, wait_until

pytestmark = pytest.mark.e2e

NUMBERS = [f"+86138{n:08d}" for n in range(200)]


@pytest.fixture
async def provider():
    stand_in = await SmsProviderStandIn().start()
    yield stand_in
    await stand_in.stop()


async def test_each_number_is_texted_once_across_a_notifier_crash(env, people, provider):
    conn = await env.db()
    try:
        await conn.copy_records_to_table(
            "contacts", columns=["channel", "address"], records=[("sms", number) for number in NUMBERS]
        )
    finally:
        await conn.close()
    sms_port = free_port()
    notifier_settings = {"broadcast_rates": {"sms": 100.0}, "survey_delay": "off", "quiet_hours": "00:00-00:00"}
    running = [
        await System(env, ["agent_api"]).start(),
        await System(
            env,
            ["sms_adapter"],
            sms_port=sms_port,
            sms_provider="twilio",
            sms_api_base=provider.base_url,
            sms_sender="+8610690000",
            sms_account_sid=ACCOUNT_SID,
            sms_auth_token=AUTH_TOKEN,
            sms_webhook_secret=GENERIC_SECRET,
            sms_public_url=f"http://127.0.0.1:{sms_port}",
        ).start(),
    ]
    notifier = await System(env, ["notifier"], **notifier_settings).start()
    try:
        supervisor = await people.agent(role="supervisor", online=False, stream=False)
        _, created = await supervisor.request(
            "POST",
            "/v1/broadcasts",
            {
                "name": "Maintenance",
                "audience": {"kind": "everyone"},
                "content": {"sms": {"text": "【钱包】今晚系统维护，回T退订"}},
            },
        )
        await provider.wait_for(40)
        notifier.kill()
        assert len(provider.sent) < len(NUMBERS)
        notifier = await System(env, ["notifier"], **notifier_settings).start()
        sent = await provider.wait_for(len(NUMBERS), timeout=60)

        async def finished() -> dict | None:
            body = (await supervisor.request("GET", f"/v1/broadcasts/{created['id']}"))[1]
            return body if body["state"] == "done" else None

        done = await wait_until(finished, what="broadcast done")
        texted = Counter(message.to for message in sent)
        assert set(texted) == set(NUMBERS) and max(texted.values()) == 1
        assert done["progress"]["sent"] + done["progress"]["delivered"] == len(NUMBERS)

        for message in sent[:5]:
            assert await provider.report(message, "delivered") == 200

        async def delivered() -> bool:
            body = (await supervisor.request("GET", f"/v1/broadcasts/{created['id']}"))[1]
            return body["progress"]["delivered"] == 5

        await wait_until(delivered, what="receipts counted")
    finally:
        notifier.stop()
        for process in running:
            process.stop()
