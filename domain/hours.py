"""When people are at their desks: weekly hours in one timezone, holidays, make-up working days.

Pure: `build_hours` validates a decoded hours file (shared.datafile reads it from disk).
"""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")
HORIZON_DAYS = 400
"""How far next_open looks: past any run of holidays a real calendar has."""

Span = tuple[time, time]
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
BEIJING = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC"})


class HoursError(ValueError):
    """The business hours as written make no sense (a bad span, timezone, weekday or holiday range)."""


class HoursFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The business-hours file as written (format in shared/data/hours.yaml)."""

    timezone: str
    weekly: dict[str, tuple[str, ...]]
    holidays: tuple[date | tuple[date, date], ...] = ()
    working_days: tuple[date, ...] = ()
    working_day_hours: tuple[str, ...] | None = None


class BusinessHours(msgspec.Struct, frozen=True):
    """Opening hours: spans per weekday (0 = Monday), closed dates, weekend days worked as weekdays."""

    timezone: str
    weekly: tuple[tuple[Span, ...], ...]
    holidays: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()
    working_day_hours: tuple[Span, ...] = ()

    def spans_on(self, day: date) -> tuple[Span, ...]:
        """The opening spans of one local calendar day."""
        if day in self.holidays:
            return ()
        if day in self.working_days:
            return self.working_day_hours
        return self.weekly[day.weekday()]

    def is_open(self, at: datetime) -> bool:
        """Whether people are working at the instant `at` (timezone-aware)."""
        local = _local(at, self.timezone)
        now = local.time().replace(tzinfo=None)
        return any(start <= now < end for start, end in self.spans_on(local.date()))

    def next_open(self, at: datetime) -> datetime:
        """The first instant at or after `at` when people are working, in the business's timezone."""
        local = _local(at, self.timezone)
        zone = local.tzinfo
        for offset in range(HORIZON_DAYS):
            day = local.date() + timedelta(days=offset)
            for start, end in self.spans_on(day):
                opens = datetime.combine(day, start, zone)
                closes = (
                    datetime.combine(day, end, zone)
                    if end != time.max
                    else datetime.combine(day + timedelta(days=1), time(), zone)
                )
                if local < closes:
                    return max(opens, local)
        raise ValueError(f"no opening hours within {HORIZON_DAYS} days of {at.isoformat()}")


def closed_reply(next_open: datetime, language: str) -> str:
    """The out-of-hours auto-reply in zh or en: when people are back, and that the request stays queued."""
    zone = getattr(next_open.tzinfo, "key", None) or next_open.tzname() or "UTC"
    offset = next_open.strftime("%z")
    utc = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    when = next_open.strftime("%H:%M")
    if language == "zh":
        label = "北京时间" if zone in BEIJING else f"{zone} 时间，{utc}"
        weekday = "一二三四五六日"[next_open.weekday()]
        return (
            f"您好，现在是非工作时间，人工客服暂时不在。我们将于{next_open.month}月{next_open.day}日"
            f"（周{weekday}）{when}（{label}）回来。您的消息已在排队，客服上班后会按顺序回复您，无需重复发送。"
        )
    label = f"Beijing time, {utc}" if zone in BEIJING else f"{zone} time, {utc}"
    # Names spelled out here: strftime's %A and %B follow the process locale.
    day = f"{WEEKDAY_NAMES[next_open.weekday()]} {next_open.day} {MONTH_NAMES[next_open.month - 1]}"
    return (
        f"Thanks for your message. Our support team is offline right now and will be back on {day} at "
        f"{when} ({label}). Your request is queued and an agent will reply in turn once we are back; "
        "there is no need to send it again."
    )


def _local(at: datetime, timezone: str) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a naive datetime is ambiguous: pass a timezone-aware one")
    return at.astimezone(ZoneInfo(timezone))


def _spans(texts: tuple[str, ...], where: str) -> tuple[Span, ...]:
    spans = []
    for text in texts:
        if not (match := SPAN.match(text.strip())):
            raise HoursError(f"{where}: {text!r} is not HH:MM-HH:MM (24-hour clock)")
        start_h, start_m, end_h, end_m = map(int, match.groups())
        start = time(start_h, start_m)
        end = time.max if (end_h, end_m) == (24, 0) else time(end_h % 24, end_m)
        if (end_h == 24 and end_m) or not start < end:
            raise HoursError(f"{where}: {text!r} must open before it closes, on the same day")
        spans.append((start, end))
    return tuple(sorted(spans))


def build_hours(raw: HoursFile) -> BusinessHours:
    """Validate and compile the file as written."""
    try:
        ZoneInfo(raw.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise HoursError(f"unknown IANA timezone {raw.timezone!r}") from None
    if unknown := set(raw.weekly) - set(WEEKDAYS):
        raise HoursError(f"unknown weekday {sorted(unknown)[0]!r}; use {', '.join(WEEKDAYS)}")
    weekly = tuple(_spans(raw.weekly.get(day, ()), f"weekly.{day}") for day in WEEKDAYS)
    if not any(weekly):
        raise HoursError("the weekly schedule never opens")
    holidays: set[date] = set()
    for item in raw.holidays:
        first, last = item if isinstance(item, tuple) else (item, item)
        if last < first:
            raise HoursError(f"holiday range {first}..{last} ends before it starts")
        holidays.update(first + timedelta(days=n) for n in range((last - first).days + 1))
    worked = raw.working_day_hours
    working_day_hours = _spans(worked, "working_day_hours") if worked is not None else weekly[0]
    return BusinessHours(raw.timezone, weekly, frozenset(holidays), frozenset(raw.working_days), working_day_hours)
