"""Typed wire contracts of the Relaydesk bus: every message is a tagged msgspec Struct."""

from contracts.commands import (
    AgentCommand,
    AgentStatus,
    ResolveConversation,
    SendReply,
    SetAgentStatus,
    TransferConversation,
)
from contracts.events import (
    AgentEvent,
    CommandRejected,
    ConversationAssigned,
    ConversationResolved,
    ConversationUnassigned,
    CustomerMessageReceived,
)
from contracts.messages import (
    Attachment,
    Channel,
    InboundMessage,
    MessageKind,
    OutboundMessage,
    message_uuid,
)

BUS_TYPES = (InboundMessage, OutboundMessage, AgentCommand, AgentEvent)
"""Every payload type that crosses the bus, in the order the schema file lists them."""

__all__ = [
    "BUS_TYPES",
    "AgentCommand",
    "AgentEvent",
    "AgentStatus",
    "Attachment",
    "Channel",
    "CommandRejected",
    "ConversationAssigned",
    "ConversationResolved",
    "ConversationUnassigned",
    "CustomerMessageReceived",
    "InboundMessage",
    "MessageKind",
    "OutboundMessage",
    "ResolveConversation",
    "SendReply",
    "SetAgentStatus",
    "TransferConversation",
    "message_uuid",
]
