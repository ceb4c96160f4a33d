"""The shapes of the agent API's answers, for the OpenAPI document (requests are typed where read)."""

from datetime import datetime
from typing import Literal

import msgspec

from contracts import FaqSuggestion


class Error(msgspec.Struct):
    class Detail(msgspec.Struct):
        code: str
        message: str

    error: Detail


class Accepted(msgspec.Struct):
    """A command the broker has confirmed; its effect shows on the stream."""

    id: str
    status: Literal["accepted"]


class AcceptedMany(msgspec.Struct):
    ids: list[str]
    status: Literal["accepted"]


class Me(msgspec.Struct):
    id: str
    name: str
    role: Literal["agent", "supervisor", "admin"]
    capacity: int
    skills: list[str]
    languages: list[str]
    status: Literal["online", "away", "offline"]
    open_conversations: int


class Session(msgspec.Struct):
    """A console session: who signed in, the token to echo in `X-CSRF-Token` on every write, and
    how long the session may sit unused."""

    agent: Me
    csrf_token: str
    idle_timeout_s: int


class Conversation(msgspec.Struct):
    id: str
    channel: str
    customer_address: str
    """Masked where it is a phone number or an email address."""
    customer_name: str
    customer_id: str | None
    status: Literal["bot", "queued", "assigned", "resolved"]
    agent_id: str | None
    priority: str
    category: str
    language: str
    team: str | None
    created_at: datetime
    assigned_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    updated_at: datetime
    tags: list[str]
    first_response_due: datetime | None
    """When the router's first-response SLA clock runs out (it stops at the first agent reply)."""
    first_response_warned: bool
    """The router has sent its SLA warning for this due time."""
    first_response_breached: bool
    resolution_due: datetime | None
    resolution_warned: bool
    resolution_breached: bool


class LastMessage(msgspec.Struct):
    """The newest message, as a list row shows it."""

    text: str
    """Masked as in the conversation's detail, then cut to 140 characters."""
    kind: str
    direction: Literal["in", "out"]
    sender: Literal["customer", "agent", "bot"]
    """`bot` is an automatic reply: an FAQ answer or the closed-hours notice."""
    at: datetime


class ConversationItem(Conversation):
    last_message: LastMessage | None


class ConversationPage(msgspec.Struct):
    conversations: list[ConversationItem]
    next_cursor: str | None


class AttachmentOut(msgspec.Struct):
    ref: str
    content_type: str = ""
    name: str = ""
    size: int | None = None
    """Bytes, when known (WeChat media still being fetched has none yet)."""
    url: str | None = None
    """Where an agent who may see the conversation reads the file (`GET`, same authentication);
    None for a plain link Relaydesk holds no copy of."""
    transcript: str | None = None
    """A voice message's text as WeChat recognised it (masked like message text)."""


class Message(msgspec.Struct):
    id: str
    direction: Literal["in", "out"]
    kind: str
    text: str
    attachments: list[AttachmentOut]
    agent_id: str | None
    seq: int | None
    created_at: datetime
    delivery_status: Literal["sent", "delivered", "failed"] | None
    delivery_reason: str | None
    delivery_at: datetime | None
    sender_warning: str | None = None
    """Set on a customer message whose sender could not be verified (an email failing DMARC, e.g.
    "spf=fail dkim=none dmarc=fail"): it may not be from the address shown; nothing answered it."""


class Note(msgspec.Struct):
    id: str
    kind: Literal["note", "transfer", "reopen"]
    text: str
    author_id: str
    author_name: str
    created_at: datetime


class ConversationDetail(Conversation):
    messages: list[Message]
    notes: list[Note]
    faq_suggestions: list[FaqSuggestion]
    """For the customer's last message, best first (at most 3); empty when none reached the floor."""


class Notes(msgspec.Struct):
    notes: list[Note]


class Tags(msgspec.Struct):
    tags: list[str]


class CannedResponse(msgspec.Struct):
    id: str
    shortcut: str
    title: str
    text: str
    language: str
    category: str
    shared: bool
    owner_id: str | None
    created_at: datetime
    updated_at: datetime


