"""What the notifier's consumers and pages are given: its settings, pool, broker and outbox marks."""

from dataclasses import dataclass, field

from services.notifier.settings import NotifierSettings
from shared.deps import Deps
from shared.outbox import PublishedMarks


@dataclass(kw_only=True, eq=False)
class NotifierDeps(Deps):
    settings: NotifierSettings
    marks: PublishedMarks = field(init=False)
    """Which outbox rows are published; made when the pool exists."""
