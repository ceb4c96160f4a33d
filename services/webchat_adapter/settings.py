"""The web-chat adapter's settings: its slice of the environment (session signing, text size,
visitor limits, who may frame the widget)."""

from shared.config import Common, Settings, slice_of


class WebchatSettings(Common, frozen=True, kw_only=True):
    webchat_secret: str
    webchat_session_ttl: int
    webchat_max_text: int
    webchat_frame_ancestors: str
    webchat_rate: float
    webchat_burst: int
    webchat_address_rate: float
    webchat_address_burst: int
    webchat_session_rate: float
    webchat_session_burst: int
    webchat_trusted_proxies: str


def settings_slice(settings: Settings) -> WebchatSettings:
    return slice_of(settings, WebchatSettings, port=settings.webchat_port)
