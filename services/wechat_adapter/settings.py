"""The WeChat adapter's settings: its slice of the environment, the official accounts by name."""

from shared.config import Common, Settings, WeChatAccount, slice_of


class WeChatSettings(Common, frozen=True, kw_only=True):
    accounts: dict[str, WeChatAccount]
    """Each configured official account by the name in its callback URL `/wechat/{name}`."""
    file_link_secret: str
    wechat_api_base: str
    wechat_media_wait: float
    wechat_media_sweep_interval: float
    wechat_max_body: int
    agent_api_max_upload: int


def settings_slice(settings: Settings) -> WeChatSettings:
    accounts = {account.name: account for account in settings.wechat_accounts}
    return slice_of(settings, WeChatSettings, port=settings.wechat_port, accounts=accounts)
