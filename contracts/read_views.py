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


def view(owner: str, name: str, consumers: str, columns: str) -> ReadView:
    return ReadView(owner, name, tuple(columns.split()), tuple(consumers.split()))


READ_VIEWS: tuple[ReadView, ...] = (
    view(
        "router",
        "conversations",
        "agent_api notifier",
        "id channel customer_address status agent_id priority category created_at queued_at assigned_at "
        "first_response_at resolved_at updated_at language team preferred_agent_id bot_answered_at "
        "first_response_due resolution_due first_response_breached resolution_breached offered_to "
        "first_response_warned_for resolution_warned_for",
    ),
    view("router", "conversation_agents", "agent_api", "conversation_id agent_id conversation_created_at"),
    view(
        "router",
        "messages",
        "agent_api webchat_adapter",
        "id conversation_id direction channel customer_address agent_id kind text attachments seq "
        "created_at delivery_status delivery_reason delivery_at sender_warning faq_suggestions",
    ),
    view(
        "router",
        "contacts",
        "agent_api notifier sms_adapter webchat_adapter",
        "channel address display_name out_seq first_seen_at last_inbound_at account reachable "
        "subscribed_at unsubscribed_at",
    ),
    view("router", "sla_breaches", "agent_api", "kind priority category agent_id breached_at"),
    view("router", "csat_responses", "agent_api", "channel agent_id score answered_at"),
    view("router", "outbox", "agent_api", "id routing_key payload agent_id"),
    view("router", "agent_state", "agent_api notifier", "agent_id status changed_at last_assigned_at"),
    view("agent_api", "agents", "notifier router", "id name role capacity skills languages created_at channels teams"),
    view("agent_api", "conversation_tags", "notifier", "conversation_id tag"),
    view(
        "agent_api",
        "customers",
        "notifier",
        "id external_id name phone email timezone language tags created_at updated_at",
    ),
    view("agent_api", "customer_identities", "notifier", "channel address customer_id source linked_at"),
    view("agent_api", "files", "email_adapter", "id key name content_type body"),
    view(
        "notifier",
        "broadcasts",
        "agent_api",
        "id name created_by audience content send_at state planned created_at started_at finished_at",
    ),
    view("notifier", "broadcast_recipients", "agent_api", "broadcast_id channel state reason not_before"),
    view(
        "notifier",
        "callback_tasks",
        "agent_api",
        "id source reason state result channel customer_address customer_name customer_id conversation_id "
        "category application_id application_type details note assigned_agent_id claimed_at due_at cycle "
        "attempts overdue_at created_at",
    ),
    view("notifier", "callback_history", "agent_api", "id callback_id at event agent_id result note due_at"),
    view("notifier", "notifier_outbox", "agent_api", "id routing_key payload agent_id"),
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
