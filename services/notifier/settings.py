"""The notifier's settings: its slice of the environment, with the callback rules and the
broadcast reach (quiet hours, rates, survey delay) decoded once, at start, where a bad one stops it."""

from services.notifier.config import BroadcastConfig, CallbackConfig, load_broadcast_config, load_callback_config
from shared.config import Common, Settings, slice_of


class NotifierSettings(Common, frozen=True, kw_only=True):
    callbacks: CallbackConfig
    reaching: BroadcastConfig
    outbox_sweep_interval: float
    outbox_retention_days: int
    scheduler_interval: float
    notifier_public_url: str


def settings_slice(settings: Settings) -> NotifierSettings:
    return slice_of(
        settings,
        NotifierSettings,
        port=settings.notifier_port,
        callbacks=load_callback_config(settings),
        reaching=load_broadcast_config(settings),
    )
