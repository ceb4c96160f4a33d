"""What the web-chat adapter's session route and visitor sockets are given."""

from dataclasses import dataclass

from services.webchat_adapter.limits import VisitorLimits
from services.webchat_adapter.settings import WebchatSettings
from shared.deps import Deps


@dataclass(kw_only=True, eq=False)
class WebchatDeps(Deps):
    settings: WebchatSettings
    limits: VisitorLimits
