"""Orders agents give, carried from the agent API to the router on `agent.command`."""

from datetime import datetime
from enum import StrEnum

import msgspec

from contracts.messages import Attachment


class AgentStatus(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


class _Command(msgspec.Struct, frozen=True, tag_field="type"):
    command_id: str
    agent_id: str
    issued_at: datetime


class SendReply(_Command, tag="send_reply"):
    """Send `text` (and files) to the customer; `command_id` becomes the stored message's id."""

    conversation_id: str
    text: str
    attachments: tuple[Attachment, ...] = ()


class ResolveConversation(_Command, tag="resolve_conversation"):
    conversation_id: str


class TransferConversation(_Command, tag="transfer_conversation"):
    """Hand the conversation to another agent or team, or back to the queue when none is named."""

    conversation_id: str
    to_agent_id: str | None = None
    note: str = ""
    to_team: str | None = None


class ReopenConversation(_Command, tag="reopen_conversation"):
    """Put a resolved conversation back in the queue, preferring the agent who reopens it."""

    conversation_id: str


class SetContactConsent(_Command, tag="set_contact_consent"):
    """Record what the customer told an agent: stop (or resume) messages on this channel address."""

    channel: str
    customer_address: str
    allowed: bool
    reason: str = ""


class AcceptOffer(_Command, tag="accept_offer"):
    """Take the conversation offered to this agent."""

    conversation_id: str


class DeclineOffer(_Command, tag="decline_offer"):
    """Pass on the offered conversation; it is offered to the next eligible agent."""

    conversation_id: str


class SetAgentStatus(_Command, tag="set_agent_status"):
    status: AgentStatus


AgentCommand = (
    SendReply
    | ResolveConversation
    | TransferConversation
    | SetAgentStatus
    | AcceptOffer
    | DeclineOffer
    | ReopenConversation
    | SetContactConsent
)
