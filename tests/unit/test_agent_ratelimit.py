"""Per-token request limits: each token its own budget, and a whole-second Retry-After; time is explicit."""

import pytest

from services.agent_api.commands.tokens import TokenLimits

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("burst", [1, 3, 60])
def test_a_burst_passes_then_the_next_request_waits(burst):
    limits = TokenLimits(rate=20.0, burst=burst)
    assert [limits.retry_after("t", 0.0) for _ in range(burst)] == [0] * burst
    assert limits.retry_after("t", 0.0) >= 1


def test_each_token_has_its_own_budget():
    limits = TokenLimits(rate=1.0, burst=2)
    assert [limits.retry_after("a", 0.0) for _ in range(3)] == [0, 0, 1]
    assert [limits.retry_after("b", 0.0) for _ in range(2)] == [0, 0]


@pytest.mark.parametrize(("rate", "expected"), [(0.1, 10), (0.25, 4), (0.3, 4), (1.0, 1), (20.0, 1), (1000.0, 1)])
def test_retry_after_is_the_whole_seconds_until_a_token_returns_never_below_one(rate, expected):
    limits = TokenLimits(rate=rate, burst=1)
    limits.retry_after("t", 0.0)
    assert limits.retry_after("t", 0.0) == expected


def test_retry_after_shrinks_as_the_bucket_refills_and_then_the_request_passes():
    limits = TokenLimits(rate=0.1, burst=1)
    limits.retry_after("t", 0.0)
    assert [limits.retry_after("t", t) for t in (2.0, 5.5, 9.1)] == [8, 5, 1]
    assert limits.retry_after("t", 10.0) == 0


def test_refused_requests_do_not_spend_the_budget():
    limits = TokenLimits(rate=1.0, burst=1)
    limits.retry_after("t", 0.0)
    for _ in range(100):
        limits.retry_after("t", 0.5)
    assert limits.retry_after("t", 1.0) == 0


def test_steady_requests_pass_at_the_rate_after_the_burst():
    limits = TokenLimits(rate=4.0, burst=5)
    for _ in range(5):
        limits.retry_after("t", 0.0)
    passed = sum(limits.retry_after("t", i / 16) == 0 for i in range(1, 16 * 10 + 1))
    assert passed == 40


def test_full_buckets_are_forgotten_when_there_are_too_many_and_busy_ones_kept():
    limits = TokenLimits(rate=1.0, burst=2, max_buckets=3)
    for token in ("idle-1", "idle-2"):
        limits.retry_after(token, 0.0)
    limits.retry_after("busy", 9.0)
    limits.retry_after("busy", 9.0)
    limits.retry_after("new", 10.0)
    assert set(limits.buckets) == {"busy", "new"}
    assert limits.retry_after("busy", 10.0) == 0  # its budget survived: one token back after 1 s
    assert limits.retry_after("busy", 10.0) == 1
