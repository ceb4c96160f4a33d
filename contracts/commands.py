"""Orders agents give, carried from the agent API to the router on `agent.command`."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

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


class SendReply(_Command, frozen=True, tag="send_reply"):
    """Send `text` (and files) to the customer; `command_id` becomes the stored message's id."""

    conversation_id: str
    text: str
    attachments: tuple[Attachment, ...] = ()


class ResolveConversation(_Command, frozen=True, tag="resolve_conversation"):
    conversation_id: str


class TransferConversation(_Command, frozen=True, tag="transfer_conversation"):
    """Hand the conversation to another agent or team, or back to the queue when none is named."""

    conversation_id: str
    to_agent_id: str | None = None
    note: str = ""
    to_team: str | None = None


class ReopenConversation(_Command, frozen=True, tag="reopen_conversation"):
    """Put a resolved conversation back in the queue, preferring the agent who reopens it."""

    conversation_id: str


class SetContactConsent(_Command, frozen=True, tag="set_contact_consent"):
    """Record what the customer told an agent: stop (or resume) messages on this channel address."""

    channel: str
    customer_address: str
    allowed: bool
    reason: str = ""


class AcceptOffer(_Command, frozen=True, tag="accept_offer"):
    """Take the conversation offered to this agent."""

    conversation_id: str


class DeclineOffer(_Command, frozen=True, tag="decline_offer"):
    """Pass on the offered conversation; it is offered to the next eligible agent."""

    conversation_id: str


class SetAgentStatus(_Command, frozen=True, tag="set_agent_status"):
    status: AgentStatus


class ReportStreams(msgspec.Struct, frozen=True, tag="report_streams", tag_field="type"):
    """Record the agent streams one agent API replica holds: sent when an agent's first stream
    there opens or their last one closes, and as the replica's heartbeat.

    Absolute and numbered: the router applies the highest `seq` per replica and ignores older
    ones; a replica not heard from within `expires_in_s` counts as gone with its streams.
    """

    command_id: str
    replica_id: str
    seq: int
    issued_at: datetime
    streams: dict[str, datetime] = {}
    """Agent id -> since when this replica has held a stream of theirs."""
    expires_in_s: float = 15.0


class SendSurvey(msgspec.Struct, frozen=True, tag="send_survey", tag_field="type"):
    """From the notifier: ask the customer of a resolved conversation to rate it, on their channel.

    The router sends it as the conversation's last message, so web chat shows it in order and a
    1-5 reply is recognised as the answer. `command_id` becomes the message's id.
    """

    command_id: str
    issued_at: datetime
    conversation_id: str
    text: str


class RecordSurveyAnswer(msgspec.Struct, frozen=True, tag="record_survey_answer", tag_field="type"):
    """From the notifier's survey page: the customer's rating of a resolved conversation."""

    command_id: str
    issued_at: datetime
    conversation_id: str
    score: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Annotated[str, msgspec.Meta(max_length=1000)] = ""


AgentCommand = (
    SendReply
    | ResolveConversation
    | TransferConversation
    | SetAgentStatus
    | AcceptOffer
    | DeclineOffer
    | ReopenConversation
    | SetContactConsent
    | ReportStreams
    | SendSurvey
    | RecordSurveyAnswer
)
