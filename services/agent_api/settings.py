"""The agent API's settings: its slice of the environment (limits, console sessions, files and
where the adapters holding customers' files answer)."""

from shared.config import Common, Settings, slice_of


class AgentApiSettings(Common, frozen=True, kw_only=True):
    file_link_secret: str
    file_link_ttl: int
    agent_api_rate: float
    agent_api_burst: int
    agent_api_presence_interval: float
    agent_api_auth_interval: float
    agent_api_public_url: str
    agent_api_max_upload: int
    agent_api_upload_quota: int
    console_idle_timeout: int
    console_session_lifetime: int
    wechat_internal_url: str
    email_internal_url: str
    email_max_size: int
    """The largest attachment the email adapter keeps, so the largest one fetched from it."""
    sms_default_region: str
    """The region of customers' phone numbers written without a country code."""
    sms_segment_cost: float


def settings_slice(settings: Settings) -> AgentApiSettings:
    return slice_of(settings, AgentApiSettings, port=settings.agent_api_port)
