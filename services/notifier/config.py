"""The notifier's callback settings, parsed and checked once at start; errors name the variable."""

import zoneinfo
from datetime import time, timedelta

import msgspec

from contracts.broadcasts import PUSH_CHANNELS
from domain.hours import BusinessHours
from domain.policy import Policy
from domain.sla import SlaConfigError, parse_duration
from services.notifier.reach import QuietHours
from shared.config import ConfigError, Settings, env_name
from shared.datafile import DataFileError, load_hours
from shared.routing_policy import policy_of


class CallbackConfig(msgspec.Struct, frozen=True):
    rules: dict[str, timedelta]
    """Category -> wait after a resolution before the follow-up is due."""
    preapproval_due: timedelta
    """Business time within which a pre-approval call is due."""
    retry_schedule: tuple[timedelta, ...]
    no_answer_limit: int
    overdue_grace: timedelta
    hours: BusinessHours
    policy: Policy
    """The router's assignment policy (complaint team, skill fallback), so callbacks follow it too."""


def _duration(field: str, value: str | float) -> timedelta:
    try:
        return parse_duration(value)
    except SlaConfigError as exc:
        raise ConfigError(f"{env_name(field)} is invalid: {exc}") from None


def load_callback_config(settings: Settings) -> CallbackConfig:
    """The callback settings as values; ConfigError naming the first bad variable."""
    rules = {category: _duration("callback_rules", wait) for category, wait in settings.callback_rules.items()}
    schedule = tuple(
        _duration("callback_retry_schedule", part.strip()) for part in settings.callback_retry_schedule.split(",")
    )
    try:
        hours = load_hours(settings.business_hours)
    except DataFileError as exc:
        raise ConfigError(str(exc)) from None
    return CallbackConfig(
        rules=rules,
        preapproval_due=_duration("callback_preapproval_due", settings.callback_preapproval_due),
        retry_schedule=schedule,
        no_answer_limit=settings.callback_no_answer_limit,
        overdue_grace=_duration("callback_overdue_grace", settings.callback_overdue_grace),
        hours=hours,
        policy=policy_of(settings.routing_policy),
    )


class BroadcastConfig(msgspec.Struct, frozen=True):
    quiet: QuietHours
    rates: dict[str, float]
    survey_delay: timedelta | None
    """How long after a resolution the survey goes out; None when `RELAYDESK_SURVEY_DELAY=off`."""


def load_broadcast_config(settings: Settings) -> BroadcastConfig:
    """Quiet hours, per-channel rates and the survey delay as values; ConfigError naming the variable."""
    start, end = (time.fromisoformat(part) for part in settings.quiet_hours.split("-"))
    if settings.default_timezone not in zoneinfo.available_timezones():
        raise ConfigError(f"{env_name('default_timezone')} is not a time zone: {settings.default_timezone!r}")
    unknown = set(settings.broadcast_rates) - set(PUSH_CHANNELS)
    if unknown or any(rate < 0 for rate in settings.broadcast_rates.values()):
        raise ConfigError(
            f"{env_name('broadcast_rates')} takes messages per second (>= 0) for "
            f"{', '.join(PUSH_CHANNELS)}; got {sorted(settings.broadcast_rates.items())}"
        )
    match settings.survey_delay.strip():
        case "off":
            delay = None
        case "0" | "0s":
            delay = timedelta(0)  # at once
        case given:
            delay = _duration("survey_delay", given)
    return BroadcastConfig(QuietHours(start, end, settings.default_timezone), dict(settings.broadcast_rates), delay)
