"""Test helpers: the system as processes, and clients that speak to it like real users."""

import asyncio
import hashlib
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg
import msgspec

from services.agent_api.commands.accounts import add_agent
from shared.config import Settings, to_environ
from shared.launch import ServiceProcess
from tests.dns_server import DnsStandIn

EVENT_TIMEOUT = 10.0


async def serve_app(app: "aiohttp.web.Application", port: int) -> "aiohttp.web.AppRunner":
    """Run a stand-in's aiohttp app on 127.0.0.1:`port` in this test's loop; clean up the runner."""
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def wait_until(
    check: Callable[[], Awaitable[Any]], timeout: float = EVENT_TIMEOUT, what: str = "condition"
) -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if result := await check():
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


@dataclass
class TestEnv:
    settings: Settings
    dns: "DnsStandIn | None" = None
    """The senders' DNS the email adapter asks (tests/dns_server.py)."""

    def environ(self, **overrides: Any) -> dict[str, str]:
        """The process environment that points a `relaydesk` process at this test's servers."""
        return {**os.environ, **to_environ(self.settings, **overrides)}

    def url(self, service: str, path: str = "") -> str:
        port = {
            "agent_api": self.settings.agent_api_port,
            "webchat": self.settings.webchat_port,
            "router": self.settings.router_port,
            "wechat": self.settings.wechat_port,
        }[service]
        return f"http://127.0.0.1:{port}{path}"

    async def db(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.settings.database_url)

    async def add_agent(
        self, name: str | None = None, capacity: int = 5, role: str = "agent", **fields
    ) -> "AgentClient":
        conn = await self.db()
        try:
            agent_id, token = await add_agent(
                conn,
                name or f"agent-{uuid.uuid4().hex[:6]}",
                capacity=capacity,
                **{"skills": [], "languages": ["zh", "en"], "role": role} | fields,
            )
        finally:
            await conn.close()
        return AgentClient(self, agent_id, token)


class System(ServiceProcess):
    """`relaydesk run SERVICE…` pointed at this test's servers, with settings overridden by name."""

    def __init__(self, env: TestEnv, services: list[str], /, **overrides: Any) -> None:
        super().__init__(env.settings, services, **overrides)
        self.env = env


class AgentClient:
    """An agent using the REST API and the live stream."""

    def __init__(self, env: TestEnv, agent_id: str, token: str) -> None:
        self.env, self.id, self.token = env, agent_id, token
        self.headers = {"Authorization": f"Bearer {token}"}
        self.http = aiohttp.ClientSession(headers=self.headers)
        self.ws: aiohttp.ClientWebSocketResponse | None = None

    async def request(self, method: str, path: str, json: Any = None) -> tuple[int, Any]:
        async with self.http.request(method, self.env.url("agent_api", path), json=json) as response:
            return response.status, await response.json()

    async def go_online(self) -> None:
        await self.set_status("online")

    async def set_status(self, wanted: str) -> None:
        """Choose a status and wait until the router has applied it."""
        status, _ = await self.request("PUT", "/v1/me/status", {"status": wanted})
        assert status == 202
        await wait_until(lambda: self._status_is(wanted), what=f"agent {wanted}")

    async def _status_is(self, status: str) -> bool:
        return (await self.request("GET", "/v1/me"))[1]["status"] == status

    async def connect(self, after: int | None = None) -> None:
        query = "" if after is None else f"?after={after}"
        self.ws = await self.http.ws_connect(self.env.url("agent_api", f"/v1/stream{query}"))

    async def open_stream(self, base_url: str, after: int | None = None) -> aiohttp.ClientWebSocketResponse:
        """Another stream of this agent's, on the agent API at `base_url` (another replica, say)."""
        query = "" if after is None else f"?after={after}"
        return await self.http.ws_connect(f"{base_url}/v1/stream{query}")

    async def next_event(self, kind: str | None = None, timeout: float = EVENT_TIMEOUT) -> dict:
        """The next stream event (of `kind`, skipping others)."""
        while True:
            event = await asyncio.wait_for(self.ws.receive_json(), timeout)
            if kind is None or event["type"] == kind:
                return event

    async def reply(self, conversation_id: str, text: str) -> str:
        status, body = await self.request("POST", f"/v1/conversations/{conversation_id}/replies", {"text": text})
        assert status == 202, body
        return body["id"]

    async def close(self) -> None:
        if self.ws:
            await self.ws.close()
        await self.http.close()


def shown_webchat(session_id: str) -> str:
    """How agents see a web-chat address: a stand-in, never the session id (a bearer secret)."""
    return "visitor-" + hashlib.sha256(session_id.encode()).hexdigest()[:6]


class Visitor:
    """A web-chat visitor: a session over HTTP, then frames over the WebSocket."""

    def __init__(self, env: TestEnv) -> None:
        self.env = env
        self.http = aiohttp.ClientSession()
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.session_id = self.token = ""

    async def open(self, name: str = "") -> "Visitor":
        async with self.http.post(self.env.url("webchat", "/webchat/session"), json={"name": name}) as response:
            assert response.status == 201
            body = await response.json()
        self.session_id, self.token = body["session_id"], body["token"]
        await self.connect()
        return self

    @property
    def shown(self) -> str:
        return shown_webchat(self.session_id)

    async def connect(self) -> None:
        self.ws = await self.http.ws_connect(self.env.url("webchat", f"/webchat/ws?token={self.token}"))
        assert (await self.next_frame("ready"))["session_id"] == self.session_id

    async def send(self, text: str, client_id: str | None = None) -> str:
        client_id = client_id or uuid.uuid4().hex
        await self.ws.send_json({"type": "message", "client_id": client_id, "text": text})
        return client_id

    async def next_frame(self, kind: str | None = None, timeout: float = EVENT_TIMEOUT) -> dict:
        while True:
            frame = await asyncio.wait_for(self.ws.receive_json(), timeout)
            if kind is None or frame["type"] == kind:
                return frame

    async def close(self) -> None:
        if self.ws:
            await self.ws.close()
        await self.http.close()


