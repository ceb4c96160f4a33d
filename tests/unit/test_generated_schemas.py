"""The checked-in JSON Schema and AsyncAPI files are exactly what the code generates."""

import inspect
import json

import msgspec
import pytest

from contracts.generate import SCHEMA_DIR, asyncapi, bus_schema, render, write_schemas

pytestmark = pytest.mark.unit


def test_checked_in_schemas_match_the_code():
    stale = write_schemas(check=True)
    assert stale == [], f"run `relaydesk schemas` and commit: {stale}"


def test_every_consumed_channel_documents_its_payload():
    document = asyncapi()
    payloads = [m["payload"] for m in document["components"]["messages"].values()]
    assert payloads and all("EmptyPayload" not in json.dumps(p) for p in payloads)
    assert {c["address"] for c in document["channels"].values()} == {
        "inbound.*",
        "agent.command",
        "outbound.webchat",
        "assignment.*",
        "delivery.*",
        "outbound.wechat",
        "outbound.sms",
        "outbound.email",
        "conversation.resolved",
        "application.preapproved",
        "notify.command",
    }


def test_bus_schema_defines_every_tagged_message():
    definitions = bus_schema()["$defs"]
    assert {
        "InboundMessage",
        "OutboundMessage",
        "SendReply",
        "ConversationAssigned",
        "DeliveryReported",
        "WeChatTemplateMessage",
        "DeliveryUpdated",
    } <= set(definitions)
    assert definitions["InboundMessage"]["properties"]["type"] == {"enum": ["inbound_message"]}
    assert render(bus_schema()) == (SCHEMA_DIR / "bus.schema.json").read_text(encoding="utf-8")


class Indented(msgspec.Struct):
    """A contract whose docstring runs on.

    msgspec 0.22 copied this paragraph with its indentation, 0.23 dedents it."""

    amount: int


def test_docstring_indentation_does_not_reach_the_rendered_schema():
    description = msgspec.json.schema_components([Indented])[1]["Indented"]["description"]
    as_022 = {"description": description.replace("\n\n", "\n\n    ")}
    as_023 = {"description": inspect.cleandoc(description)}
    assert render(as_022) == render(as_023)
    assert "\n    " not in render(as_022)


def test_a_real_contract_change_is_still_stale(tmp_path, monkeypatch):
    """A type change or a dropped field in a checked-in schema is reported, formatting aside."""
    for path in SCHEMA_DIR.glob("*.json"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    changed = json.loads((tmp_path / "bus.schema.json").read_text(encoding="utf-8"))
    changed["$defs"]["InboundMessage"]["properties"].pop("text")
    (tmp_path / "bus.schema.json").write_text(render(changed), encoding="utf-8")
    monkeypatch.setattr("contracts.generate.SCHEMA_DIR", tmp_path)
    assert write_schemas(check=True) == ["bus.schema.json"]
