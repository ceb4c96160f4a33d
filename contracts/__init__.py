"""Typed wire contracts of the Relaydesk bus: every message is a tagged msgspec Struct."""

from contracts.commands import (
    AcceptOffer,
    AgentCommand,
    AgentStatus,
    DeclineOffer,
    ResolveConversation,
    SendReply,
    SetAgentStatus,
    TransferConversation,
)
from contracts.events import (
    AgentEvent,
    CommandRejected,
    ConversationAssigned,
    ConversationOffered,
    ConversationResolved,
    ConversationUnassigned,
    CustomerMessageReceived,
    DeliveryUpdated,
    SlaBreached,
)
from contracts.messages import (
    Attachment,
    Channel,
    DeliveryReported,
    DeliveryStatus,
    InboundMessage,
    MessageKind,
    OutboundMessage,
    WeChatTemplateMessage,
    message_uuid,
)

BUS_TYPES = (InboundMessage, OutboundMessage, WeChatTemplateMessage, DeliveryReported, AgentCommand, AgentEvent)
"""Every payload type that crosses the bus, in the order the schema file lists them."""

__all__ = [
    "BUS_TYPES",
    "AcceptOffer",
    "AgentCommand",
    "AgentEvent",
    "AgentStatus",
    "Attachment",
    "Channel",
    "CommandRejected",
    "ConversationAssigned",
    "ConversationOffered",
    "ConversationResolved",
    "ConversationUnassigned",
    "CustomerMessageReceived",
    "DeclineOffer",
    "DeliveryReported",
    "DeliveryStatus",
    "DeliveryUpdated",
    "InboundMessage",
    "MessageKind",
    "OutboundMessage",
    "ResolveConversation",
    "SendReply",
    "SetAgentStatus",
    "SlaBreached",
    "TransferConversation",
    "WeChatTemplateMessage",
    "message_uuid",
]
