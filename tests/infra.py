"""Real RabbitMQ and PostgreSQL for tests: containers where Docker answers, else local servers.

Each test gets its own RabbitMQ virtual host and its own database cloned from a migrated
template, so tests never see each other's queues, agents or conversations.
"""

import asyncio
import base64
import os
import shutil
import subprocess
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import asyncpg

from shared import db, migrator

DEFAULT_AMQP = "amqp://guest:guest@localhost:5672/"
DEFAULT_DATABASE = "postgresql://postgres@localhost:5432/relaydesk"
TEMPLATE = f"relaydesk_template_{os.getpid()}"
MANAGEMENT_PORT = 15672


def docker_available() -> bool:
    try:
        import docker

        return bool(docker.from_env(timeout=3).ping())
    except Exception:
        return False


@dataclass
class Servers:
    """Where the broker and database live, and how to run `rabbitmqctl` against the broker."""

    amqp_url: str
    database_url: str
    rabbitmqctl: list[str]
    management_url: str | None = None
    """RabbitMQ's HTTP API when it answers: a vhost costs milliseconds there, ~0.6 s of CPU by rabbitmqctl."""

    def ctl(self, *args: str) -> None:
        subprocess.run([*self.rabbitmqctl, *args], check=True, capture_output=True, timeout=60)

    def api(self, method: str, path: str, body: bytes | None = None) -> None:
        parts = urlsplit(self.amqp_url)
        login = f"{unquote(parts.username or 'guest')}:{unquote(parts.password or 'guest')}"
        request = urllib.request.Request(
            f"{self.management_url}{path}",
            data=body,
            method=method,
            headers={
                "Authorization": "Basic " + base64.b64encode(login.encode()).decode(),
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=30):
            pass

    def amqp_for(self, vhost: str) -> str:
        return urlunsplit(urlsplit(self.amqp_url)._replace(path="/" + quote(vhost, safe="")))

    def database_for(self, name: str) -> str:
        return urlunsplit(urlsplit(self.database_url)._replace(path="/" + name))


@contextmanager
def servers():
    """The session's servers: throwaway containers if Docker answers, else the environment's."""
    if not docker_available():
        ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
        amqp_url = os.environ.get("RELAYDESK_AMQP_URL", DEFAULT_AMQP)
        found = Servers(amqp_url, os.environ.get("RELAYDESK_DATABASE_URL", DEFAULT_DATABASE), [ctl])
        found.management_url = _management(found, urlsplit(amqp_url).hostname or "localhost", MANAGEMENT_PORT)
        yield found
        return
    from testcontainers.postgres import PostgresContainer
    from testcontainers.rabbitmq import RabbitMqContainer

    rabbitmq = RabbitMqContainer("rabbitmq:3.13-management").with_exposed_ports(5672, MANAGEMENT_PORT)
    with rabbitmq as rabbit, PostgresContainer("postgres:16", driver=None) as pg:
        host, port = rabbit.get_container_host_ip(), rabbit.get_exposed_port(5672)
        found = Servers(
            f"amqp://guest:guest@{host}:{port}/",
            pg.get_connection_url(),
            ["docker", "exec", rabbit.get_wrapped_container().id, "rabbitmqctl"],
        )
        found.management_url = _management(found, host, rabbit.get_exposed_port(MANAGEMENT_PORT))
        yield found


def _management(found: Servers, host: str, port: int | str) -> str | None:
    """The HTTP API's base URL if it answers with our credentials, else None (rabbitmqctl it is)."""
    found.management_url = f"http://{host}:{port}/api"
    try:
        found.api("GET", "/whoami")
    except (OSError, urllib.error.URLError):
        return None
    return found.management_url


async def create_template(found: Servers) -> None:
    """Migrate a template database once; per-test databases are cheap copies of it."""
    url = found.database_for(TEMPLATE)
    await drop_database(found, TEMPLATE)
    await db.migrate(url)


async def _admin(found: Servers) -> asyncpg.Connection:
    return await asyncpg.connect(found.database_for("postgres"))


async def create_database(found: Servers) -> str:
    name = f"relaydesk_t_{uuid.uuid4().hex[:12]}"
    conn = await _admin(found)
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
        # A copy takes no per-database settings: tests query every service's tables by plain name.
        await conn.execute(f'ALTER DATABASE "{name}" SET search_path = {migrator.OPERATOR_SEARCH_PATH}')
    finally:
        await conn.close()
    return name


async def drop_database(found: Servers, name: str) -> None:
    conn = await _admin(found)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def create_vhost(found: Servers) -> str:
    name = f"relaydesk-t-{uuid.uuid4().hex[:12]}"
    user = unquote(urlsplit(found.amqp_url).username or "guest")
    if found.management_url:
        found.api("PUT", f"/vhosts/{quote(name, safe='')}", b"{}")
        body = b'{"configure": ".*", "write": ".*", "read": ".*"}'
        found.api("PUT", f"/permissions/{quote(name, safe='')}/{quote(user, safe='')}", body)
        return name
    found.ctl("add_vhost", name)
    found.ctl("set_permissions", "-p", name, user, ".*", ".*", ".*")
    return name


def delete_vhost(found: Servers, name: str) -> None:
    if found.management_url:
        found.api("DELETE", f"/vhosts/{quote(name, safe='')}")
    else:
        found.ctl("delete_vhost", name)


def run(coro):
    return asyncio.run(coro)
