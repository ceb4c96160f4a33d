"""Schemathesis against the live agent API, from its own OpenAPI document: no 5xx, and every
answer has a documented status, content type and shape."""

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from services.agent_api.http.apidoc import document
from tests.support import System

pytestmark = pytest.mark.e2e

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
QUICK, SOAK = 15, 60
"""Examples per operation: every `make test` runs the quick sweep; the soak tier the long one."""
SKIPPED = {"GET /v1/stream"}
"""A WebSocket upgrade; the stream has its own tests."""


@pytest.mark.parametrize("examples", [QUICK, pytest.param(SOAK, marks=pytest.mark.soak)])
async def test_the_live_api_answers_every_generated_request_as_documented(env, people, examples):
    system = await System(
        env, ["router", "agent_api", "webchat_adapter"], agent_api_rate=100_000.0, agent_api_burst=100_000
    ).start()
    try:
        admin = await people.agent(role="admin", online=False, stream=False)
        agent = await people.agent()
        visitor = await people.visitor()
        await visitor.send("my card 4111 1111 1111 1111 was charged twice")
        conversation_id = (await agent.next_event("assignment"))["conversation_id"]
        detail = (await admin.request("GET", f"/v1/conversations/{conversation_id}"))[1]
        customer = (await admin.request("POST", "/v1/customers", {"name": "Wang", "conversation_id": conversation_id}))[
            1
        ]
        canned = (
            await admin.request("POST", "/v1/canned-responses", {"shortcut": "hi", "title": "Hi", "text": "Hi!"})
        )[1]
        real_ids = {  # half the runs use ids that exist, so successful answers are checked too
            "/v1/conversations/{id}": conversation_id,
            "/v1/customers/{id}": customer["id"],
            "/v1/canned-responses/{id}": canned["id"],
            "/v1/messages/{id}": detail["messages"][0]["id"],
        }
        schema = schemathesis.openapi.from_dict(document())
        failures: list[str] = []
        for result in schema.get_all_operations():
            operation = result.ok()
            if operation.label in SKIPPED:
                continue

            known = next((value for prefix, value in real_ids.items() if operation.path.startswith(prefix)), None)
            strategy = operation.as_strategy()
            if known is not None:
                strategy = strategy | operation.as_strategy(path_parameters={"id": known})

            @hypothesis.given(case=strategy)
            @hypothesis.settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def exercise(case) -> None:
                case.call_and_validate(base_url=system.url("agent_api"), headers=admin.headers, checks=CHECKS)

            try:
                exercise()
            except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failures, then report all
                failures.append(f"{operation.label}: {str(exc)[:1500]}")
        errors = [line[:3000] for line in system.output().splitlines() if '"level":"ERROR"' in line]
        assert failures == [], "\n\n".join([*failures, "server errors logged:", *errors])
    finally:
        system.stop()
