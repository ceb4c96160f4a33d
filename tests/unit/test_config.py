"""Settings from RELAYDESK_* variables: defaults, conversion, and errors that name the variable."""

import msgspec
import pytest

from shared.config import (
    DEV_FILE_LINK_SECRET,
    DEV_WEBCHAT_SECRET,
    ConfigError,
    Settings,
    WeChatAccount,
    load_settings,
    to_environ,
)
from shared.secrets_check import check_secrets, weak_secrets

pytestmark = pytest.mark.unit


def test_empty_environment_gives_the_defaults():
    settings = load_settings({})
    assert settings == Settings()
    assert settings.amqp_url.startswith("amqp://")
    assert settings.database_url.startswith("postgresql://")
    assert (settings.log_level, settings.webchat_secret) == ("INFO", DEV_WEBCHAT_SECRET)
    assert len({settings.agent_api_port, settings.webchat_port, settings.router_port}) == 3


def test_unrelated_and_unknown_variables_are_ignored():
    assert (
        load_settings({"PATH": "/usr/bin", "RELAYDESK_NO_SUCH_SETTING": "x", "relaydesk_log_level": "nope"})
        == Settings()
    )


def test_valid_overrides_are_converted_to_their_types():
    settings = load_settings(
        {
            "RELAYDESK_AGENT_API_PORT": "9000",
            "RELAYDESK_PREFETCH": "128",
            "RELAYDESK_WEBCHAT_RATE": "2.5",
            "RELAYDESK_OUTBOX_SWEEP_INTERVAL": "3",
            "RELAYDESK_LOG_LEVEL": "DEBUG",
            "RELAYDESK_AMQP_URL": "amqps://user:pw@rabbit.example:5671/prod",
            "RELAYDESK_DATABASE_URL": "postgres://db.example/relaydesk",
            "RELAYDESK_WEBCHAT_SECRET": "s" * 16,
        }
    )
    assert (settings.agent_api_port, settings.prefetch) == (9000, 128)
    assert type(settings.agent_api_port) is int
    assert (settings.webchat_rate, settings.outbox_sweep_interval) == (2.5, 3.0)
    assert type(settings.outbox_sweep_interval) is float
    assert settings.log_level == "DEBUG"
    assert settings.amqp_url == "amqps://user:pw@rabbit.example:5671/prod"
    assert settings.database_url == "postgres://db.example/relaydesk"
    assert settings.webchat_secret == "s" * 16


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RELAYDESK_AGENT_API_PORT", "http"),
        ("RELAYDESK_AGENT_API_PORT", ""),
        ("RELAYDESK_WEBCHAT_PORT", "70000"),
        ("RELAYDESK_ROUTER_PORT", "0"),
        ("RELAYDESK_LOG_LEVEL", "VERBOSE"),
        ("RELAYDESK_LOG_LEVEL", "info"),
        ("RELAYDESK_AMQP_URL", "http://rabbit:5672/"),
        ("RELAYDESK_AMQP_URL", "rabbit:5672"),
        ("RELAYDESK_DATABASE_URL", "mysql://db/relaydesk"),
        ("RELAYDESK_WEBCHAT_SECRET", "too-short"),
        ("RELAYDESK_PREFETCH", "1.5"),
        ("RELAYDESK_DELIVERY_LIMIT", "101"),
        ("RELAYDESK_WEBCHAT_RATE", "0"),
        ("RELAYDESK_WEBCHAT_RATE", "fast"),
        ("RELAYDESK_WEBCHAT_BURST", "-1"),
        ("RELAYDESK_WEBCHAT_MAX_TEXT", "100001"),
    ],
)
def test_bad_value_raises_config_error_naming_the_variable(variable, value):
    with pytest.raises(ConfigError) as caught:
        load_settings({variable: value})
    assert str(caught.value).startswith(f"{variable}=")
    assert "invalid" in str(caught.value)


