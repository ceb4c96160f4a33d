"""The database contract between services: which views each owner publishes, with which columns,
and who reads them.

Each service owns a PostgreSQL schema named after it and reads another's data only through the
views the owner publishes in `<owner>_read`, under the owned table's name, so consumer SQL stays
unqualified and resolves through the search_path. A view lists only the columns some consumer
reads; the owner may change anything else alone. tests/integration/test_read_views.py compares
this module with the live catalog (columns and grants); the owners' migrations create the views.
"""

from typing import NamedTuple


class ReadView(NamedTuple):
    owner: str
    name: str
    columns: tuple[str, ...]
    consumers: tuple[str, ...]

    @property
    def schema(self) -> str:
        return read_schema(self.owner)


SCHEMAS = ("router", "agent_api", "notifier", "email_adapter", "wechat_adapter", "sms_adapter")
"""Services that own tables, in migration order: the router first, whose outbox id sequence the
notifier's outbox draws from."""
SERVICES = (*SCHEMAS, "webchat_adapter")
"""Every service with a database role; the web-chat adapter owns no tables, it only reads."""

READ_VIEWS: tuple[ReadView, ...] = (
    ReadView(
        "router",
        "conversations",
        (
            "id", "channel", "customer_address", "status", "agent_id", "priority", "category", "created_at",
            "queued_at", "assigned_at", "first_response_at", "resolved_at", "updated_at", "language", "team",
            "preferred_agent_id", "bot_answered_at", "first_response_due", "resolution_due",
            "first_response_breached", "resolution_breached", "offered_to", "first_response_warned_for",
            "resolution_warned_for",
        ),
        ("agent_api", "notifier"),
    ),  # fmt: skip
    ReadView("router", "conversation_agents", ("conversation_id", "agent_id", "conversation_created_at"), ("agent_api",)),
    ReadView(
        "router",
        "messages",
        (
            "id", "conversation_id", "direction", "channel", "customer_address", "agent_id", "kind", "text",
            "attachments", "seq", "created_at", "delivery_status", "delivery_reason", "delivery_at",
            "sender_warning", "faq_suggestions",
        ),
        ("agent_api", "webchat_adapter"),
    ),  # fmt: skip
    ReadView(
        "router",
        "contacts",
        (
            "channel", "address", "display_name", "out_seq", "first_seen_at", "last_inbound_at", "account",
            "reachable", "subscribed_at", "unsubscribed_at",
        ),
        ("agent_api", "notifier", "sms_adapter", "webchat_adapter"),
    ),  # fmt: skip
    ReadView("router", "sla_breaches", ("kind", "priority", "category", "agent_id", "breached_at"), ("agent_api",)),
    ReadView("router", "csat_responses", ("channel", "agent_id", "score", "answered_at"), ("agent_api",)),
    ReadView("router", "outbox", ("id", "routing_key", "payload", "agent_id"), ("agent_api",)),
    ReadView(
        "router", "agent_state", ("agent_id", "status", "changed_at", "last_assigned_at"), ("agent_api", "notifier")
    ),
    ReadView(
        "agent_api",
        "agents",
        ("id", "name", "role", "capacity", "skills", "languages", "created_at", "channels", "teams"),
        ("notifier", "router"),
    ),
    ReadView("agent_api", "conversation_tags", ("conversation_id", "tag"), ("notifier",)),
    ReadView(
        "agent_api",
        "customers",
        ("id", "external_id", "name", "phone", "email", "timezone", "language", "tags", "created_at", "updated_at"),
        ("notifier",),
    ),
    ReadView(
        "agent_api",
        "customer_identities",
        ("channel", "address", "customer_id", "source", "linked_at"),
        ("notifier",),
    ),
    ReadView("agent_api", "files", ("id", "key", "name", "content_type", "body"), ("email_adapter",)),
    ReadView(
        "notifier",
        "broadcasts",
        (
            "id", "name", "created_by", "audience", "content", "send_at", "state", "planned", "created_at",
            "started_at", "finished_at",
        ),
        ("agent_api",),
    ),  # fmt: skip
    ReadView(
        "notifier", "broadcast_recipients", ("broadcast_id", "channel", "state", "reason", "not_before"), ("agent_api",)
    ),
    ReadView(
        "notifier",
        "callback_tasks",
        (
            "id", "source", "reason", "state", "result", "channel", "customer_address", "customer_name",
            "customer_id", "conversation_id", "category", "application_id", "application_type", "details", "note",
            "assigned_agent_id", "claimed_at", "due_at", "cycle", "attempts", "overdue_at", "created_at",
        ),
        ("agent_api",),
    ),  # fmt: skip
    ReadView(
        "notifier",
        "callback_history",
        ("id", "callback_id", "at", "event", "agent_id", "result", "note", "due_at"),
        ("agent_api",),
    ),
    ReadView("notifier", "notifier_outbox", ("id", "routing_key", "payload", "agent_id"), ("agent_api",)),
)


def read_schema(owner: str) -> str:
    return f"{owner}_read"


def role(service: str) -> str:
    """The NOLOGIN role a service acts as: it owns the service's schema and holds its grants."""
    return f"relaydesk_{service}"


def search_path(service: str) -> tuple[str, ...]:
    """Where a service's unqualified names resolve: its own tables first, then the views it reads."""
    own = (service,) if service in SCHEMAS else ()
    owners = sorted({view.owner for view in READ_VIEWS if service in view.consumers}, key=SCHEMAS.index)
    return (*own, *(read_schema(owner) for owner in owners))


def published(owner: str) -> tuple[ReadView, ...]:
    return tuple(view for view in READ_VIEWS if view.owner == owner)
