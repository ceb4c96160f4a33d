"""WeChat's callback URL `/wechat/{account}`: the URL check and signed message pushes.

A push is answered only after the broker confirmed the normalized message, well inside
WeChat's 5-second wait (media fetching gets a bounded part of it: media.py); anything refused
gets its status and reaches nothing.
"""

import logging
import time

from aiohttp import web

from contracts.topology import inbound_key
from services.wechat_adapter import crypto, freshness
from services.wechat_adapter.crypto import CallbackRefused
from services.wechat_adapter.deps import WeChatDeps
from services.wechat_adapter.normalize import normalize, parse_xml, welcome_reply
from shared.broker import publish
from shared.config import WeChatAccount
from shared.http import ApiError
from shared.metrics import PUBLISHED

log = logging.getLogger("relaydesk.wechat")
PUBLISHED_INBOUND = PUBLISHED.labels("wechat_adapter", "inbound")
SUCCESS = "success"
"""What WeChat wants back when there is no passive reply (an empty body works too)."""


def _account(request: web.Request) -> WeChatAccount:
    name = request.match_info["account"]
    if (account := WeChatDeps.of(request).settings.accounts.get(name)) is None:
        raise ApiError(404, "unknown_account", f"no WeChat account named {name!r} is configured")
    return account


def _refused(account: WeChatAccount, exc: CallbackRefused) -> ApiError:
    # The reason says what failed, never what the body held: it may be a customer's message.
    log.warning("wechat callback for %s refused (%d): %s", account.name, exc.status, exc.reason)
    code = {400: "bad_callback", 403: "forbidden"}.get(exc.status, "refused")
    return ApiError(exc.status, code, exc.reason)


async def verify_url(request: web.Request) -> web.Response:
    """WeChat's server-configuration check: echo `echostr` when signed with our token."""
    account = _account(request)
    try:
        return web.Response(text=crypto.verify_url(account, dict(request.query)))
    except CallbackRefused as exc:
        raise _refused(account, exc) from None


def open_callback(account: WeChatAccount, query: dict[str, str], body: bytes) -> dict[str, str]:
    """The callback's message fields, once its signature (and in safe mode its AES) check out."""
    if crypto.is_encrypted(account, query):
        envelope = parse_xml(body)
        return parse_xml(crypto.decrypt(account, query, envelope.get("Encrypt", "")))
    crypto.check_plain(account, query)
    return parse_xml(body)


async def receive(request: web.Request) -> web.Response:
    """A message or event from WeChat: verify, normalize, publish with a confirm, then answer."""
    account = _account(request)
    body = await request.read()  # over the app's client_max_size: 413 before we look at it
    deps = WeChatDeps.of(request)
    pool = deps.pool
    try:
        fields = open_callback(account, dict(request.query), body)
        stamp = freshness.fresh_stamp(dict(request.query), time.time())
        message = normalize(account, fields)
        if not await freshness.remember(pool, account.name, stamp, time.time()):
            raise CallbackRefused(403, "timestamp and nonce already used: refused as a replay")
    except CallbackRefused as exc:
        raise _refused(account, exc) from None
    try:
        message = await deps.media.collect(account, message)
        await publish(deps.broker, message, inbound_key(message.channel), message_id=message.message_id)
    except Exception as exc:
        log.warning("publish failed, WeChat will retry: %s", type(exc).__name__)
        await freshness.forget(pool, account.name, stamp)
        raise ApiError(503, "unavailable", "message not accepted; retry") from None
    PUBLISHED_INBOUND.inc()
    if reply := welcome_reply(account, fields):
        return web.Response(text=crypto.seal(account, reply), content_type="application/xml")
    return web.Response(text=SUCCESS, content_type="text/plain")
