"""What a service's handlers and routes are given instead of the aiohttp `app`: one typed object,
built by the service's `bootstrap.build` and reached by routes through the one key `DEPS`."""

from dataclasses import dataclass, field
from typing import Any, Protocol, Self

import asyncpg
from aiohttp import web
from faststream.rabbit import RabbitBroker, RabbitMessage

from shared.config import Common
from shared.uow import UnitOfWork


@dataclass(kw_only=True, eq=False)
class Deps:
    """The parts every service has; each service extends it with its own (`RouterDeps`, ...).

    `pool` exists once the app has started (base_app's lifecycle connects it), before any
    consumer or route runs. A unit of work for the write paths belongs here too, beside the
    pool: `uow()` (services with an outbox override it to publish theirs)."""

    service: str
    settings: Common
    broker: RabbitBroker
    pool: asyncpg.Pool = field(init=False)

    def uow(self, lock: str | None = None) -> UnitOfWork:
        """A unit of work on this service's pool (shared/uow.py)."""
        return UnitOfWork(self.pool, lock=lock)

    @classmethod
    def of(cls, where: web.Request | web.Application) -> Self:
        """The dependencies of an app (or of the app serving a request), as the service's own type."""
        deps = (where if isinstance(where, web.Application) else where.app)[DEPS]
        assert isinstance(deps, cls), f"{type(deps).__name__} is not {cls.__name__}"
        return deps


DEPS = web.AppKey("deps", Deps)
"""The only key on a Relaydesk app: everything else is a field of its dependencies."""


class Sender(Protocol):
    async def on_message(self, message: Any, raw: RabbitMessage, /) -> None: ...


class WithSender(Protocol):
    @property
    def sender(self) -> Sender: ...


async def send_outbound(deps: WithSender, message: Any, raw: RabbitMessage) -> None:
    """An adapter's outbound consumer. Its sender is made on start (it needs the pool), after the
    consumer is subscribed, so it is looked up for each message."""
    await deps.sender.on_message(message, raw)
