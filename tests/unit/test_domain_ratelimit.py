"""The token bucket: a burst passes, then it refuses, then refills at its rate; time is explicit."""

import pytest

from domain.ratelimit import TokenBucket

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("burst", [1, 3, 20])
def test_burst_is_allowed_then_refused(burst):
    bucket = TokenBucket(rate=1.0, burst=burst, now=0.0)
    assert [bucket.take(0.0) for _ in range(burst + 1)] == [True] * burst + [False]


def test_refused_take_keeps_refusing_without_time_passing():
    bucket = TokenBucket(rate=1.0, burst=1, now=0.0)
    bucket.take(0.0)
    assert [bucket.take(0.0) for _ in range(5)] == [False] * 5


def test_one_token_returns_after_one_over_rate_seconds():
    bucket = TokenBucket(rate=2.0, burst=3, now=0.0)
    for _ in range(3):
        bucket.take(0.0)
    assert bucket.take(0.25) is False
    assert bucket.take(0.5) is True
    assert bucket.take(0.5) is False


def test_partial_refill_accumulates_across_refused_takes():
    bucket = TokenBucket(rate=4.0, burst=2, now=0.0)
    assert [bucket.take(0.0) for _ in range(2)] == [True, True]
    assert [bucket.take(t) for t in (0.125, 0.25, 0.25)] == [False, True, False]


def test_long_idle_refills_only_up_to_burst():
    bucket = TokenBucket(rate=5.0, burst=3, now=0.0)
    for _ in range(3):
        bucket.take(0.0)
    assert [bucket.take(1000.0) for _ in range(4)] == [True, True, True, False]


@pytest.mark.parametrize(("rate", "seconds"), [(2.0, 10), (4.0, 5), (0.5, 20)])
def test_steady_attempts_pass_at_the_rate_after_the_burst_is_spent(rate, seconds):
    bucket = TokenBucket(rate=rate, burst=5, now=0.0)
    for _ in range(5):
        bucket.take(0.0)
    steps = seconds * 8
    allowed = sum(bucket.take(i * 0.125) for i in range(1, steps + 1))
    assert allowed == rate * seconds


def test_starting_bucket_is_full_even_if_created_late():
    bucket = TokenBucket(rate=1.0, burst=2, now=500.0)
    assert [bucket.take(500.0) for _ in range(3)] == [True, True, False]