class CannedResponses(msgspec.Struct):
    canned_responses: list[CannedResponse]


class Rendered(msgspec.Struct):
    text: str


class File(msgspec.Struct):
    id: str
    name: str
    content_type: str
    size: int
    url: str


class Created(msgspec.Struct):
    id: str


class Linked(msgspec.Struct):
    class Channel(msgspec.Struct):
        channel: str

    id: str
    linked: Channel


class Identity(msgspec.Struct):
    channel: str
    address: str
    display_name: str
    reachable: bool | None
    first_seen_at: datetime | None
    last_inbound_at: datetime | None
    consent_changed_at: datetime | None


class Consent(msgspec.Struct):
    sms_opted_out: bool
    email_unsubscribed: bool
    wechat_unfollowed: bool


class PastConversation(msgspec.Struct):
    id: str
    channel: str
    status: str
    category: str
    priority: str
    created_at: datetime
    resolved_at: datetime | None
    agent_name: str | None
    worked_on: bool
    """Whether the caller worked on it (and so may open it)."""


class Profile(msgspec.Struct):
    id: str
    external_id: str | None
    name: str
    phone: str | None
    email: str | None
    timezone: str
    language: str
    tags: list[str]
    notes: str
    created_at: datetime
    updated_at: datetime


class CustomerView(msgspec.Struct):
    """A profile (all fields) or, for a contact nobody linked, `id: null` and the contact alone."""

    id: str | None
    identities: list[Identity]
    consent: Consent
    conversations: list[PastConversation]
    external_id: str | None = None
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    timezone: str | None = None
    language: str | None = None
    tags: list[str] | None = None
    notes: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class CustomerPage(msgspec.Struct):
    customers: list[Profile]
    next_cursor: str | None


class AgentAccount(msgspec.Struct):
    id: str
    name: str
    role: Literal["agent", "supervisor", "admin"]
    capacity: int
    skills: list[str]
    languages: list[str]
    channels: list[str]
    teams: list[str]
    created_at: datetime


class Agents(msgspec.Struct):
    agents: list[AgentAccount]


class Token(msgspec.Struct):
    id: str
    agent_id: str
    agent_name: str
    name: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    status: Literal["active", "expired", "revoked"]


class Tokens(msgspec.Struct):
    tokens: list[Token]


class TokenWithSecret(Token):
    secret: str
    """Shown once, in this answer only."""
    replaces: str | None = None


class NewAccount(msgspec.Struct):
    agent: AgentAccount
    token: TokenWithSecret


class Unmasked(msgspec.Struct):
    id: str
    conversation_id: str
    text: str
    audit_id: int


class AuditEntry(msgspec.Struct):
    id: int
    at: datetime
    actor_id: str | None
    actor_name: str | None
    actor_role: str
    action: str
    conversation_id: str | None
    message_id: str | None
    reason: str
    detail: dict


class AuditPage(msgspec.Struct):
    entries: list[AuditEntry]
    next_after: int | None


class Statistic(msgspec.Struct, forbid_unknown_fields=False):
    """One statistic's figures; the fields after `stat` depend on the statistic (see README)."""

    stat: str


class BroadcastAccepted(msgspec.Struct):
    id: str
    status: Literal["accepted"]
    estimate: dict
    """For SMS content: encoding, segments and cost per message."""


class BroadcastEstimate(msgspec.Struct):
    estimate: dict
    """As in BroadcastAccepted: for SMS content, encoding, segments and cost per message."""


class BroadcastSummary(msgspec.Struct):
    id: str
    name: str
    created_by: str | None
    send_at: datetime
    state: Literal["scheduled", "planning", "sending", "paused", "cancelled", "done"]
    planned: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class Broadcasts(msgspec.Struct):
    broadcasts: list[BroadcastSummary]


class BroadcastView(BroadcastSummary):
    """With its audience and content as created, progress per outcome (`queued`, `held`, `sent`,
    `delivered`, `failed`, `skipped`, `reasons`, `by_channel`) and the SMS cost estimate."""

    audience: dict
    content: dict
    progress: dict
    estimate: dict
