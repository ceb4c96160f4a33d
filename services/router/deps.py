"""What the router's consumers and sweepers are given: its settings, pool, broker and outbox marks."""

from dataclasses import dataclass, field

from services.router.settings import RouterSettings
from shared.deps import Deps
from shared.outbox import PublishedMarks


@dataclass(kw_only=True, eq=False)
class RouterDeps(Deps):
    settings: RouterSettings
    marks: PublishedMarks = field(init=False)
    """Which outbox rows are published; made when the pool exists."""
