"""What the WeChat adapter's callbacks, media route and consumer are given."""

from dataclasses import dataclass, field

from services.wechat_adapter.media import MediaStore
from services.wechat_adapter.outbound import Sender
from services.wechat_adapter.settings import WeChatSettings
from shared.deps import Deps


@dataclass(kw_only=True, eq=False)
class WeChatDeps(Deps):
    settings: WeChatSettings
    sender: Sender = field(init=False)
    """Sends replies through WeChat's API; made when the pool exists, as is `media`."""
    media: MediaStore = field(init=False)
