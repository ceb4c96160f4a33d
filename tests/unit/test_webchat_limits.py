"""Web-chat limits (pure): who the client is behind proxies, and buckets in bounded memory."""

import pytest

from domain.ratelimit import KeyedBuckets
from services.webchat_adapter.limits import client_address, trusted_networks
from shared.config import ConfigError

pytestmark = pytest.mark.unit

PROXIES = trusted_networks("10.0.0.0/8, 192.0.2.7")


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "client"),
    [
        ("198.51.100.4", "203.0.113.9", (), "198.51.100.4"),  # no trusted proxies: the header is ignored
        ("198.51.100.4", "203.0.113.9", PROXIES, "198.51.100.4"),  # an untrusted peer forged it
        ("10.1.2.3", "203.0.113.9", PROXIES, "203.0.113.9"),
        ("10.1.2.3", "6.6.6.6, 203.0.113.9, 192.0.2.7", PROXIES, "203.0.113.9"),  # the left part is forgeable
        ("10.1.2.3", "not-an-ip, 10.9.9.9", PROXIES, "not-an-ip"),
        ("10.1.2.3", "", PROXIES, "10.1.2.3"),
    ],
)
def test_the_client_is_the_nearest_hop_that_is_not_a_trusted_proxy(peer, forwarded, trusted, client):
    assert client_address(peer, forwarded, trusted) == client


def test_a_bad_trusted_proxy_setting_names_the_variable():
    with pytest.raises(ConfigError, match="RELAYDESK_WEBCHAT_TRUSTED_PROXIES"):
        trusted_networks("10.0.0.0/8, proxy.example")


def test_buckets_refuse_past_the_burst_and_say_how_long_to_wait():
    buckets = KeyedBuckets(rate=0.5, burst=2)
    assert [buckets.retry_after("a", 0.0) for _ in range(3)] == [0, 0, 2]
    assert buckets.retry_after("b", 0.0) == 0  # another key has its own budget
    assert buckets.retry_after("a", 2.0) == 0  # refilled one token


def test_memory_stays_bounded_and_refilled_buckets_are_forgotten():
    buckets = KeyedBuckets(rate=1.0, burst=1, max_keys=100)
    for n in range(10_000):
        buckets.retry_after(f"flooder-{n}", 0.0)  # each spent: none can be dropped as full
    assert len(buckets.buckets) <= 100
    buckets.retry_after("late", 60.0)  # a minute on, every old bucket has refilled
    assert list(buckets.buckets) == ["late"]
