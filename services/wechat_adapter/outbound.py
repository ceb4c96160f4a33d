"""Consumes `outbound.wechat`: customer-service replies and template messages to WeChat.

A reply WeChat accepted is recorded before the ack, so a redelivery does not send it
twice; a closed 48-hour window becomes a `window_closed` delivery failure the router can
act on; rate limits back off; anything else is dead-lettered with WeChat's errcode.
"""

import asyncio
import logging
from datetime import UTC, datetime

import aiohttp
import asyncpg
from faststream.rabbit import RabbitBroker, RabbitMessage

from contracts import Channel, DeliveryReported, DeliveryStatus, OutboundMessage, WeChatTemplateMessage
from contracts.topology import delivery_key
from services.wechat_adapter import delivery
from services.wechat_adapter.api import WeChatApi, WeChatError
from services.wechat_adapter.delivery import Outcome
from services.wechat_adapter.tokens import AccessTokens
from shared.broker import DeadLetter, publish
from shared.config import WeChatAccount
from shared.uow import UnitOfWork

log = logging.getLogger("relaydesk.wechat")
RATE_LIMIT_DELAYS = (0.5, 1.0, 2.0, 4.0)
"""Back-off before each retry of a rate-limited call; then the message is redelivered later."""
MAX_MEDIA_BYTES = 10 * 1024 * 1024
WeChatOutbound = OutboundMessage | WeChatTemplateMessage


class RateLimited(Exception):
    """WeChat kept refusing for rate reasons; the broker redelivers after a backoff."""


class Sender:
    """Delivers one outbound message through the right account's API, exactly once if it can."""

    def __init__(
        self,
        broker: RabbitBroker,
        pool: asyncpg.Pool,
        api: WeChatApi,
        accounts: dict[str, WeChatAccount],
        delays: tuple[float, ...] = RATE_LIMIT_DELAYS,
    ):
        self.broker, self.pool, self.api, self.accounts, self.delays = broker, pool, api, accounts, delays
        self.tokens = AccessTokens(pool, api)

    async def on_message(self, message: WeChatOutbound, _: RabbitMessage) -> None:
        account = self._account(message.account)
        try:
            await self._deliver(account, message)
        except WeChatError as exc:
            if delivery.outcome(exc.errcode) == Outcome.WINDOW_CLOSED:
                await self._report(message, DeliveryStatus.FAILED, "window_closed", exc.errmsg)
                return
            await self._report(message, DeliveryStatus.FAILED, f"errcode_{exc.errcode}", exc.errmsg)
            raise DeadLetter(f"WeChat errcode {exc.errcode}: {exc.errmsg}") from None
        await self._report(message, DeliveryStatus.SENT)

    def _account(self, name: str) -> WeChatAccount:
        if account := self.accounts.get(name) or (None if name else next(iter(self.accounts.values()), None)):
            return account
        raise DeadLetter(f"no WeChat account {name!r} is configured")

    async def _deliver(self, account: WeChatAccount, message: WeChatOutbound) -> None:
        """Send each part once: a part WeChat accepted is recorded, and skipped on redelivery."""
        parts = await self._parts(account, message)
        for index, (method, payload) in enumerate(parts):
            key = message.message_id if index == 0 else f"{message.message_id}#{index}"
            # Serialized per part: a duplicate delivery waits here, then finds it sent.
            async with UnitOfWork(self.pool, lock=f"wechat:{key}") as uow:
                conn = uow.conn
                if await conn.fetchval("SELECT true FROM wechat_sends WHERE message_id = $1", key):
                    continue
                await self._call(account, method, payload)
                await conn.execute("INSERT INTO wechat_sends (message_id) VALUES ($1)", key)

    async def _parts(self, account: WeChatAccount, message: WeChatOutbound) -> list[tuple]:
        if isinstance(message, WeChatTemplateMessage):
            return [(self.api.send_template, delivery.template_message(message))]
        openid, images, links = message.customer_address, [], []
        for attachment in message.attachments:
            if media_id := delivery.wechat_media_id(attachment.ref):
                images.append(media_id)
            elif delivery.is_image(attachment.content_type) and attachment.ref.startswith(("http://", "https://")):
                images.append(await self._upload(account, attachment.ref, attachment.name, attachment.content_type))
            else:
                links.append(attachment.ref)
        parts = [
            (self.api.send_custom, delivery.text_message(openid, t)) for t in [delivery.with_links(message, links)] if t
        ]
        return parts + [(self.api.send_custom, delivery.image_message(openid, media_id)) for media_id in images]

    async def _upload(self, account: WeChatAccount, url: str, name: str, content_type: str) -> str:
        async with self.api.session.get(url) as response:
            response.raise_for_status()
            data = await response.content.read(MAX_MEDIA_BYTES + 1)
        if len(data) > MAX_MEDIA_BYTES:
            raise DeadLetter(f"attachment over {MAX_MEDIA_BYTES} bytes")
        name = name or url.rsplit("/", 1)[-1] or "image.jpg"
        return await self._call(account, self.api.upload_media, "image", name, data, content_type)

    async def _call(self, account: WeChatAccount, method, *args):
        """Call with a valid token: refresh once on a token error, back off on rate limits."""
        refreshed, delays = False, iter(self.delays)
        while True:
            token = await self.tokens.get(account)
            try:
                return await method(token, *args)
            except WeChatError as exc:
                match delivery.outcome(exc.errcode):
                    case Outcome.TOKEN_INVALID if not refreshed:
                        refreshed = True
                        await self.tokens.invalidate(account, token)
                    case Outcome.RATE_LIMITED:
                        if (delay := next(delays, None)) is None:
                            raise RateLimited(f"errcode {exc.errcode} after {len(self.delays)} retries") from None
                        log.info("WeChat rate limit (errcode %d); retrying in %ss", exc.errcode, delay)
                        await asyncio.sleep(delay)
                    case _:
                        raise
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise ConnectionError(f"WeChat API unreachable: {type(exc).__name__}") from None

    async def _report(
        self, message: WeChatOutbound, status: DeliveryStatus, reason: str = "", detail: str = ""
    ) -> None:
        report = DeliveryReported(
            message_id=message.message_id,
            channel=Channel.WECHAT,
            status=status,
            occurred_at=datetime.now(UTC),
            conversation_id=getattr(message, "conversation_id", ""),
            reason=reason,
            detail=detail[:500],
        )
        key = delivery_key(Channel.WECHAT)
        await publish(self.broker, report, key, message_id=f"{message.message_id}:{status}")
