"""Wires the WeChat adapter: callback URLs per account, the outbound consumer, the API client."""

import asyncio
import contextlib
from functools import partial

from aiohttp import web

from contracts.topology import WECHAT_OUTBOUND
from services.wechat_adapter.api import WeChatApi
from services.wechat_adapter.callbacks import ACCOUNTS, receive, verify_url
from services.wechat_adapter.media import MediaStore
from services.wechat_adapter.media_routes import MEDIA, serve
from services.wechat_adapter.outbound import Sender, WeChatOutbound
from shared.broker import make_broker, subscribe, work_queue
from shared.config import Settings
from shared.http import BROKER, POOL, base_app

SERVICE = "wechat_adapter"
SENDER = web.AppKey("wechat_sender", Sender)


def build(settings: Settings) -> web.Application:
    broker = make_broker(settings)
    app = base_app(SERVICE, settings, broker, database=True, max_body=settings.wechat_max_body)
    app[ACCOUNTS] = {account.name: account for account in settings.wechat_accounts}
    app.router.add_get("/wechat/{account}", verify_url)
    app.router.add_post("/wechat/{account}", receive)
    app.router.add_get("/media/{media_id}", serve)

    async def sender(app: web.Application):
        app[SENDER] = sender = Sender(app[BROKER], app[POOL], WeChatApi(settings.wechat_api_base), app[ACCOUNTS])
        app[MEDIA] = MediaStore(
            app[POOL],
            sender.api,
            sender.tokens,
            app[ACCOUNTS],
            settings.agent_api_max_upload,
            settings.wechat_media_wait,
        )
        sweep = asyncio.create_task(app[MEDIA].sweep(settings.wechat_media_sweep_interval))
        yield
        sweep.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweep
        await app[MEDIA].close()  # downloads still running are fetched again when an agent opens them

    async def close_api(app: web.Application) -> None:
        await app[SENDER].api.close()

    app.cleanup_ctx.append(sender)  # after the base lifecycle: the pool exists
    app.on_cleanup.append(close_api)  # after every context's clean-up: the consumer has stopped
    subscribe(SERVICE, broker, work_queue(WECHAT_OUTBOUND, settings), WeChatOutbound, partial(_send, app))
    return app


async def _send(app: web.Application, message, raw) -> None:
    await app[SENDER].on_message(message, raw)
