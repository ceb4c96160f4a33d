"""What the email adapter's routes and consumer are given: its settings, pool, broker and sender."""

from dataclasses import dataclass, field

from services.email_adapter.outbound import Sender
from services.email_adapter.settings import EmailSettings
from shared.deps import Deps


@dataclass(kw_only=True, eq=False)
class EmailDeps(Deps):
    settings: EmailSettings
    sender: Sender = field(init=False)
    """Sends replies through the relay; made when the pool exists."""
