"""What the notifier's consumers and pages are given: its settings, pool, broker and outbox marks."""

from dataclasses import dataclass, field

from services.notifier.settings import NotifierSettings
from shared.deps import Deps
from shared.outbox import PublishedMarks, Publisher
from shared.uow import UnitOfWork


@dataclass(kw_only=True, eq=False)
class NotifierDeps(Deps):
    settings: NotifierSettings
    marks: PublishedMarks = field(init=False)
    """Which outbox rows are published; made when the pool exists."""

    def uow(self, lock: str | None = None) -> UnitOfWork:
        """A unit of work on the notifier's pool that publishes its outbox after the commit."""
        return UnitOfWork(self.pool, Publisher(self.broker, self.marks), lock=lock)
