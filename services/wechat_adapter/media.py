"""Customer media on WeChat (images, voice, video): fetched by MediaId, checked, stored once.

WeChat keeps a customer's media for 3 days and gives it only to the account's access token, so
the adapter fetches it while the callback is handled and keeps it. The callback waits at most
`RELAYDESK_WECHAT_MEDIA_WAIT` seconds (WeChat wants its answer within 5): by then the attachment
usually carries its real type and size; slower media goes on downloading after the answer. The
media id is written down before anything is fetched, so one that a crash or an outage kept from
being fetched is fetched by the sweep (`RELAYDESK_WECHAT_MEDIA_SWEEP_INTERVAL`, every replica; the
per-media lock makes one of them do it) or when an agent first opens it, within the 3 days.
"""

import asyncio
import hashlib
import logging
from datetime import UTC, datetime, timedelta

import aiohttp
import asyncpg
from msgspec.structs import replace

from contracts import Attachment, InboundMessage
from services.wechat_adapter import voice
from services.wechat_adapter.api import TOO_LARGE, WeChatApi, WeChatError
from services.wechat_adapter.delivery import TOKEN_ERRCODES, wechat_media_id
from services.wechat_adapter.tokens import AccessTokens
from shared.config import WeChatAccount
from shared.filetypes import sniffed_media_type, usual_extension
from shared.http import ApiError
from shared.uow import UnitOfWork

log = logging.getLogger("relaydesk.wechat")
LIFETIME = timedelta(days=3)
INVALID_MEDIA = 40007
REFUSALS = {
    "too_large": (413, "The customer's file is larger than Relaydesk keeps."),
    "unsupported_type": (415, "The customer's file is of a type Relaydesk does not keep."),
    "expired": (410, "WeChat no longer has this file (media is kept 3 days)."),
}
_STATUS = "SELECT status, content_type, size FROM wechat_media WHERE media_id = $1"
Typed = tuple[str, bytes]
"""A content type and the bytes of that type."""
_SHOWN = (
    "SELECT m.status, m.reason, m.account, m.content_type, m.size, m.received_at, b.body"
    " FROM wechat_media m LEFT JOIN wechat_blobs b ON b.sha256 = m.sha256 WHERE m.media_id = $1"
)


def with_media(message: InboundMessage, content_type: str, size: int) -> InboundMessage:
    """The message with its stored media's real type, size and a name that says what it is."""
    name = f"wechat-{message.kind.value}{usual_extension(content_type)}"
    first = message.attachments[0]
    return replace(message, attachments=(Attachment(first.ref, content_type, name, size), *message.attachments[1:]))


