"""Settings from `RELAYDESK_*` environment variables, validated once at start."""

import os
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar

import msgspec

Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
Positive = Annotated[int, msgspec.Meta(gt=0)]
PositiveFloat = Annotated[float, msgspec.Meta(gt=0)]

DEV_WEBCHAT_SECRET = "relaydesk-dev-secret-change-me"
DEV_FILE_LINK_SECRET = "relaydesk-dev-file-link-secret-change-me"
SENSITIVE = frozenset(
    {
        "amqp_url",
        "database_url",
        "webchat_secret",
        "file_link_secret",
        "wechat_accounts",
        "sms_auth_token",
        "sms_webhook_secret",
        "email_relay_password",
        "email_smtp_auth",
        "email_imap_url",
        "metrics_token",
    }
)
"""Fields whose values may hold credentials: never echoed in an error."""
JSON_FIELDS = frozenset({"wechat_accounts", "routing_policy", "sla_targets", "callback_rules", "broadcast_rates"})
"""Fields given as a JSON document in their variable."""


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class WeChatAccount(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One official account, served at `/wechat/{name}`; `menu` maps CLICK keys to intents."""

    name: Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9_-]{1,64}$")]
    app_id: Annotated[str, msgspec.Meta(min_length=1)]
    app_secret: Annotated[str, msgspec.Meta(min_length=1)]
    token: Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9]{3,32}$")]
    aes_key: str = ""
    mode: Literal["plain", "compatible", "safe"] = "safe"
    """`safe` (the default) encrypts and signs the body; plain/compatible signatures cover only
    token, timestamp and nonce."""
    welcome: str = ""
    menu: dict[str, str] = {}

    def __post_init__(self) -> None:
        if self.mode != "plain" and len(self.aes_key) != 43:
            raise ValueError(f"account {self.name}: mode {self.mode} needs the 43-character EncodingAESKey")


class Common(msgspec.Struct, frozen=True, kw_only=True):
    """What every service is told: where the broker and the database are, where it listens, how
    it logs. Each service's settings slice (`services/<svc>/settings.py`) extends it with what
    that service alone uses, decoded. Fields are validated, and defaults given, in one place:
    `Settings`, which the slices are cut from by field name."""

    env: Literal["development", "production"]
    metrics_token: str
    amqp_url: str
    database_url: str
    host: str
    port: int
    """This service's own port (its `RELAYDESK_<SERVICE>_PORT`)."""
    log_level: str
    prefetch: int
    delivery_limit: int
    db_pool_size: int


C = TypeVar("C", bound=Common)


def slice_of(settings: "Settings", kind: type[C], *, port: int, **decoded: Any) -> C:
    """A service's settings slice: `kind`'s fields taken from `settings` by name, its port, and
    the values the service decodes once from the raw ones (files, policies, durations)."""
    taken = {name: getattr(settings, name) for name in kind.__struct_fields__ if name not in decoded and name != "port"}
    return kind(port=port, **taken, **decoded)


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a Relaydesk process can be told; defaults match docker-compose.yml."""

    env: Literal["development", "production"] = "production"
    """`RELAYDESK_ENV`: in production (the default) a service refuses to start without real secrets."""
    metrics_token: str = ""
    """Bearer token `/metrics` requires; without one it is served in development only."""
    amqp_url: Annotated[str, msgspec.Meta(pattern="^amqps?://")] = "amqp://guest:guest@localhost:5672/"
    database_url: Annotated[str, msgspec.Meta(pattern="^postgres(ql)?://")] = (
        "postgresql://postgres@localhost:5432/relaydesk"
    )
    host: str = "0.0.0.0"
    log_level: Annotated[str, msgspec.Meta(pattern="^(DEBUG|INFO|WARNING|ERROR)$")] = "INFO"
    prefetch: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 64
    delivery_limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 5
    db_pool_size: Annotated[int, msgspec.Meta(ge=1, le=200)] = 10
    agent_api_port: Port = 8000
    agent_api_rate: PositiveFloat = 20.0
    agent_api_burst: Positive = 60
    agent_api_presence_interval: PositiveFloat = 5.0
    """How often each agent API replica tells the router whose streams it holds; a replica silent
    for three intervals counts as gone (crashed) and its agents' presence grace starts."""
    agent_api_auth_interval: PositiveFloat = 3.0
    """How often open streams re-check their tokens; a revoked or expired one is closed."""
    agent_api_public_url: Annotated[str, msgspec.Meta(pattern="^https?://[^/]+(/.*[^/])?$")] = "http://localhost:8000"
    """Where adapters and customers fetch files agents send (`<url>/files/...`); no trailing slash."""
    agent_api_max_upload: Annotated[int, msgspec.Meta(ge=1024, le=50 * 1024 * 1024)] = 10 * 1024 * 1024
    """Largest file an agent may upload, and the largest customer media the adapters keep."""
    agent_api_upload_quota: Annotated[int, msgspec.Meta(ge=1024, le=2**40)] = 200 * 1024 * 1024
    """Bytes one agent may upload in any 24 hours."""
    file_link_secret: Annotated[str, msgspec.Meta(min_length=16)] = DEV_FILE_LINK_SECRET
    """HMAC key of the file links customers get (`/files/...?expires=&sig=`), and of the agent API's
    links to customers' files the adapters hold; changing it voids every link."""
    file_link_ttl: Annotated[int, msgspec.Meta(ge=60, le=3650 * 24 * 3600)] = 30 * 24 * 3600
    """Seconds a file link customers get stays valid."""
    console_idle_timeout: Annotated[int, msgspec.Meta(ge=1, le=24 * 3600)] = 1800
    """Seconds a console session may go unused before it ends (sign in again)."""
    console_session_lifetime: Annotated[int, msgspec.Meta(ge=60, le=30 * 24 * 3600)] = 12 * 3600
    """Seconds a console session lasts at most, however busy."""
    webchat_port: Port = 8001
    router_port: Port = 8005
    wechat_port: Port = 8002
    sms_port: Port = 8003
    notifier_port: Port = 8004
    email_port: Port = 8006
    webchat_secret: Annotated[str, msgspec.Meta(min_length=16)] = DEV_WEBCHAT_SECRET
    webchat_session_ttl: Positive = 7 * 24 * 3600
    webchat_max_text: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 4000
    webchat_rate: PositiveFloat = 5.0
    webchat_frame_ancestors: Annotated[str, msgspec.Meta(pattern="^[^;,\\x00-\\x1f]*$")] = ""
    """Space-separated origins allowed to frame the widget page (CSP frame-ancestors); empty = none."""
    webchat_burst: Positive = 20
    webchat_address_rate: PositiveFloat = 20.0
    webchat_address_burst: Positive = 100
    """Frames (messages, resumes) per second from one client address, across its sessions."""
    webchat_session_rate: PositiveFloat = 0.5
    webchat_session_burst: Positive = 10
    """Sessions one client address may open per second (and at once)."""
    webchat_trusted_proxies: str = ""
    """Comma-separated addresses/networks of proxies whose `X-Forwarded-For` names the client;
    empty = the peer address is the client."""
    outbox_sweep_interval: PositiveFloat = 1.0
    outbox_retention_days: Positive = 7
    router_rules: str = ""
    faq_kb: str = ""
    business_hours: str = ""
    routing_policy: dict[str, object] = {}
    sla_targets: dict[str, dict[str, object]] = {}
    sla_sweep_interval: PositiveFloat = 1.0
    wechat_accounts: tuple[WeChatAccount, ...] = ()
    wechat_api_base: Annotated[str, msgspec.Meta(pattern="^https?://")] = "https://api.weixin.qq.com"
    wechat_media_wait: Annotated[float, msgspec.Meta(ge=0, le=3)] = 2.0
    """Seconds a callback waits for its media (image, voice, video) to be fetched before answering
    WeChat, which wants an answer within 5 s; slower media is fetched after the answer."""
    wechat_media_sweep_interval: PositiveFloat = 60.0
    """Seconds between looks for media still not fetched (after a crash or a WeChat outage)."""
    wechat_internal_url: Annotated[str, msgspec.Meta(pattern="^https?://[^/]+(/.*[^/])?$")] = "http://localhost:8002"
    """Where the agent API fetches WeChat media from the WeChat adapter (signed links); no trailing slash."""
    email_internal_url: Annotated[str, msgspec.Meta(pattern="^https?://[^/]+(/.*[^/])?$")] = "http://localhost:8006"
    """Where the agent API fetches email attachments from the email adapter (signed links)."""
    wechat_max_body: Annotated[int, msgspec.Meta(ge=1024, le=10 * 1024 * 1024)] = 256 * 1024
    sms_provider: Literal["twilio", "generic"] = "twilio"
    sms_api_base: Annotated[str, msgspec.Meta(pattern="^https?://")] = "https://api.twilio.com"
    sms_account_sid: str = ""
    sms_auth_token: str = ""
    sms_webhook_secret: str = ""
    sms_sender: str = ""
    sms_public_url: Annotated[str, msgspec.Meta(pattern="^(https?://.+)?$")] = ""
    sms_default_region: Annotated[str, msgspec.Meta(pattern="^[A-Z]{2}$")] = "CN"
    email_smtp_port: Port = 2525
    email_addresses: str = "support@localhost"
    """Comma-separated support addresses mail is accepted for; `@domain` accepts a whole domain."""
    email_max_size: Annotated[int, msgspec.Meta(ge=1024, le=100 * 1024 * 1024)] = 25 * 1024 * 1024
    email_smtp_tls_cert: str = ""
    email_smtp_tls_key: str = ""
    """PEM files: with both set, the SMTP door offers STARTTLS and requires it."""
    email_smtp_auth: str = ""
    """`user:password` the upstream MTA must AUTH with (over TLS); empty = no AUTH."""
    email_imap_url: Annotated[str, msgspec.Meta(pattern="^(imaps?://.+)?$")] = ""
    """imap[s]://user:password@host[:port]/MAILBOX to poll; empty = no polling."""
    email_imap_interval: PositiveFloat = 30.0
    email_imap_idle_renewal: Annotated[float, msgspec.Meta(gt=0, le=29 * 60)] = 25 * 60.0
    """Seconds a mailbox waits in IMAP IDLE before renewing it (RFC 2177: servers may drop it after 30 min)."""
    email_dns: Annotated[str, msgspec.Meta(pattern=r"^([0-9a-fA-F.:]+:\d{1,5})?$")] = ""
    """`ip:port` of the DNS server sender checks (SPF, DKIM, DMARC) ask; empty = the system resolver."""
    email_trust_authres: Annotated[str, msgspec.Meta(max_length=255)] = ""
    """authserv-id of an upstream MTA whose Authentication-Results header is believed; empty = check ourselves."""
    email_from: str = "Relaydesk Support <support@localhost>"
    email_relay_host: str = "localhost"
    email_relay_port: Port = 25
    email_relay_starttls: bool = False
    email_relay_username: str = ""
    email_relay_password: str = ""
    callback_rules: dict[str, str | float] = msgspec.field(
        default_factory=lambda: {"transaction": "24h", "loan": "24h", "complaint": "24h"}
    )
    """Category -> how long after a resolution its follow-up call is due; `{}` turns the rule off."""
    callback_preapproval_due: str = "2h"
    """A pre-approved application's call is due within this much business time (RELAYDESK_BUSINESS_HOURS)."""
    callback_retry_schedule: str = "2h,1d"
    """Comma-separated waits before calling again after each no-answer; the last one repeats."""
    callback_no_answer_limit: Annotated[int, msgspec.Meta(ge=1, le=20)] = 3
    """No-answer calls before a callback closes as unreachable."""
    callback_overdue_grace: str = "1h"
    """How long past its due time an open callback waits before supervisors are told."""
    scheduler_interval: PositiveFloat = 1.0
    """Seconds between the notifier's looks for due jobs."""
    notifier_public_url: Annotated[str, msgspec.Meta(pattern="^https?://[^/]+(/.*[^/])?$")] = "http://localhost:8004"
    """Where customers reach the notifier's pages (unsubscribe, surveys); no trailing slash."""
    broadcast_rates: dict[str, float] = msgspec.field(
        default_factory=lambda: {"wechat": 20.0, "email": 20.0, "sms": 10.0}
    )
    """Broadcast messages per second per channel, across all replicas; 0 = unthrottled."""
    quiet_hours: Annotated[
        str, msgspec.Meta(pattern="^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$")
    ] = "21:00-08:00"
    """No broadcast SMS in these hours of the customer's own time zone (held until the end)."""
    default_timezone: str = "Asia/Shanghai"
    """The time zone of customers whose profile names none."""
    sms_segment_cost: Annotated[float, msgspec.Meta(ge=0)] = 0.05
    """What one SMS part costs, for broadcast estimates (in the provider's currency)."""
    survey_delay: str = "2m"
    """How long after a resolution the satisfaction survey goes out (`30s`, `5m`, `1h`), or `off`."""


def env_name(field: str) -> str:
    return f"RELAYDESK_{field.upper()}"


def to_environ(settings: Settings, **overrides: object) -> dict[str, str]:
    """The `RELAYDESK_*` variables that make `load_settings` return these settings."""
    values = msgspec.structs.asdict(settings) | overrides
    return {env_name(k): msgspec.json.encode(v).decode() if k in JSON_FIELDS else str(v) for k, v in values.items()}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate settings; raise ConfigError naming the first bad variable."""
    env = os.environ if environ is None else environ
    texts = {field: env[env_name(field)] for field in Settings.__struct_fields__ if env_name(field) in env}
    raw: dict[str, object] = dict(texts)
    try:
        for field in JSON_FIELDS & texts.keys():
            raw[field] = _json(field, texts[field])
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        # msgspec reports the path as `... - at `$.field``: name the variable instead.
        message, _, path = str(exc).rpartition(" - at ")
        field, dot, inner = path.strip("`$.").replace("[", ".[", 1).partition(".")
        where = f" (at {inner})" if dot else ""
        shown = "(value hidden)" if field in SENSITIVE else repr(raw.get(field, ""))
        raise ConfigError(f"{env_name(field)}={shown} is invalid{where}: {message}") from None


def _json(field: str, value: str) -> object:
    try:
        return msgspec.json.decode(value)
    except msgspec.DecodeError:
        raise msgspec.ValidationError(f"Expected a JSON document - at `$.{field}`") from None
