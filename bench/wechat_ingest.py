"""WeChat ingest: signed, AES-encrypted callbacks into the adapter, against a bare publish endpoint.

The harness (bench/ingest.py) runs both, alternating; this file says what WeChat sends: a
safe-mode text callback for the account `wallet`, each with its own MsgId.

    .venv/bin/python bench/wechat_ingest.py [--seconds 6] [--rounds 3] [--concurrency 32] [--rate 200]
"""

import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import Ingest, Request, main
from contracts.topology import inbound_key
from tests.wechat import account, callback, text_xml

ACCOUNT = account("safe")
TEXT = "你好，我昨天的转账到现在还没到账，订单号 2026112400123，麻烦帮我查一下 thanks"


def requests(_: str, count: int, first_id: int) -> list[Request]:
    now = int(time.time())
    built = []
    for n in range(count):
        query, body = callback(ACCOUNT, text_xml(f"o-bench-{n % 500}", TEXT, first_id + n, now))
        built.append((f"/wechat/wallet?{urlencode(query)}", body, {"Content-Type": "text/xml"}))
    return built


WECHAT = Ingest(
    service="wechat_adapter",
    path="/wechat/{account}",
    routing_key=inbound_key("wechat"),
    describe=f"safe-mode (AES) text callbacks of {len(TEXT)} chars",
    settings=lambda: {"wechat_accounts": (ACCOUNT,)},
    requests=requests,
)

if __name__ == "__main__":
    sys.exit(main(WECHAT, __doc__))
