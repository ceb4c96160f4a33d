"""What the agent API's routes, middleware and stream are given."""

from dataclasses import dataclass, field

import aiohttp

from services.agent_api.commands.tokens import TokenLimits
from services.agent_api.settings import AgentApiSettings
from shared.deps import Deps


@dataclass(kw_only=True, eq=False)
class AgentDeps(Deps):
    settings: AgentApiSettings
    rate_limits: TokenLimits
    """Requests per token, from `agent_api_rate` and `agent_api_burst`."""
    client: aiohttp.ClientSession = field(init=False)
    """Fetches customers' files from the adapters holding them; open while the app runs."""
