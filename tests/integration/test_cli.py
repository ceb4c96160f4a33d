"""The `relaydesk` command as ops use it: bad settings stop it, agents get a token once."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def relaydesk(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "relaydesk.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RELAYDESK_WEBCHAT_PORT", "eighty"),
        ("RELAYDESK_AGENT_API_PORT", "70000"),
        ("RELAYDESK_AMQP_URL", "http://localhost"),
        ("RELAYDESK_WEBCHAT_SECRET", "short"),
    ],
)
def test_a_wrong_setting_stops_the_service_naming_the_variable(env, variable, value):
    result = relaydesk("run", env=env.environ() | {variable: value})
    assert result.returncode == 2
    assert variable in result.stderr and "configuration error" in result.stderr


@pytest.mark.parametrize(
    ("variable", "content", "expected"),
    [
        ("RELAYDESK_FAQ_KB", "- id: x\n  category: payment\n", "faq.yaml"),
        ("RELAYDESK_ROUTER_RULES", "categories: [unclosed", "rules.yaml"),
        ("RELAYDESK_BUSINESS_HOURS", "timezone: Mars/Olympus\nweekly: {}\n", "hours.yaml"),
        ("RELAYDESK_ROUTING_POLICY", None, "RELAYDESK_ROUTING_POLICY"),
        ("RELAYDESK_SLA_TARGETS", None, "RELAYDESK_SLA_TARGETS"),
    ],
)
def test_a_bad_router_file_or_policy_stops_the_router_with_a_clear_error(env, tmp_path, variable, content, expected):
    if content is None:
        value = '{"offer_timeout_s": -1}' if variable.endswith("POLICY") else '{"first_response": {"urgent": "soon"}}'
    else:
        path = tmp_path / expected
        path.write_text(content, encoding="utf-8")
        value = str(path)
    result = relaydesk("run", "router", env=env.environ() | {variable: value})
    assert result.returncode == 2, result.stderr
    assert "configuration error" in result.stderr and expected in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RELAYDESK_CALLBACK_RULES", '{"loan": "tomorrow"}'),
        ("RELAYDESK_CALLBACK_RETRY_SCHEDULE", "2h,,1d"),
        ("RELAYDESK_CALLBACK_PREAPPROVAL_DUE", "0s"),
        ("RELAYDESK_CALLBACK_NO_ANSWER_LIMIT", "0"),
    ],
)
def test_a_bad_callback_setting_stops_the_notifier_naming_the_variable(env, variable, value):
    result = relaydesk("run", "notifier", env=env.environ() | {variable: value})
    assert result.returncode == 2, result.stderr
    assert variable in result.stderr and "configuration error" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_service_is_refused(env):
    result = relaydesk("run", "billing", env=env.environ())
    assert result.returncode == 2 and "unknown service billing" in result.stderr


async def test_agents_add_prints_a_token_that_authenticates_once_stored_hashed(env):
    result = relaydesk(
        "agents",
        "add",
        "李娜",
        "--capacity",
        "3",
        "--skills",
        "loan,payment",
        "--role",
        "supervisor",
        env=env.environ(),
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert token.startswith("rdk_")
    conn = await env.db()
    try:
        row = await conn.fetchrow("SELECT name, role, capacity, skills, token_hash FROM agents")
    finally:
        await conn.close()
    assert (row["name"], row["role"], row["capacity"], row["skills"]) == ("李娜", "supervisor", 3, ["loan", "payment"])
    assert token.encode() not in row["token_hash"] and len(row["token_hash"]) == 32

    again = relaydesk("agents", "add", "李娜", env=env.environ())
    assert again.returncode == 1 and "already exists" in again.stderr


@pytest.mark.parametrize(
    ("service", "variable", "value"),
    [
        ("webchat_adapter", "RELAYDESK_WEBCHAT_SECRET", "relaydesk-dev-secret-change-me"),
        ("sms_adapter", "RELAYDESK_SMS_AUTH_TOKEN", ""),
    ],
)
def test_a_service_without_a_real_secret_refuses_to_start_unless_in_development(env, service, variable, value):
    result = relaydesk("run", service, env=env.environ() | {variable: value})
    assert result.returncode == 2, result.stderr
    assert "configuration error" in result.stderr and variable in result.stderr and "RELAYDESK_ENV" in result.stderr
    assert (value or "\x00") not in result.stderr and "Traceback" not in result.stderr