class MediaStore:
    """`collect` a callback's media; `read` it for whoever holds a signed link."""

    def __init__(
        self, pool: asyncpg.Pool, api: WeChatApi, tokens: AccessTokens, accounts: dict, limit: int, wait: float
    ):
        self.pool, self.api, self.tokens, self.accounts = pool, api, tokens, accounts
        self.limit, self.wait = limit, wait
        self.fetching: set[asyncio.Task] = set()

    async def collect(self, account: WeChatAccount, message: InboundMessage) -> InboundMessage:
        """Note the message's media id, then give its fetch up to `wait` seconds."""
        media_id = wechat_media_id(message.attachments[0].ref) if message.attachments else None
        if not media_id or message.kind.value not in ("image", "voice", "video"):
            return message
        await self.pool.execute(
            "INSERT INTO wechat_media (media_id, account) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            media_id,
            account.name,
        )
        task = asyncio.create_task(self.fetch(account, media_id))
        self.fetching.add(task)
        task.add_done_callback(self._done)
        done, _ = await asyncio.wait({task}, timeout=self.wait)
        if not done or task.exception() or (row := task.result()) is None or row["status"] != "stored":
            return message
        return with_media(message, row["content_type"], row["size"])

    def _done(self, task: asyncio.Task) -> None:
        self.fetching.discard(task)
        if not task.cancelled() and (exc := task.exception()):
            log.warning("fetching WeChat media failed: %s", type(exc).__name__)

    async def close(self) -> None:
        for task in list(self.fetching):
            task.cancel()
        await asyncio.gather(*self.fetching, return_exceptions=True)

    async def sweep(self, interval: float) -> None:
        """Forever: fetch media left pending (a crash, an outage, WeChat slow) while WeChat still has it."""
        while True:
            await asyncio.sleep(interval)
            try:
                rows = await self.pool.fetch(
                    "SELECT media_id, account FROM wechat_media WHERE status = 'pending'"
                    " AND received_at > now() - make_interval(days => 3)"
                    " AND received_at < now() - make_interval(secs => $1) ORDER BY received_at LIMIT 100",
                    self.wait + 1.0,  # not one a callback is fetching right now
                )
                for row in rows:
                    if account := self.accounts.get(row["account"]):
                        await self.fetch(account, row["media_id"])
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("media sweep skipped: %s", type(exc).__name__)
            except Exception:
                log.exception("media sweep failed")

    async def fetch(self, account: WeChatAccount, media_id: str) -> asyncpg.Record | None:
        """Download, check and store a pending media id; its row after (still pending on a failure).

        The download holds no database connection (WeChat may be slow, the pool is shared with the
        callbacks); the first to store wins, and the same bytes are kept once anyway."""
        row = await self.pool.fetchrow(_STATUS, media_id)
        if row is None or row["status"] != "pending":
            return row
        if (outcome := await self._checked(account, media_id)) is None:
            return row
        async with UnitOfWork(self.pool, lock=f"wechat-media:{media_id}") as uow:
            conn = uow.conn
            row = await conn.fetchrow(_STATUS, media_id)
            if row["status"] != "pending":
                return row
            if isinstance(outcome, str):
                return await self._refuse(conn, media_id, outcome)
            return await self._store(conn, media_id, *outcome)

    async def _checked(self, account: WeChatAccount, media_id: str) -> tuple[Typed, Typed] | str | None:
        """(original, served) media; or why it is refused; or None when WeChat did not give it now."""
        try:
            data = await self._download(account, media_id)
        except WeChatError as exc:
            if exc.errcode in (TOO_LARGE, INVALID_MEDIA):
                return "too_large" if exc.errcode == TOO_LARGE else "expired"
            log.warning("WeChat media not fetched yet (errcode %d)", exc.errcode)
            return None
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("WeChat media not fetched yet: %s", type(exc).__name__)
            return None
        if (kind := sniffed_media_type(data[:16])) is None:
            return "unsupported_type"
        if kind in voice.CONVERTIBLE and (mp3 := await voice.to_mp3(data)):
            return (kind, data), ("audio/mpeg", mp3)
        return (kind, data), (kind, data)

    async def _download(self, account: WeChatAccount, media_id: str) -> bytes:
        token = await self.tokens.get(account)
        try:
            return await self.api.get_media(token, media_id, self.limit)
        except WeChatError as exc:
            if exc.errcode not in TOKEN_ERRCODES:
                raise
            await self.tokens.invalidate(account, token)
            return await self.api.get_media(await self.tokens.get(account), media_id, self.limit)

    @staticmethod
    async def _refuse(conn: asyncpg.Connection, media_id: str, reason: str) -> asyncpg.Record:
        log.info("WeChat media refused: %s", reason)
        return await conn.fetchrow(
            "UPDATE wechat_media SET status = 'refused', reason = $2, fetched_at = now() WHERE media_id = $1"
            " RETURNING status, content_type, size",
            media_id,
            reason,
        )

    @staticmethod
    async def _store(conn: asyncpg.Connection, media_id: str, original: Typed, served: Typed) -> asyncpg.Record:
        digests = []
        for body in (original[1], served[1]):
            digest = hashlib.sha256(body).digest()
            await conn.execute(
                "INSERT INTO wechat_blobs (sha256, body) VALUES ($1, $2) ON CONFLICT DO NOTHING", digest, body
            )
            digests.append(digest)
        return await conn.fetchrow(
            "UPDATE wechat_media SET status = 'stored', content_type = $2, size = $3, sha256 = $4,"
            " original_type = $5, original_sha256 = $6, fetched_at = now() WHERE media_id = $1"
            " RETURNING status, content_type, size",
            media_id,
            served[0],
            len(served[1]),
            digests[1],
            original[0],
            digests[0],
        )

    async def read(self, media_id: str) -> tuple[str, bytes]:
        """(content type, bytes) of stored media; a pending one is fetched now if WeChat still has it."""
        row = await self.pool.fetchrow(_SHOWN, media_id)
        fresh = row is not None and datetime.now(UTC) - row["received_at"] < LIFETIME
        if fresh and row["status"] == "pending" and (account := self.accounts.get(row["account"])):
            await self.fetch(account, media_id)
            row = await self.pool.fetchrow(_SHOWN, media_id)
        if row is None:
            raise ApiError(404, "not_found", "No such media.")
        if row["status"] == "pending" and datetime.now(UTC) - row["received_at"] >= LIFETIME:
            raise ApiError(410, "expired", REFUSALS["expired"][1])
        if row["status"] == "pending":
            raise ApiError(503, "media_pending", "WeChat has not given this file yet; try again shortly.")
        if row["status"] == "refused":
            status, text = REFUSALS.get(row["reason"], (404, "This file is not kept."))
            raise ApiError(status, row["reason"], text)
        return row["content_type"], row["body"]
