"""The `relaydesk` command as ops use it: bad settings stop it, agents get a token once and a
console password from stdin."""

import subprocess
import sys

import pytest

from services.agent_api.commands import passwords, sessions

pytestmark = pytest.mark.integration


def relaydesk(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "relaydesk.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
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


async def test_agents_add_with_password_stdin_sets_a_console_password_and_still_prints_the_token(env):
    result = relaydesk("agents", "add", "王芳", "--password-stdin", env=env.environ(), stdin="长城 long passphrase\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("rdk_") and "password" in result.stderr
    conn = await env.db()
    try:
        stored = await conn.fetchval("SELECT password_hash FROM agents WHERE name = '王芳'")
    finally:
        await conn.close()
    assert stored.startswith("scrypt$16384$8$1$") and "passphrase" not in stored
    assert passwords.verify("长城 long passphrase", stored) and not passwords.verify("长城 long passphrase ", stored)


@pytest.mark.parametrize(
    ("stdin", "why"), [("", "empty"), ("\n", "empty"), ("too-short\n", "at least 10"), ("x" * 257, "at most 256")]
)
async def test_agents_add_refuses_an_unfit_password_and_makes_no_agent(env, stdin, why):
    result = relaydesk("agents", "add", "refused", "--password-stdin", env=env.environ(), stdin=stdin)
    assert result.returncode == 1 and why in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
    conn = await env.db()
    try:
        assert await conn.fetchval("SELECT to_regclass('agents') IS NULL OR NOT EXISTS (SELECT 1 FROM agents)")
    finally:
        await conn.close()


async def test_agents_passwd_changes_the_password_and_ends_the_agents_sessions(env):
    assert relaydesk("agents", "add", "lin", env=env.environ()).returncode == 0
    conn = await env.db()
    try:
        agent_id = await conn.fetchval("SELECT id::text FROM agents WHERE name = 'lin'")
        await sessions.create(conn, agent_id, 3600, "a browser", "127.0.0.1")
        result = relaydesk("agents", "passwd", "lin", env=env.environ(), stdin="a fresh passphrase\r\n")
        assert result.returncode == 0, result.stderr
        assert "1 console session(s) ended" in result.stdout
        assert await conn.fetchval("SELECT count(*) FROM agent_sessions") == 0
        assert passwords.verify("a fresh passphrase", await conn.fetchval("SELECT password_hash FROM agents"))
        audit = await conn.fetchrow("SELECT actor_id, actor_role, detail::text FROM audit_log")
        assert (audit["actor_id"], audit["actor_role"]) == (None, "cli") and "passphrase" not in audit["detail"]
    finally:
        await conn.close()

    short = relaydesk("agents", "passwd", "lin", env=env.environ(), stdin="short\n")
    nobody = relaydesk("agents", "passwd", "nobody", env=env.environ(), stdin="a fresh passphrase\n")
    assert short.returncode == 1 and "at least 10" in short.stderr
    assert nobody.returncode == 1 and "no agent named" in nobody.stderr


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
