"""The agent API's settings: its slice of the environment (limits, console sessions, files and
where the adapters holding customers' files answer)."""

from shared.config import Common, Settings, slice_of


class AgentApiSettings(Common, frozen=True, kw_only=True):
    file_link_secret: str
    file_link_ttl: int = 30 * 24 * 3600
    agent_api_rate: float = 20.0
    agent_api_burst: int = 60
    agent_api_presence_interval: float = 5.0
    agent_api_auth_interval: float = 3.0
    agent_api_public_url: str = "http://localhost:8000"
    agent_api_max_upload: int = 10 * 1024 * 1024
    agent_api_upload_quota: int = 200 * 1024 * 1024
    console_idle_timeout: int = 1800
    console_session_lifetime: int = 12 * 3600
    wechat_internal_url: str = "http://localhost:8002"
    email_internal_url: str = "http://localhost:8006"
    email_max_size: int = 25 * 1024 * 1024
    """The largest attachment the email adapter keeps, so the largest one fetched from it."""
    sms_default_region: str = "CN"
    """The region of customers' phone numbers written without a country code."""
    sms_segment_cost: float = 0.05


def settings_slice(settings: Settings) -> AgentApiSettings:
    return slice_of(settings, AgentApiSettings, port=settings.agent_api_port)
