"""Email unsubscribe (List-Unsubscribe, RFC 8058 one-click): the link in a broadcast mail.

`GET` shows a button (mail scanners follow links, so a GET changes nothing); `POST`, from
that button or the mail client's one-click, records the opt-out through the router, which
owns contacts; every later broadcast and reply skips the address.
"""

import uuid
from datetime import UTC, datetime

from aiohttp import web

from contracts import SetContactConsent
from contracts.topology import AGENT_COMMAND_KEY
from services.notifier.deps import NotifierDeps
from services.notifier.surveys import _html
from shared.broker import publish

CONFIRM = """<h1>退订邮件通知 / Unsubscribe</h1><p>不再接收我们的群发邮件？/ Stop receiving our broadcast emails?</p>
<form method="post"><button name="List-Unsubscribe" value="One-Click">退订 / Unsubscribe</button></form>"""


async def unsubscribe(request: web.Request) -> web.Response:
    row = await NotifierDeps.of(request).pool.fetchrow(
        "SELECT channel, address, broadcast_id::text FROM broadcast_recipients WHERE unsubscribe_token = $1",
        request.match_info["token"][:64],
    )
    if row is None:
        return _html("<h1>链接无效 / This link is not valid</h1>", 404)
    if request.method == "GET":
        return _html(CONFIRM)
    command = SetContactConsent(
        command_id=str(uuid.uuid5(uuid.UUID(row["broadcast_id"]), f"unsubscribe:{row['address']}")),
        agent_id="",
        issued_at=datetime.now(UTC),
        channel=row["channel"],
        customer_address=row["address"],
        allowed=False,
        reason="list-unsubscribe",
    )
    await publish(NotifierDeps.of(request).broker, command, AGENT_COMMAND_KEY, message_id=command.command_id)
    return _html("<h1>已退订 / You are unsubscribed</h1>")


def register(app: web.Application) -> None:
    app.router.add_get("/unsubscribe/{token}", unsubscribe)
    app.router.add_post("/unsubscribe/{token}", unsubscribe)
