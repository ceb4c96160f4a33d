"""The web-chat adapter's settings: its slice of the environment (session signing, text size,
visitor limits, who may frame the widget)."""

from shared.config import Common, Settings, slice_of


class WebchatSettings(Common, frozen=True, kw_only=True):
    webchat_secret: str
    webchat_session_ttl: int = 7 * 24 * 3600
    webchat_max_text: int = 4000
    webchat_frame_ancestors: str = ""
    webchat_rate: float = 5.0
    webchat_burst: int = 20
    webchat_address_rate: float = 20.0
    webchat_address_burst: int = 100
    webchat_session_rate: float = 0.5
    webchat_session_burst: int = 10
    webchat_trusted_proxies: str = ""


def settings_slice(settings: Settings) -> WebchatSettings:
    return slice_of(settings, WebchatSettings, port=settings.webchat_port)
