"""The router's settings: its slice of the environment, with its decision inputs (triage files,
policy, SLA targets) decoded once, at start, where a bad one stops it."""

from services.router.decision_inputs import Routing, load_routing
from shared.config import Common, Settings, slice_of


class RouterSettings(Common, frozen=True, kw_only=True):
    routing: Routing
    outbox_sweep_interval: float
    outbox_retention_days: int
    sla_sweep_interval: float


def settings_slice(settings: Settings) -> RouterSettings:
    return slice_of(settings, RouterSettings, port=settings.router_port, routing=load_routing(settings))
