"""`relaydesk schemas`: JSON Schema of the bus contracts and the AsyncAPI document, from code."""

import inspect
import json
import re
from pathlib import Path
from typing import Any, get_args

import msgspec

from contracts import (
    BUS_TYPES,
    AgentCommand,
    AgentEvent,
    ApplicationPreapproved,
    CallbackCommand,
    Channel,
    ConversationClosed,
    DeliveryReported,
    InboundMessage,
    OutboundMessage,
    WeChatTemplateMessage,
)
from contracts.topology import (
    AGENT_COMMAND_KEY,
    AGENT_EVENT_PATTERN,
    APPLICATION_PREAPPROVED_KEY,
    CONVERSATION_RESOLVED_KEY,
    DELIVERY_PATTERN,
    INBOUND_PATTERN,
    NOTIFY_COMMAND_KEY,
    outbound_key,
)

SCHEMA_DIR = Path(__file__).parent / "schemas"
PAYLOADS = {
    INBOUND_PATTERN: InboundMessage,
    AGENT_COMMAND_KEY: AgentCommand,
    outbound_key(Channel.WEBCHAT): OutboundMessage,
    AGENT_EVENT_PATTERN: AgentEvent,
    DELIVERY_PATTERN: DeliveryReported,
    outbound_key(Channel.WECHAT): OutboundMessage | WeChatTemplateMessage,
    outbound_key(Channel.SMS): OutboundMessage,
    outbound_key(Channel.EMAIL): OutboundMessage,
    CONVERSATION_RESOLVED_KEY: ConversationClosed,
    APPLICATION_PREAPPROVED_KEY: ApplicationPreapproved,
    NOTIFY_COMMAND_KEY: CallbackCommand,
}
"""What each consumed routing key carries; FastStream cannot see it through our raw decoder."""
REPLICA_QUEUE = re.compile(r"(\.live\.)[0-9a-f]{32}")


def bus_schema() -> dict:
    """One JSON Schema document defining every message on the bus."""
    refs, definitions = msgspec.json.schema_components(BUS_TYPES, ref_template="#/$defs/{name}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Relaydesk bus messages",
        "oneOf": list(refs),
        "$defs": definitions,
    }


def asyncapi() -> dict:
    """FastStream's AsyncAPI 3 document for every service, with our payload schemas filled in."""
    from faststream.specification import AsyncAPI

    from shared.config import Settings
    from shared.deps import DEPS
    from shared.launch import SERVICES, build_app

    brokers = [build_app(name, Settings())[DEPS].broker for name in SERVICES]
    document = AsyncAPI(*brokers, title="Relaydesk", version="1").to_specification().to_jsonable()
    refs, schemas = msgspec.json.schema_components(BUS_TYPES, ref_template="#/components/schemas/{name}")
    payloads = dict(zip(BUS_TYPES, refs, strict=True))
    components = document["components"]
    components["schemas"] = schemas
    for channel in document["channels"].values():
        kind = PAYLOADS[channel["address"]]
        payload = payloads[kind] if kind in payloads else {"oneOf": [payloads[k] for k in get_args(kind)]}
        for message in channel["messages"].values():
            components["messages"][message["$ref"].rpartition("/")[2]]["payload"] = payload
    # Live queues are named per replica at start; the document names the pattern.
    return json.loads(REPLICA_QUEUE.sub(r"\1{replica}", json.dumps(document)))


OPENAPI_FILE = "agent_api.openapi.json"
"""Built by services.agent_api.http.apidoc (contracts imports no service code); `relaydesk schemas` writes it."""


def tidy(node: Any) -> Any:
    """The document with every description's docstring indentation cleaned the way `inspect.cleandoc`
    does, so the text does not depend on how a msgspec release copies docstrings (0.23 dedents them,
    earlier releases kept the source indentation)."""
    if isinstance(node, dict):
        return {
            k: inspect.cleandoc(v) if k == "description" and isinstance(v, str) else tidy(v) for k, v in node.items()
        }
    if isinstance(node, list):
        return [tidy(v) for v in node]
    return node


def render(document: dict) -> str:
    return json.dumps(tidy(document), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(check: bool = False, extra: dict[str, dict] | None = None) -> list[str]:
    """Write (or with `check`, compare) the generated files, and `extra` documents built elsewhere
    (the agent API's OpenAPI); return the stale ones' names."""
    files = {"bus.schema.json": bus_schema(), "asyncapi.json": asyncapi(), **(extra or {})}
    stale = []
    for name, document in files.items():
        path, text = SCHEMA_DIR / name, render(document)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if not check:
            SCHEMA_DIR.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return stale
