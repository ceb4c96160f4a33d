"""Routing keys produced by the topology helpers reach exactly the queues bound for them."""

import uuid

import pytest

from contracts import Channel
from contracts.topology import (
    AGENT_COMMAND_KEY,
    AGENT_EVENT_PATTERN,
    APPLICATION_PREAPPROVED_KEY,
    CONVERSATION_RESOLVED_KEY,
    DURABLE_QUEUES,
    INBOUND_PATTERN,
    NOTIFIER_APPLICATIONS,
    NOTIFIER_COMMANDS,
    NOTIFIER_DELIVERY,
    NOTIFIER_RESOLUTIONS,
    NOTIFY_COMMAND_KEY,
    ROUTER_COMMANDS,
    ROUTER_DELIVERY,
    ROUTER_INBOUND,
    WECHAT_OUTBOUND,
    agent_event_key,
    delivery_key,
    inbound_key,
    outbound_key,
)

pytestmark = pytest.mark.unit


def topic_matches(pattern: str, key: str) -> bool:
    """AMQP topic matching: `*` is exactly one word, `#` zero or more words."""

    def match(words: list[str], parts: list[str]) -> bool:
        if not words:
            return not parts
        if words[0] == "#":
            return any(match(words[1:], parts[i:]) for i in range(len(parts) + 1))
        return bool(parts) and words[0] in ("*", parts[0]) and match(words[1:], parts[1:])

    return match(pattern.split("."), key.split("."))


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("inbound.*", "inbound.sms", True),
        ("inbound.*", "inbound", False),
        ("inbound.*", "inbound.sms.extra", False),
        ("inbound.#", "inbound", True),
        ("inbound.#", "inbound.a.b", True),
        ("#", "anything.at.all", True),
        ("a.*.c", "a.b.c", True),
        ("a.*.c", "a.b.d", False),
        ("agent.command", "agent.command", True),
        ("agent.command", "agent.commands", False),
    ],
)
def test_topic_match_helper_follows_amqp_rules(pattern, key, expected):
    assert topic_matches(pattern, key) is expected


@pytest.mark.parametrize("channel", list(Channel))
def test_inbound_key_of_every_channel_reaches_the_router_inbound_queue(channel):
    assert topic_matches(INBOUND_PATTERN, inbound_key(channel))
    assert topic_matches(ROUTER_INBOUND.binding, inbound_key(channel))


@pytest.mark.parametrize("channel", list(Channel))
def test_outbound_key_reaches_only_its_own_adapter_never_the_router_or_agent_streams(channel):
    key = outbound_key(channel)
    matched = [queue for queue in DURABLE_QUEUES if topic_matches(queue.binding, key)]
    assert all(queue.name.startswith(f"{channel}_adapter.") for queue in matched)
    assert not topic_matches(AGENT_EVENT_PATTERN, key)


def test_wechat_replies_have_a_durable_queue_of_their_own():
    assert [q for q in DURABLE_QUEUES if topic_matches(q.binding, outbound_key(Channel.WECHAT))] == [WECHAT_OUTBOUND]


@pytest.mark.parametrize("channel", list(Channel))
def test_delivery_reports_of_every_channel_reach_the_router_and_the_notifier(channel):
    matched = [queue for queue in DURABLE_QUEUES if topic_matches(queue.binding, delivery_key(channel))]
    assert matched == [ROUTER_DELIVERY, NOTIFIER_DELIVERY]  # replies' reports, and broadcasts' reports


def test_outbound_keys_differ_per_channel():
    assert len({outbound_key(channel) for channel in Channel}) == len(Channel)


def test_agent_event_key_of_a_uuid_agent_matches_the_agent_stream_pattern():
    key = agent_event_key(str(uuid.uuid4()))
    assert topic_matches(AGENT_EVENT_PATTERN, key)
    assert not any(topic_matches(queue.binding, key) for queue in DURABLE_QUEUES)


def test_agent_command_key_reaches_only_the_router_commands_queue():
    assert [queue for queue in DURABLE_QUEUES if topic_matches(queue.binding, AGENT_COMMAND_KEY)] == [ROUTER_COMMANDS]


@pytest.mark.parametrize("channel", list(Channel))
def test_inbound_key_reaches_only_the_router_inbound_queue(channel):
    matched = [queue for queue in DURABLE_QUEUES if topic_matches(queue.binding, inbound_key(channel))]
    assert matched == [ROUTER_INBOUND]


def test_durable_queue_names_are_unique():
    assert len({queue.name for queue in DURABLE_QUEUES}) == len(DURABLE_QUEUES)


@pytest.mark.parametrize(
    ("key", "queue"),
    [
        (CONVERSATION_RESOLVED_KEY, NOTIFIER_RESOLUTIONS),
        (APPLICATION_PREAPPROVED_KEY, NOTIFIER_APPLICATIONS),
        (NOTIFY_COMMAND_KEY, NOTIFIER_COMMANDS),
    ],
)
def test_what_the_notifier_consumes_reaches_only_its_queue_and_no_agent_stream(key, queue):
    assert [q for q in DURABLE_QUEUES if topic_matches(q.binding, key)] == [queue]
    assert not topic_matches(AGENT_EVENT_PATTERN, key)
