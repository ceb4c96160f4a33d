"""When callbacks are due: business time over the shipped calendar, follow-up rules, spacing, job retries."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.hours import BusinessHours
from services.notifier.timing import add_business_time, follow_up_due, job_retry_at
from shared.datafile import load_hours

pytestmark = pytest.mark.unit

SHIPPED = load_hours(None)  # Asia/Shanghai: weekdays 09:00-21:00, Saturday 10:00-, Sunday -18:00, 2026 holidays
SHANGHAI = ZoneInfo("Asia/Shanghai")
NINE_TO_SIX = BusinessHours("Asia/Shanghai", tuple(((time(9), time(18)),) if d < 5 else () for d in range(7)))
ALWAYS = BusinessHours("UTC", tuple(((time(0), time.max),) for _ in range(7)))
NEW_YORK_DAYS = BusinessHours("America/New_York", tuple(((time(0), time(12)),) for _ in range(7)))


def cn(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("hours", "start", "wait", "due"),
    [
        (NINE_TO_SIX, cn(3, 2, 10), timedelta(hours=2), cn(3, 2, 12)),  # Monday, inside the day
        (NINE_TO_SIX, cn(3, 6, 17), timedelta(hours=2), cn(3, 9, 10)),  # Friday 17:00 -> Monday 10:00
        (NINE_TO_SIX, cn(3, 7, 15), timedelta(hours=2), cn(3, 9, 11)),  # approved on Saturday: from Monday's opening
        (NINE_TO_SIX, cn(3, 2, 6), timedelta(hours=2), cn(3, 2, 11)),  # before opening
        (NINE_TO_SIX, cn(3, 2, 17), timedelta(hours=1), cn(3, 2, 18)),  # exactly at closing
        (NINE_TO_SIX, cn(3, 2, 10), timedelta(hours=20), cn(3, 4, 12)),  # more than two working days
        (SHIPPED, cn(9, 30, 20), timedelta(hours=2), cn(10, 8, 10)),  # National Day week in between
        (ALWAYS, datetime(2026, 3, 7, 23, 30, tzinfo=UTC), timedelta(hours=2), datetime(2026, 3, 8, 1, 30, tzinfo=UTC)),
        (ALWAYS, datetime(2026, 3, 7, 9, tzinfo=UTC), timedelta(seconds=1), datetime(2026, 3, 7, 9, 0, 1, tzinfo=UTC)),
    ],
    # Named by start and wait: the hours' repr holds sets, whose order differs between the
    # processes of a parallel run, and pytest-xdist needs the same ids in every worker.
    ids=lambda value: str(value) if isinstance(value, datetime | timedelta) else "",
)
def test_business_time_counts_only_opening_hours(hours, start, wait, due):
    assert add_business_time(hours, start, wait) == due


def test_business_time_answers_in_the_business_timezone_whatever_the_start_is_given_in():
    start = cn(3, 2, 10).astimezone(UTC)
    due = add_business_time(NINE_TO_SIX, start, timedelta(hours=2))
    assert due == cn(3, 2, 12) and due.utcoffset() == timedelta(hours=8)


def test_business_time_counts_real_time_across_a_dst_change():
    # 2026-03-08 02:00 in New York jumps to 03:00: 00:00-12:00 that day holds 11 real hours.
    start = datetime(2026, 3, 8, 0, 0, tzinfo=ZoneInfo("America/New_York"))
    due = add_business_time(NEW_YORK_DAYS, start, timedelta(hours=11, minutes=30))
    assert due == datetime(2026, 3, 9, 0, 30, tzinfo=ZoneInfo("America/New_York"))


def test_a_naive_start_is_refused():
    with pytest.raises(ValueError, match="naive datetime"):
        add_business_time(NINE_TO_SIX, datetime(2026, 3, 2, 10), timedelta(hours=1))


def test_follow_up_is_due_after_its_categorys_wait_and_other_categories_get_none():
    rules = {"loan": timedelta(hours=24), "complaint": timedelta(hours=2)}
    resolved = cn(3, 2, 10)
    assert follow_up_due(rules, "loan", resolved) == cn(3, 3, 10)
    assert follow_up_due(rules, "complaint", resolved) == cn(3, 2, 12)
    assert follow_up_due(rules, "payment", resolved) is None
    assert follow_up_due({}, "loan", resolved) is None


def test_failed_jobs_back_off_doubling_up_to_an_hour():
    now = datetime(2026, 3, 2, tzinfo=UTC)
    waits = [job_retry_at(n, now) - now for n in (1, 2, 3, 11, 12, 50)]
    assert waits[:3] == [timedelta(seconds=5), timedelta(seconds=10), timedelta(seconds=20)]
    assert waits[3:] == [timedelta(hours=1)] * 3
