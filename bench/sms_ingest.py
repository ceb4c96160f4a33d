"""SMS ingest: Twilio-signed inbound webhooks into the adapter, against a bare publish endpoint.

The harness (bench/ingest.py) runs both, alternating; this file says what the provider
sends: form-encoded inbound messages with X-Twilio-Signature over the adapter's URL, each
with its own MessageSid, from a few hundred Chinese mobile numbers.

    .venv/bin/python bench/sms_ingest.py [--seconds 6] [--rounds 3] [--concurrency 32] [--rate 200]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import Ingest, Request, main
from contracts.topology import inbound_key
from tests.sms_provider import ACCOUNT_SID, AUTH_TOKEN, twilio_webhook

TEXT = "你好，我的转账还没到账，订单 2026112400123"


def requests(adapter_base: str, count: int, first_id: int) -> list[Request]:
    url = f"{adapter_base}/sms/inbound"
    built = []
    for n in range(count):
        params = {
            "MessageSid": f"SM{first_id + n:032d}",
            "From": f"+86138{n % 500:08d}",
            "To": "+8610690000",
            "Body": TEXT,
            "NumSegments": "1",
        }
        body, headers = twilio_webhook(url, params)
        built.append(("/sms/inbound", body, headers))
    return built


SMS = Ingest(
    service="sms_adapter",
    path="/sms/inbound",
    routing_key=inbound_key("sms"),
    describe=f"Twilio-signed inbound SMS of {len(TEXT)} chars",
    settings=lambda: {"sms_account_sid": ACCOUNT_SID, "sms_auth_token": AUTH_TOKEN},
    requests=requests,
)

if __name__ == "__main__":
    sys.exit(main(SMS, __doc__))
