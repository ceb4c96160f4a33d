"""Fixtures shared by every tier: real servers, an isolated vhost and database per test."""

from pathlib import Path

import pytest

from shared.config import Settings
from tests import infra
from tests.dns_server import DnsStandIn
from tests.support import People, System, TestEnv, free_port

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def servers():
    with infra.servers() as found:
        infra.run(infra.create_template(found))
        yield found
        infra.run(infra.drop_database(found, infra.TEMPLATE))


@pytest.fixture
def env(servers):
    """A fresh vhost and database, free ports, and settings pointing at them."""
    vhost = infra.create_vhost(servers)
    database = infra.run(infra.create_database(servers))
    # The senders' DNS: every test mail comes from 127.0.0.1, which SPF allows for every domain
    # unless a test serves records of its own; nothing asks a resolver on the internet.
    dns = DnsStandIn(default_spf="v=spf1 ip4:127.0.0.0/8 -all")
    settings = Settings(
        amqp_url=servers.amqp_for(vhost),
        database_url=servers.database_for(database),
        host="127.0.0.1",
        agent_api_port=free_port(),
        webchat_port=free_port(),
        router_port=free_port(),
        notifier_port=free_port(),
        wechat_port=free_port(),
        # Every listening port free, so parallel workers (pytest -n) never meet on a default.
        sms_port=free_port(),
        email_port=free_port(),
        email_smtp_port=free_port(),
        webchat_secret="test-secret-" + vhost,
        file_link_secret="test-file-links-" + vhost,
        # Production mode (the default): every secret a service needs is a real one.
        metrics_token="test-metrics-" + vhost,
        outbox_sweep_interval=0.5,
        # Tests about assignment run with people always at work, an FAQ that answers nothing
        # and offline meaning offline now; the tests of those features set their own.
        business_hours=str(DATA / "hours_always_open.yaml"),
        faq_kb=str(DATA / "faq_none.yaml"),
        routing_policy={"offline_grace_s": 0},
        email_dns=dns.address,
    )
    yield TestEnv(settings, dns)
    dns.close()
    infra.delete_vhost(servers, vhost)
    infra.run(infra.drop_database(servers, database))


@pytest.fixture
def settings(env) -> Settings:
    return env.settings


@pytest.fixture
async def system(env):
    """Every service running as one `relaydesk run` child process."""
    running = await System(env, ["router", "agent_api", "webchat_adapter"]).start()
    yield running
    running.stop()


@pytest.fixture
async def people(env):
    """Start agents and visitors through here; their connections close after the test."""
    crowd = People(env)
    yield crowd
    await crowd.close()
