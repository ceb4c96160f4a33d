"""Orders agents give, carried from the agent API to the router on `agent.command`."""

from datetime import datetime
from enum import StrEnum

import msgspec


class AgentStatus(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


class _Command(msgspec.Struct, frozen=True, tag_field="type"):
    command_id: str
    agent_id: str
    issued_at: datetime


class SendReply(_Command, tag="send_reply"):
    """Send `text` to the customer; `command_id` becomes the stored message's id."""

    conversation_id: str
    text: str


class ResolveConversation(_Command, tag="resolve_conversation"):
    conversation_id: str


class TransferConversation(_Command, tag="transfer_conversation"):
    """Hand the conversation to another agent or team, or back to the queue when none is named."""

    conversation_id: str
    to_agent_id: str | None = None
    note: str = ""
    to_team: str | None = None


class AcceptOffer(_Command, tag="accept_offer"):
    """Take the conversation offered to this agent."""

    conversation_id: str


class DeclineOffer(_Command, tag="decline_offer"):
    """Pass on the offered conversation; it is offered to the next eligible agent."""

    conversation_id: str


class SetAgentStatus(_Command, tag="set_agent_status"):
    status: AgentStatus


AgentCommand = (
    SendReply | ResolveConversation | TransferConversation | SetAgentStatus | AcceptOffer | DeclineOffer
)