class People:
    """The agents and visitors one test creates, closed together at its end."""

    def __init__(self, env: TestEnv) -> None:
        self.env = env
        self.opened: list[AgentClient | Visitor] = []

    async def agent(self, capacity: int = 5, online: bool = True, stream: bool = True, **fields) -> AgentClient:
        agent = await self.env.add_agent(capacity=capacity, **fields)
        self.opened.append(agent)
        if stream:
            await agent.connect()
        if online:
            await agent.go_online()
        elif stream and fields.get("role", "agent") == "agent":
            await agent.set_status("offline")  # an open stream would bring an agent online by itself
        return agent

    async def visitor(self, name: str = "") -> Visitor:
        visitor = Visitor(self.env)
        self.opened.append(visitor)
        return await visitor.open(name)

    async def close(self) -> None:
        for person in self.opened:
            await person.close()


async def publish_inbound(settings: Settings, messages: list) -> None:
    """Publish inbound messages the way an adapter does: persistent, each confirmed."""
    from contracts.topology import inbound_key

    await publish_keyed(settings, [(inbound_key(m.channel), m, m.message_id) for m in messages])


async def publish_keyed(settings: Settings, messages: list[tuple[str, msgspec.Struct, str]]) -> None:
    """Publish (routing key, contract, message id) triples persistently, each confirmed."""
    from shared.broker import make_broker, publish

    broker = make_broker(settings)
    await broker.connect()
    try:
        await asyncio.gather(*(publish(broker, m, key, message_id=mid) for key, m, mid in messages))
    finally:
        await broker.stop()


async def take_messages(settings: Settings, queue: str, count: int, timeout: float = EVENT_TIMEOUT) -> list:
    """Take (and ack) `count` messages from a queue, waiting for each; returns aio-pika messages."""
    import aio_pika

    connection = await aio_pika.connect(settings.amqp_url)
    try:
        source = await (await connection.channel()).get_queue(queue)
        found = []
        while len(found) < count:
            message = await wait_until(lambda: source.get(fail=False), timeout, f"a message on {queue}")
            await message.ack()
            found.append(message)
        return found
    finally:
        await connection.close()


class BusTap:
    """A private queue bound to a routing key: copies of what gets published there, for a test to read."""

    def __init__(self, settings: Settings, binding: str) -> None:
        self.settings, self.binding = settings, binding

    async def __aenter__(self) -> "BusTap":
        import aio_pika

        from contracts.topology import EXCHANGE

        self.connection = await aio_pika.connect(self.settings.amqp_url)
        channel = await self.connection.channel()
        self.queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await self.queue.bind(await channel.get_exchange(EXCHANGE), self.binding)
        return self

    async def __aexit__(self, *_) -> None:
        await self.connection.close()

    async def take(self, count: int, timeout: float = EVENT_TIMEOUT) -> list[bytes]:
        found = []
        while len(found) < count:
            message = await wait_until(
                lambda: self.queue.get(fail=False, no_ack=True), timeout, f"a message on {self.binding}"
            )
            found.append(message.body)
        return found


async def queue_depth(settings: Settings, queue: str) -> int:
    import aio_pika

    connection = await aio_pika.connect(settings.amqp_url)
    try:
        declared = await (await connection.channel()).declare_queue(queue, passive=True)
        return declared.declaration_result.message_count
    finally:
        await connection.close()


def inbound(customer: str, text: str, channel_message_id: str | None = None, channel: str = "webchat"):
    from datetime import UTC, datetime

    from contracts import InboundMessage

    return InboundMessage(
        channel=channel,
        channel_message_id=channel_message_id or uuid.uuid4().hex,
        customer_address=customer,
        received_at=datetime.now(UTC),
        text=text,
    )


async def behind_proxy(url: str, default_port: int) -> tuple["TcpProxy", str]:
    """A cuttable proxy in front of the server at `url`, and `url` rewritten to go through it."""
    parts = urlsplit(url)
    proxy = await TcpProxy(parts.hostname, parts.port or default_port).start()
    userinfo = parts.netloc.rpartition("@")[0]
    address = f"127.0.0.1:{proxy.port}"
    return proxy, urlunsplit(parts._replace(netloc=f"{userinfo}@{address}" if userinfo else address))


class TcpProxy:
    """A loopback TCP proxy a test can cut and restore, to take a server away from a service."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()

    async def start(self) -> "TcpProxy":
        self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port)
        return self

    async def cut(self) -> None:
        """Refuse new connections and drop every open one, as a crashed server would."""
        self.server.close()
        for writer in list(self.links):
            writer.transport.abort()
        await self.server.wait_closed()

    async def restore(self) -> None:
        await self.start()

    async def _link(self, client_reader, client_writer) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        self.links |= {client_writer, server_writer}
        await asyncio.gather(self._pipe(client_reader, server_writer), self._pipe(server_reader, client_writer))
        self.links -= {client_writer, server_writer}

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()