def test_error_names_the_bad_variable_not_a_good_neighbour():
    with pytest.raises(ConfigError) as caught:
        load_settings({"RELAYDESK_AGENT_API_PORT": "9000", "RELAYDESK_WEBCHAT_PORT": "port", "RELAYDESK_PREFETCH": "8"})
    message = str(caught.value)
    assert "RELAYDESK_WEBCHAT_PORT" in message
    assert "RELAYDESK_AGENT_API_PORT" not in message and "RELAYDESK_PREFETCH" not in message


@pytest.mark.parametrize(
    ("variable", "value", "secret"),
    [
        ("RELAYDESK_DATABASE_URL", "postgress://relaydesk:hunter2-db-pass@db:5432/relaydesk", "hunter2-db-pass"),
        ("RELAYDESK_AMQP_URL", "amqp//relaydesk:hunter2-mq-pass@rabbit:5672/", "hunter2-mq-pass"),
        ("RELAYDESK_WEBCHAT_SECRET", "k3y-in-prod", "k3y-in-prod"),
    ],
    ids=["database-password", "amqp-password", "webchat-secret"],
)
def test_config_error_does_not_leak_secrets(variable, value, secret):
    with pytest.raises(ConfigError) as caught:
        load_settings({variable: value})
    assert variable in str(caught.value)
    assert secret not in str(caught.value)


def test_to_environ_round_trips_through_load_settings():
    account = WeChatAccount(
        name="wallet",
        app_id="wx1",
        app_secret="s",
        token="tok123",
        mode="safe",
        aes_key="a" * 43,
        menu={"HUMAN": "human"},
        welcome="欢迎",
    )
    settings = Settings(webchat_port=9001, webchat_rate=2.5, wechat_accounts=(account,))
    assert load_settings(to_environ(settings)) == settings


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not json", "Expected a JSON document"),
        ('[{"name": "w", "app_id": "a", "app_secret": "s", "token": "tok", "mode": "safe"}]', "43-character"),
        ('[{"name": "w", "app_id": "a", "app_secret": "s", "token": "t"}]', "(at [0].token)"),
        ('[{"name": "w", "app_id": "a", "app_secret": "s", "token": "tok", "extra": 1}]', "unknown field"),
    ],
)
def test_bad_wechat_accounts_name_the_variable_and_never_echo_secrets(value, message):
    with pytest.raises(ConfigError) as caught:
        load_settings({"RELAYDESK_WECHAT_ACCOUNTS": value})
    text = str(caught.value)
    assert text.startswith("RELAYDESK_WECHAT_ACCOUNTS=(value hidden) is invalid") and message in text
    assert '"s"' not in text and "app_secret" not in text


def _production(**fields) -> Settings:
    real = {
        "webchat_secret": "w" + "3f9c2a7e1b" * 3,
        "sms_auth_token": "9e107d9d372bb6826bd81d3542a419d6",
        "sms_webhook_secret": "c3fcd3d76192e4007dfb496cca67e13b",
        "file_link_secret": "f" + "8a61d0c2e4" * 3,
    }
    return Settings(**real | fields)


def _account(**fields) -> WeChatAccount:
    values = {"name": "wallet", "app_id": "wx1", "app_secret": "s", "token": "k8Jd2mQx", "aes_key": STRONG_AES_KEY}
    return WeChatAccount(**values | fields)


STRONG_AES_KEY = "3ZsMratbiCIOLFJk7luI0sIG9TUnaHv3ZmiyDyieav0"


def test_production_is_the_default_and_development_must_be_asked_for():
    assert load_settings({}).env == "production"
    assert load_settings({"RELAYDESK_ENV": "development"}).env == "development"
    with pytest.raises(ConfigError, match=r"^RELAYDESK_ENV="):
        load_settings({"RELAYDESK_ENV": "dev"})


