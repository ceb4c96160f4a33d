"""What happened to conversations, pushed to the agent concerned on `assignment.<agent>`."""

from datetime import datetime

import msgspec

from contracts.messages import Channel


class _AgentEvent(msgspec.Struct, frozen=True, tag_field="type"):
    conversation_id: str
    agent_id: str
    occurred_at: datetime


class ConversationAssigned(_AgentEvent, tag="assignment"):
    channel: Channel
    customer_address: str
    customer_name: str = ""
    priority: str = "normal"
    category: str = "other"
    reason: str = "new"
    preview: str = ""


class ConversationOffered(_AgentEvent, tag="offer"):
    """A conversation the agent may accept until `expires_at`; then it goes to the next agent."""

    channel: Channel
    customer_address: str
    expires_at: datetime
    customer_name: str = ""
    priority: str = "normal"
    category: str = "other"
    preview: str = ""


class CustomerMessageReceived(_AgentEvent, tag="message"):
    message_id: str
    channel: Channel
    text: str
    kind: str = "text"
    customer_name: str = ""


class ConversationUnassigned(_AgentEvent, tag="unassigned"):
    reason: str


class ConversationResolved(_AgentEvent, tag="resolved"):
    pass


class CommandRejected(_AgentEvent, tag="command_rejected"):
    command_id: str
    reason: str


class DeliveryUpdated(_AgentEvent, tag="delivery"):
    message_id: str
    status: str
    reason: str = ""


class SlaBreached(_AgentEvent, tag="sla_breached"):
    """A conversation missed a target; `agent_id` is its agent's ("" while queued)."""

    kind: str
    priority: str
    category: str
    due_at: datetime


AgentEvent = (
    ConversationAssigned
    | ConversationOffered
    | CustomerMessageReceived
    | ConversationUnassigned
    | ConversationResolved
    | CommandRejected
    | DeliveryUpdated
    | SlaBreached
)
