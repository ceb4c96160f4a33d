"""The notifier's callback settings, parsed and checked once at start; errors name the variable."""

from datetime import timedelta

import msgspec

from services.router.datafile import DataFileError
from services.router.hours import BusinessHours, load_hours
from services.router.policy import Policy
from services.router.routing import policy_of
from services.router.sla import SlaConfigError, parse_duration
from shared.config import ConfigError, Settings, env_name


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


def _duration(field: str, value: object) -> timedelta:
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
        policy=policy_of(settings),
    )
