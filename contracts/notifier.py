"""What the notifier consumes: resolved conversations, pre-approved applications, callback commands."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec

from contracts.commands import _Command
from contracts.messages import Channel


class ConversationClosed(msgspec.Struct, frozen=True, kw_only=True, tag="conversation_closed", tag_field="type"):
    """The router resolved a conversation (published with the resolve, on `conversation.resolved`)."""

    conversation_id: str
    channel: Channel
    customer_address: str
    resolved_at: datetime
    category: str = "other"
    language: str = ""
    agent_id: str | None = None
    """Who resolved it; None when nobody did (the FAQ answered)."""


class ApplicationPreapproved(
    msgspec.Struct, frozen=True, kw_only=True, tag="application_preapproved", tag_field="type"
):
    """The wallet's own systems pre-approved an application; the customer is owed a call.

    The customer is named by a channel address, or by the wallet's own customer id
    (`customers.external_id`), or both.
    """

    application_id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    application_type: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    approved_at: datetime
    channel: Channel | None = None
    customer_address: str = ""
    customer_id: str = ""
    customer_name: str = ""
    details: dict[str, str] = {}
    """What the agent should know before calling: amount, term, product…"""

    def __post_init__(self) -> None:
        if not (self.channel and self.customer_address) and not self.customer_id:
            raise ValueError("name the customer: channel and customer_address, or customer_id")


class CallbackOutcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"
    RESCHEDULE = "reschedule"
    RESOLVED = "resolved"


class CreateCallback(_Command, frozen=True, tag="create_callback"):
    """An agent schedules a call to a customer; `callback_id` becomes the task's id."""

    callback_id: str
    channel: str
    customer_address: str
    reason: str
    due_at: datetime
    conversation_id: str | None = None
    note: str = ""


class ClaimCallback(_Command, frozen=True, tag="claim_callback"):
    """The agent takes the callback: it is theirs, and others see it is being worked."""

    callback_id: str


class RecordCallbackOutcome(_Command, frozen=True, tag="record_callback_outcome"):
    """How the call went; `reschedule_at` is required with the `reschedule` outcome."""

    callback_id: str
    outcome: CallbackOutcome
    note: str = ""
    reschedule_at: datetime | None = None


CallbackCommand = CreateCallback | ClaimCallback | RecordCallbackOutcome
"""Orders about callbacks, carried from the agent API to the notifier on `notify.command`."""