@pytest.mark.parametrize(
    ("services", "fields", "variable", "secret"),
    [
        (["webchat_adapter"], {"webchat_secret": DEV_WEBCHAT_SECRET}, "RELAYDESK_WEBCHAT_SECRET", DEV_WEBCHAT_SECRET),
        (["webchat_adapter"], {"webchat_secret": "please-change-me-now"}, "RELAYDESK_WEBCHAT_SECRET", "please-change"),
        (["webchat_adapter"], {"webchat_secret": "x" * 32}, "RELAYDESK_WEBCHAT_SECRET", "x" * 32),
        (["agent_api"], {"file_link_secret": DEV_FILE_LINK_SECRET}, "RELAYDESK_FILE_LINK_SECRET", DEV_FILE_LINK_SECRET),
        # The adapters holding customers' files check the agent API's signed links with it.
        (["email_adapter"], {"file_link_secret": DEV_FILE_LINK_SECRET}, "RELAYDESK_FILE_LINK_SECRET", None),
        (
            ["wechat_adapter"],
            {"file_link_secret": DEV_FILE_LINK_SECRET, "wechat_accounts": (_account(),)},
            "RELAYDESK_FILE_LINK_SECRET",
            None,
        ),
        (["sms_adapter"], {"sms_auth_token": ""}, "RELAYDESK_SMS_AUTH_TOKEN (provider twilio)", None),
        (["sms_adapter"], {"sms_auth_token": "changeme"}, "RELAYDESK_SMS_AUTH_TOKEN", "changeme"),
        (
            ["sms_adapter"],
            {"sms_provider": "generic", "sms_webhook_secret": ""},
            "RELAYDESK_SMS_WEBHOOK_SECRET (provider generic)",
            None,
        ),
        (
            ["wechat_adapter"],
            {"wechat_accounts": (_account(token="token"),)},
            "RELAYDESK_WECHAT_ACCOUNTS token of account wallet",
            None,
        ),
        (
            ["wechat_adapter"],
            {"wechat_accounts": (_account(aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"),)},
            "RELAYDESK_WECHAT_ACCOUNTS aes_key of account wallet",
            "abcdefghijklmnop",
        ),
    ],
)
def test_a_service_refuses_a_missing_or_development_secret_naming_it_never_showing_it(
    services, fields, variable, secret
):
    settings = _production(**fields)
    with pytest.raises(ConfigError) as caught:
        check_secrets(settings, services)
    assert variable in str(caught.value) and "RELAYDESK_ENV=development" in str(caught.value)
    if secret:
        assert secret not in str(caught.value)
    check_secrets(msgspec.structs.replace(settings, env="development"), services)  # allowed for local use


def test_only_the_services_being_started_need_their_secrets():
    weak = Settings(webchat_secret=DEV_WEBCHAT_SECRET, sms_auth_token="", wechat_accounts=(_account(token="test"),))
    check_secrets(weak, ["router", "notifier"])
    assert weak_secrets(weak, ["router", "agent_api", "webchat_adapter", "sms_adapter", "wechat_adapter"]) == [
        "RELAYDESK_WEBCHAT_SECRET",
        "RELAYDESK_FILE_LINK_SECRET",
        "RELAYDESK_SMS_AUTH_TOKEN (provider twilio)",
        "RELAYDESK_WECHAT_ACCOUNTS token of account wallet",
    ]
    # The generic provider needs its own secret, not Twilio's; plain mode has no AES key to check.
    check_secrets(_production(sms_provider="generic", sms_auth_token=""), ["sms_adapter"])
    check_secrets(_production(wechat_accounts=(_account(mode="plain", aes_key=""),)), ["wechat_adapter"])
    check_secrets(_production(wechat_accounts=(_account(),)), ["webchat_adapter", "sms_adapter", "wechat_adapter"])


def test_safe_is_the_default_wechat_mode_and_needs_the_aes_key():
    assert _account().mode == "safe"
    with pytest.raises(ConfigError, match="43-character"):
        load_settings(
            {"RELAYDESK_WECHAT_ACCOUNTS": '[{"name": "w", "app_id": "a", "app_secret": "s", "token": "k8Jd2mQx"}]'}
        )
