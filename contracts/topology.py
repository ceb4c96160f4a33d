"""Every exchange, queue and routing key on the Relaydesk bus, in one place."""

from typing import NamedTuple

EXCHANGE = "relaydesk"
"""The topic exchange every service publishes to."""

DEAD_LETTER_EXCHANGE = "relaydesk.dlx"
DEAD_LETTER_QUEUE = "relaydesk.dead-letter"

AGENT_COMMAND_KEY = "agent.command"
INBOUND_PATTERN = "inbound.*"


def inbound_key(channel: str) -> str:
    """Routing key of customer messages arriving on `channel`."""
    return f"inbound.{channel}"


def outbound_key(channel: str) -> str:
    """Routing key of messages to deliver to customers on `channel`."""
    return f"outbound.{channel}"


def delivery_key(channel: str) -> str:
    """Routing key of delivery reports (sent, delivered, failed) from `channel`'s adapter."""
    return f"delivery.{channel}"


DELIVERY_PATTERN = "delivery.*"


def agent_event_key(agent_id: str) -> str:
    """Routing key of events for one agent's live stream."""
    return f"assignment.{agent_id}"


AGENT_EVENT_PATTERN = "assignment.*"
SUPERVISORS_KEY = "assignment.supervisors"
"""Events every connected supervisor sees (SLA breaches), on the agent streams' pattern."""

CONVERSATION_RESOLVED_KEY = "conversation.resolved"
"""The router's `ConversationClosed`, published with every resolve (follow-ups, surveys)."""
APPLICATION_PREAPPROVED_KEY = "application.preapproved"
"""`ApplicationPreapproved`, published by the wallet's own systems."""
NOTIFY_COMMAND_KEY = "notify.command"
"""Callback commands from the agent API to the notifier."""


class QueueSpec(NamedTuple):
    """A durable quorum work queue and the routing key bound to it."""

    name: str
    binding: str


ROUTER_INBOUND = QueueSpec("router.inbound", INBOUND_PATTERN)
ROUTER_COMMANDS = QueueSpec("router.commands", AGENT_COMMAND_KEY)
ROUTER_DELIVERY = QueueSpec("router.delivery", DELIVERY_PATTERN)
WECHAT_OUTBOUND = QueueSpec("wechat_adapter.outbound", outbound_key("wechat"))
SMS_OUTBOUND = QueueSpec("sms_adapter.outbound", outbound_key("sms"))
EMAIL_OUTBOUND = QueueSpec("email_adapter.outbound", outbound_key("email"))
NOTIFIER_RESOLUTIONS = QueueSpec("notifier.resolutions", CONVERSATION_RESOLVED_KEY)
NOTIFIER_APPLICATIONS = QueueSpec("notifier.applications", APPLICATION_PREAPPROVED_KEY)
NOTIFIER_COMMANDS = QueueSpec("notifier.commands", NOTIFY_COMMAND_KEY)
NOTIFIER_DELIVERY = QueueSpec("notifier.delivery", DELIVERY_PATTERN)

DURABLE_QUEUES: tuple[QueueSpec, ...] = (
    ROUTER_INBOUND,
    ROUTER_COMMANDS,
    ROUTER_DELIVERY,
    WECHAT_OUTBOUND,
    SMS_OUTBOUND,
    EMAIL_OUTBOUND,
    NOTIFIER_RESOLUTIONS,
    NOTIFIER_APPLICATIONS,
    NOTIFIER_COMMANDS,
    NOTIFIER_DELIVERY,
)
"""Declared by every service at start, so no persistent publish is ever unroutable."""

WEBCHAT_LIVE_PREFIX = "webchat.live."
AGENT_API_LIVE_PREFIX = "agent_api.live."
"""Per-replica exclusive queues for live pushes; the database is the durable record."""
