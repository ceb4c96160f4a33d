"""What the SMS adapter's webhooks and consumer are given: its settings, pool, broker, provider, sender."""

from dataclasses import dataclass, field

from services.sms_adapter.outbound import Sender
from services.sms_adapter.providers import Provider
from services.sms_adapter.settings import SmsSettings
from shared.deps import Deps


@dataclass(kw_only=True, eq=False)
class SmsDeps(Deps):
    settings: SmsSettings
    provider: Provider
    sender: Sender = field(init=False)
    """Sends replies through the provider; made when the pool exists."""
