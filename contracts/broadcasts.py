"""Broadcasts: a supervisor's push to an audience, carried from the agent API to the notifier."""

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from contracts.commands import _Command
from contracts.messages import Channel

Label = Annotated[str, msgspec.Meta(pattern="^[a-z0-9][a-z0-9_.:-]{0,47}$")]
PUSH_CHANNELS = ("wechat", "email", "sms")
"""Channels a broadcast can reach; a web-chat visitor has no address to push to."""


class Audience(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Who receives it: everyone, by channel, by tag, a list of customer ids, or customers with a
    conversation in a category over a date range."""

    kind: Literal["everyone", "channel", "tag", "customers", "category"]
    channels: list[Channel] = []
    tags: list[Label] = []
    customer_ids: Annotated[
        list[Annotated[str, msgspec.Meta(min_length=1, max_length=200)]], msgspec.Meta(max_length=100_000)
    ] = []
    """Our profile ids or the wallet's own (`external_id`)."""
    category: str = ""
    start: datetime | None = msgspec.field(default=None, name="from")
    end: datetime | None = msgspec.field(default=None, name="to")

    def __post_init__(self) -> None:
        needs = {"channel": self.channels, "tag": self.tags, "customers": self.customer_ids, "category": self.category}
        if self.kind in needs and not needs[self.kind]:
            field = {"channel": "channels", "tag": "tags", "customers": "customer_ids"}.get(self.kind, self.kind)
            raise ValueError(f"an audience of kind '{self.kind}' needs '{field}'")
        if self.kind == "category" and not (self.start and self.end and self.start < self.end):
            raise ValueError("a category audience needs 'from' before 'to'")


class WeChatContent(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A customer-service text where the 48-hour window is open, else the template message."""

    text: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    template_id: Annotated[str, msgspec.Meta(max_length=64)] = ""
    template_data: dict[str, str] = {}
    url: str = ""

    def __post_init__(self) -> None:
        if not self.text and not self.template_id:
            raise ValueError("WeChat content needs 'text', 'template_id' or both")


class EmailContent(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    subject: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=100_000)]
    html: Annotated[str, msgspec.Meta(max_length=500_000)] = ""


class SmsContent(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class Content(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What each channel says; a recipient reached only on a channel with no content is skipped."""

    wechat: WeChatContent | None = None
    email: EmailContent | None = None
    sms: SmsContent | None = None

    def __post_init__(self) -> None:
        if not (self.wechat or self.email or self.sms):
            raise ValueError("give content for at least one of wechat, email, sms")


class CreateBroadcast(_Command, frozen=True, tag="create_broadcast"):
    broadcast_id: str
    name: str
    audience: Audience
    content: Content
    send_at: datetime


class ControlBroadcast(_Command, frozen=True, tag="control_broadcast"):
    broadcast_id: str
    action: Literal["pause", "resume", "cancel"]


BroadcastCommand = CreateBroadcast | ControlBroadcast
