"""Each service is given only its slice of the settings, cut from `Settings` by field name."""

import importlib

import msgspec
import pytest

from shared.config import Common, ConfigError, Settings, load_settings
from shared.launch import SERVICES

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("service", SERVICES)
def test_a_slice_holds_the_environment_s_values_and_the_service_s_own_port(service):
    settings = Settings(database_url="postgresql://db.internal:5432/desk", prefetch=7, **{SERVICES[service]: 9123})
    piece = importlib.import_module(f"services.{service}.bootstrap").settings_slice(settings)
    assert isinstance(piece, Common)
    assert (piece.port, piece.database_url, piece.prefetch) == (9123, "postgresql://db.internal:5432/desk", 7)
    raw = msgspec.structs.asdict(settings)
    for name, value in msgspec.structs.asdict(piece).items():
        if name in raw and name != "port":
            assert value == raw[name], name


def test_the_router_s_slice_holds_its_decisions_decoded_and_a_bad_one_names_its_variable():
    from services.router.settings import settings_slice

    routing = settings_slice(Settings()).routing
    assert routing.triager and routing.policy and routing.answers
    with pytest.raises(ConfigError, match="RELAYDESK_ROUTING_POLICY"):
        settings_slice(load_settings({"RELAYDESK_ROUTING_POLICY": '{"offer_timeout_s": "soon"}'}))


def test_the_notifier_s_slice_holds_its_callback_and_broadcast_rules_decoded():
    from services.notifier.settings import settings_slice

    piece = settings_slice(load_settings({"RELAYDESK_SURVEY_DELAY": "off", "RELAYDESK_CALLBACK_RULES": "{}"}))
    assert (piece.callbacks.rules, piece.reaching.survey_delay) == ({}, None)
