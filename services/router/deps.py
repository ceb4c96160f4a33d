"""What the router's consumers and sweepers are given: its settings, pool, broker and outbox marks."""

from dataclasses import dataclass, field

from services.router.db.uow import RouterUnitOfWork
from services.router.settings import RouterSettings
from shared.deps import Deps
from shared.outbox import PublishedMarks, Publisher


@dataclass(kw_only=True, eq=False)
class RouterDeps(Deps):
    settings: RouterSettings
    marks: PublishedMarks = field(init=False)
    """Which outbox rows are published; made when the pool exists."""

    def uow(self, lock: str | None = None) -> RouterUnitOfWork:
        """A unit of work on the router's pool that publishes its outbox after the commit."""
        return RouterUnitOfWork(self.pool, Publisher(self.broker, self.marks), lock=lock)
