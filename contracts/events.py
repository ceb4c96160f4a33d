"""What happened to conversations, pushed to the agent concerned on `assignment.<agent>`."""

from datetime import datetime

import msgspec

from contracts.messages import Channel


class _AgentEvent(msgspec.Struct, frozen=True, tag_field="type"):
    conversation_id: str
    agent_id: str
    occurred_at: datetime


class ConversationAssigned(_AgentEvent, frozen=True, tag="assignment"):
    channel: Channel
    customer_address: str
    customer_name: str = ""
    priority: str = "normal"
    category: str = "other"
    reason: str = "new"
    preview: str = ""
    note: str = ""
    sender_warning: str = ""
    """Set when the latest customer message's sender is not verified (InboundMessage.sender_warning)."""
    """What the transferring agent wrote for whoever takes the conversation next."""


class ConversationOffered(_AgentEvent, frozen=True, tag="offer"):
    """A conversation the agent may accept until `expires_at`; then it goes to the next agent."""

    channel: Channel
    customer_address: str
    expires_at: datetime
    customer_name: str = ""
    priority: str = "normal"
    category: str = "other"
    preview: str = ""
    note: str = ""
    sender_warning: str = ""
    """Set when the latest customer message's sender is not verified (InboundMessage.sender_warning)."""
    """What the transferring agent wrote for whoever takes the conversation next."""


class FaqSuggestion(msgspec.Struct, frozen=True):
    """An FAQ answer an agent may insert: the entry, one of its phrasings, the answer, the score."""

    id: str
    question: str
    answer: str
    score: float


class CustomerMessageReceived(_AgentEvent, frozen=True, tag="message"):
    message_id: str
    channel: Channel
    text: str
    kind: str = "text"
    customer_name: str = ""
    sender_warning: str = ""
    """Why the sender is not verified ("" when it is): see InboundMessage.sender_warning."""
    faq_suggestions: tuple[FaqSuggestion, ...] = ()
    """The FAQ answers the router weighed for this message, best first, for the agent to insert."""


class ConversationUnassigned(_AgentEvent, frozen=True, tag="unassigned"):
    reason: str


class ConversationResolved(_AgentEvent, frozen=True, tag="resolved"):
    pass


class CommandRejected(_AgentEvent, frozen=True, tag="command_rejected"):
    command_id: str
    reason: str
    callback_id: str = ""
    """Set when the refused command was about a callback (then `conversation_id` may be "")."""


class DeliveryUpdated(_AgentEvent, frozen=True, tag="delivery"):
    message_id: str
    status: str
    reason: str = ""


class SlaBreached(_AgentEvent, frozen=True, tag="sla_breached"):
    """A conversation missed a target; `agent_id` is its agent's ("" while queued)."""

    kind: str
    priority: str
    category: str
    due_at: datetime


class SlaWarning(_AgentEvent, frozen=True, tag="sla_warning"):
    """A target is close: most of it has passed and `due_at` is near; `agent_id` as for breaches."""

    kind: str
    priority: str
    category: str
    due_at: datetime


class _CallbackEvent(_AgentEvent, frozen=True):
    """About a callback task; `conversation_id` is the conversation it follows up ("" if none)."""

    callback_id: str
    due_at: datetime
    reason: str


class _CallbackToMake(_CallbackEvent, frozen=True):
    """About a callback, with whom to call."""

    channel: str
    customer_address: str
    customer_name: str = ""
    category: str = "other"


class CallbackAssigned(_CallbackToMake, frozen=True, tag="callback_assigned"):
    """The callback is now the agent's: given at due time, claimed, or created by them (`how`)."""

    how: str = "due"


class CallbackDue(_CallbackToMake, frozen=True, tag="callback_due"):
    """Time to call the customer."""

    attempts: int = 0
    """No-answer calls so far."""


class CallbackOverdue(_CallbackEvent, frozen=True, tag="callback_overdue"):
    """Past its due time and grace without an outcome; `agent_id` is its agent's ("" if unassigned)."""

    overdue_since: datetime


class CallbackUpdated(_CallbackEvent, frozen=True, tag="callback_updated"):
    """An outcome was recorded: the task is closed (`outcome` says how) or scheduled again."""

    state: str
    outcome: str
    attempts: int = 0


AgentEvent = (
    ConversationAssigned
    | ConversationOffered
    | CustomerMessageReceived
    | ConversationUnassigned
    | ConversationResolved
    | CommandRejected
    | DeliveryUpdated
    | SlaBreached
    | SlaWarning
    | CallbackAssigned
    | CallbackDue
    | CallbackOverdue
    | CallbackUpdated
)
