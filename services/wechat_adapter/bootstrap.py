"""Wires the WeChat adapter: callback URLs per account, the outbound consumer, the API client."""

import asyncio
import contextlib
from functools import partial

from aiohttp import web

from contracts.topology import WECHAT_OUTBOUND
from services.wechat_adapter.api import WeChatApi
from services.wechat_adapter.callbacks import receive, verify_url
from services.wechat_adapter.deps import WeChatDeps
from services.wechat_adapter.media import MediaStore
from services.wechat_adapter.media_routes import serve
from services.wechat_adapter.outbound import Sender, WeChatOutbound
from services.wechat_adapter.settings import WeChatSettings, settings_slice
from shared.broker import make_broker, subscribe, work_queue
from shared.deps import send_outbound
from shared.http import base_app

SERVICE = "wechat_adapter"
__all__ = ["build", "settings_slice"]


def build(settings: WeChatSettings) -> web.Application:
    deps = WeChatDeps(service=SERVICE, settings=settings, broker=make_broker(settings))
    app = base_app(deps, database=True, max_body=settings.wechat_max_body)
    app.router.add_get("/wechat/{account}", verify_url)
    app.router.add_post("/wechat/{account}", receive)
    app.router.add_get("/media/{media_id}", serve)

    async def sender(_: web.Application):
        deps.sender = sender = Sender(deps.broker, deps.pool, WeChatApi(settings.wechat_api_base), settings.accounts)
        deps.media = MediaStore(
            deps.pool,
            sender.api,
            sender.tokens,
            settings.accounts,
            settings.agent_api_max_upload,
            settings.wechat_media_wait,
        )
        sweep = asyncio.create_task(deps.media.sweep(settings.wechat_media_sweep_interval))
        yield
        sweep.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweep
        await deps.media.close()  # downloads still running are fetched again when an agent opens them

    async def close_api(_: web.Application) -> None:
        await deps.sender.api.close()

    app.cleanup_ctx.append(sender)  # after the base lifecycle: the pool exists
    app.on_cleanup.append(close_api)  # after every context's clean-up: the consumer has stopped
    subscribe(SERVICE, deps.broker, work_queue(WECHAT_OUTBOUND, settings), WeChatOutbound, partial(send_outbound, deps))
    return app
