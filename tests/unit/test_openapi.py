"""The agent API's OpenAPI document: valid 3.1, checked in as generated, and describing exactly
the routes the app serves."""

import json

import pytest
from openapi_spec_validator import validate

from contracts.generate import OPENAPI_FILE, SCHEMA_DIR, render
from services.agent_api.bootstrap import build, settings_slice
from services.agent_api.http.apidoc import document, registered
from services.agent_api.http.openapi import OPERATIONS
from shared.config import Settings

pytestmark = pytest.mark.unit


def test_the_checked_in_document_is_what_the_code_generates():
    checked_in = (SCHEMA_DIR / OPENAPI_FILE).read_text(encoding="utf-8")
    assert checked_in == render(document()), "run `relaydesk schemas` and commit contracts/schemas"


def test_the_document_is_valid_openapi_3_1():
    validate(json.loads(render(document())))
    assert document()["openapi"] == "3.1.0"


def test_every_route_is_documented_and_every_documented_operation_is_served():
    served = registered(build(settings_slice(Settings())))
    assert sorted(served - set(OPERATIONS)) == [], "routes missing from services/agent_api/http/openapi.py"
    assert sorted(set(OPERATIONS) - served) == [], "documented operations no route serves"


def test_request_schemas_come_from_the_structs_the_handlers_decode():
    replies = document()["paths"]["/v1/conversations/{id}/replies"]["post"]["requestBody"]
    ref = replies["content"]["application/json"]["schema"]["$ref"]
    fields = document()["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
    assert set(fields) == {"text", "canned_response_id", "attachments"}
    listing = {p["name"] for p in document()["paths"]["/v1/conversations"]["get"]["parameters"]}
    assert {"status", "category", "channel", "priority", "agent_id", "tag", "limit", "cursor"} <= listing
