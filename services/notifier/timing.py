"""When things are due: business time, follow-up rules, job retries. Pure."""

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.hours import BusinessHours

JOB_RETRY_FIRST = timedelta(seconds=5)
JOB_RETRY_MAX = timedelta(hours=1)


def _span_end(hours: BusinessHours, local: datetime) -> datetime:
    """When the opening span holding `local` (an open instant, in the business's zone) closes."""
    day, now = local.date(), local.time().replace(tzinfo=None)
    for start, end in hours.spans_on(day):
        if start <= now < end:
            if end == time.max:  # "24:00": the span runs to midnight
                return datetime.combine(day + timedelta(days=1), time(), local.tzinfo)
            return datetime.combine(day, end, local.tzinfo)
    raise ValueError(f"{local.isoformat()} is not within opening hours")


def add_business_time(hours: BusinessHours, start: datetime, duration: timedelta) -> datetime:
    """The instant `duration` of opening time after `start` (timezone-aware).

    Two business hours from Friday 17:00, with 09:00-18:00 on weekdays, is Monday 10:00.
    Arithmetic is in UTC so a DST change inside a span counts real time.
    """
    zone = ZoneInfo(hours.timezone)
    remaining = duration
    at = hours.next_open(start).astimezone(zone)
    while True:
        closes = _span_end(hours, at)
        available = closes.astimezone(UTC) - at.astimezone(UTC)
        if remaining <= available:
            return (at.astimezone(UTC) + remaining).astimezone(zone)
        remaining -= available
        at = hours.next_open(closes).astimezone(zone)


def follow_up_due(rules: Mapping[str, timedelta], category: str, resolved_at: datetime) -> datetime | None:
    """When the follow-up call for a resolved conversation is due; None when its category has no rule."""
    wait = rules.get(category)
    return None if wait is None else resolved_at + wait


def job_retry_at(failures: int, now: datetime) -> datetime:
    """When a job whose handler failed `failures` times runs again: doubling from 5 s, at most hourly."""
    wait = JOB_RETRY_FIRST * 2 ** max(failures - 1, 0) if failures < 20 else JOB_RETRY_MAX
    return now + min(wait, JOB_RETRY_MAX)
