"""Business hours: weekdays, weekends, holidays, make-up working days, timezones, the closed reply."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.hours import BusinessHours, closed_reply
from services.router.triage.faq import load_kb
from shared.datafile import DataFileError, load_hours

pytestmark = pytest.mark.unit

HOURS = load_hours(None)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def cn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("at", "open_"),
    [
        (cn(2026, 3, 2, 8, 59), False),  # Monday, before opening
        (cn(2026, 3, 2, 9, 0), True),  # opening minute
        (cn(2026, 3, 2, 20, 59), True),
        (cn(2026, 3, 2, 21, 0), False),  # closing is exclusive
        (cn(2026, 3, 7, 9, 30), False),  # Saturday opens later
        (cn(2026, 3, 7, 10, 0), True),
        (cn(2026, 3, 8, 17, 59), True),  # Sunday
        (cn(2026, 3, 8, 18, 0), False),
        (cn(2026, 10, 1, 12, 0), False),  # National Day, a Thursday
        (cn(2026, 10, 7, 12, 0), False),  # last day of the run
        (cn(2026, 10, 8, 12, 0), True),
        (cn(2026, 2, 14, 9, 30), True),  # a Saturday worked as a weekday (调休)
        (cn(2026, 2, 14, 20, 30), True),
    ],
    ids=lambda value: value.isoformat() if isinstance(value, datetime) else str(value),
)
def test_is_open_follows_the_weekly_schedule_holidays_and_working_days(at, open_):
    assert HOURS.is_open(at) is open_


def test_the_same_instant_is_judged_in_the_business_timezone():
    monday_nine_in_shanghai = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert HOURS.is_open(monday_nine_in_shanghai)
    assert not HOURS.is_open(monday_nine_in_shanghai - timedelta(minutes=1))
    # Sunday evening in New York is already Monday morning in Shanghai.
    assert HOURS.is_open(datetime(2026, 3, 1, 21, 30, tzinfo=ZoneInfo("America/New_York")))


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (cn(2026, 3, 6, 22, 0), cn(2026, 3, 7, 10, 0)),  # Friday night -> Saturday's later opening
        (cn(2026, 3, 7, 18, 0), cn(2026, 3, 8, 10, 0)),  # Saturday closing -> Sunday
        (cn(2026, 3, 8, 19, 0), cn(2026, 3, 9, 9, 0)),  # Sunday evening -> Monday
        (cn(2026, 3, 9, 7, 0), cn(2026, 3, 9, 9, 0)),  # early morning -> same day
        (cn(2026, 9, 30, 21, 30), cn(2026, 10, 8, 9, 0)),  # a week of National Day holidays
        (cn(2026, 2, 13, 22, 0), cn(2026, 2, 14, 9, 0)),  # into a worked Saturday, weekday hours
        (cn(2026, 2, 14, 21, 0), cn(2026, 2, 24, 9, 0)),  # across the nine days of Spring Festival
        (cn(2026, 12, 31, 23, 0), cn(2027, 1, 2, 10, 0)),  # New Year's Day 2027, then a Saturday
    ],
)
def test_next_open_skips_closed_days_and_holiday_runs(at, expected):
    assert HOURS.next_open(at) == expected
    assert HOURS.next_open(at).tzinfo.key == "Asia/Shanghai"


def test_next_open_is_the_instant_itself_while_open():
    at = datetime(2026, 3, 2, 5, 30, tzinfo=UTC)  # 13:30 in Shanghai
    assert HOURS.next_open(at) == at


def test_next_open_is_open_and_nothing_before_it_is():
    at = cn(2026, 1, 1)
    while at < cn(2026, 3, 1):  # across New Year, Spring Festival and their working days
        opens = HOURS.next_open(at)
        assert HOURS.is_open(opens) and opens >= at
        probe = at
        while probe < opens:
            assert not HOURS.is_open(probe)
            probe += timedelta(minutes=15)
        at += timedelta(hours=5, minutes=17)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        HOURS.is_open(datetime(2026, 3, 2, 10, 0))


def test_a_custom_file_sets_timezone_split_days_and_midnight(tmp_path):
    path = tmp_path / "hours.yaml"
    path.write_text(
        "timezone: Europe/London\n"
        "weekly:\n  mon: ['09:00-12:30', '13:30-17:00']\n  sat: ['20:00-24:00']\n"
        "holidays: [2026-03-09]\n",
        encoding="utf-8",
    )
    hours = load_hours(str(path))
    london = ZoneInfo("Europe/London")
    assert hours.is_open(datetime(2026, 3, 2, 12, 0, tzinfo=london))
    assert not hours.is_open(datetime(2026, 3, 2, 13, 0, tzinfo=london))  # lunch
    assert hours.next_open(datetime(2026, 3, 2, 12, 45, tzinfo=london)) == datetime(2026, 3, 2, 13, 30, tzinfo=london)
    assert hours.is_open(datetime(2026, 3, 7, 23, 59, tzinfo=london))
    assert hours.next_open(datetime(2026, 3, 8, 0, 0, tzinfo=london)) == datetime(2026, 3, 14, 20, 0, tzinfo=london)
    assert not hours.is_open(datetime(2026, 3, 2, 10, 0, tzinfo=UTC) + timedelta(days=7))  # the holiday Monday


def test_the_shipped_hours_are_the_ones_the_faq_tells_customers():
    assert load_hours("") == HOURS
    assert HOURS.timezone == "Asia/Shanghai" and date(2026, 2, 15) in HOURS.holidays
    weekday, weekend = HOURS.weekly[0][0], HOURS.weekly[5][0]
    answer = next(entry.answer.en for entry in load_kb(None).entries if entry.id == "service-hours")
    for start, end in (weekday, weekend):
        assert f"{start:%H:%M}–{end:%H:%M}" in answer


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("timezone: Mars/Olympus\nweekly: {mon: ['09:00-17:00']}\n", "unknown IANA timezone"),
        ("timezone: UTC\nweekly: {mon: ['9-17']}\n", "is not HH:MM-HH:MM"),
        ("timezone: UTC\nweekly: {mon: ['17:00-09:00']}\n", "must open before it closes"),
        ("timezone: UTC\nweekly: {monday: ['09:00-17:00']}\n", "unknown weekday"),
        ("timezone: UTC\nweekly: {}\n", "never opens"),
        (
            "timezone: UTC\nweekly: {mon: ['09:00-17:00']}\nholidays: [[2026-10-07, 2026-10-01]]\n",
            "ends before it starts",
        ),
        ("timezone: UTC\nweekly: {mon: [09:00-17:00\n", "not valid YAML"),
        ("weekly: {mon: ['09:00-17:00']}\n", "missing required field `timezone`"),
    ],
)
def test_a_malformed_hours_file_is_refused_naming_the_file(tmp_path, content, expected):
    path = tmp_path / "hours.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        load_hours(str(path))
    assert str(path) in str(caught.value) and expected in str(caught.value)


def test_closed_reply_says_when_people_are_back_and_that_the_request_waits():
    back = HOURS.next_open(cn(2026, 2, 14, 21, 0))
    zh, en = closed_reply(back, "zh"), closed_reply(back, "en")
    assert all(part in zh for part in ("2月24日", "周二", "09:00", "北京时间", "排队"))
    assert all(part in en for part in ("Tuesday 24 February", "09:00", "Beijing time", "UTC+08:00", "queued"))


def test_closed_reply_names_other_timezones_and_falls_back_to_english():
    back = datetime(2026, 7, 6, 8, 0, tzinfo=ZoneInfo("Europe/London"))
    assert "Europe/London" in closed_reply(back, "en") and "UTC+01:00" in closed_reply(back, "en")
    assert "Europe/London" in closed_reply(back, "zh") and "7月6日" in closed_reply(back, "zh")
    assert closed_reply(back, "fr") == closed_reply(back, "en")


def test_business_hours_can_be_built_without_a_file():
    sunday_hour = BusinessHours("UTC", ((),) * 6 + (((time(9), time(10)),),))
    assert sunday_hour.is_open(datetime(2026, 3, 1, 9, 30, tzinfo=UTC))
    assert sunday_hour.next_open(datetime(2026, 3, 1, 10, 0, tzinfo=UTC)) == datetime(2026, 3, 8, 9, 0, tzinfo=UTC)
