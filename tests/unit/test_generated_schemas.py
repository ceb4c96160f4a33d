"""The checked-in JSON Schema and AsyncAPI files are exactly what the code generates."""

import json

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
        "inbound.*", "agent.command", "outbound.webchat", "assignment.*", "delivery.*", "outbound.wechat",
        "outbound.sms", "outbound.email", "conversation.resolved", "application.preapproved", "notify.command",
    }


def test_bus_schema_defines_every_tagged_message():
    definitions = bus_schema()["$defs"]
    assert {
        "InboundMessage", "OutboundMessage", "SendReply", "ConversationAssigned", "DeliveryReported",
        "WeChatTemplateMessage", "DeliveryUpdated",
    } <= set(definitions)
    assert definitions["InboundMessage"]["properties"]["type"] == {"enum": ["inbound_message"]}
    assert render(bus_schema()) == (SCHEMA_DIR / "bus.schema.json").read_text(encoding="utf-8")
