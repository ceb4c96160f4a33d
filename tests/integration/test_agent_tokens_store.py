"""Agent tokens in PostgreSQL: made, listed, rotated, revoked; stored hashed; found by the auth query."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.agent_api.commands import accounts
from services.agent_api.commands.tokens import token_hash
from services.agent_api.http.auth import AUTHENTICATE
from shared import adopt

pytestmark = pytest.mark.integration

LISTED = {"id", "agent_id", "agent_name", "name", "created_at", "last_used_at", "expires_at", "revoked_at", "status"}


@pytest.fixture
async def conn(env):
    connection = await env.db()
    yield connection
    await connection.close()


async def new_agent(conn, role: str = "agent") -> tuple[str, str, str]:
    name = f"agent-{uuid.uuid4().hex[:8]}"
    agent_id, token = await accounts.add_agent(conn, name, capacity=2, skills=[], languages=["en"], role=role)
    return agent_id, name, token


async def stored(conn, token_id: str):
    return await conn.fetchrow("SELECT * FROM agent_tokens WHERE id = $1", uuid.UUID(token_id))


async def test_a_new_agent_gets_an_initial_token_stored_only_as_its_hash(conn):
    agent_id, name, token = await new_agent(conn)
    [listed] = await accounts.list_tokens(conn, agent_id)
    assert (listed["agent_id"], listed["agent_name"], listed["name"], listed["status"]) == (
        agent_id,
        name,
        "initial",
        "active",
    )
    row = await stored(conn, listed["id"])
    assert row["token_hash"] == token_hash(token) and token.encode() not in row["token_hash"]
    assert token not in str(dict(row))


async def test_listing_shows_who_what_and_when_but_never_a_secret_or_hash(conn):
    agent_id, _, first = await new_agent(conn)
    _, second = await accounts.create_token(conn, agent_id, "console")
    listed = await accounts.list_tokens(conn) + await accounts.list_tokens(conn, agent_id)
    assert listed and all(set(token) == LISTED for token in listed)
    shown = repr(listed)
    for secret in (first, second):
        assert secret not in shown and repr(token_hash(secret)) not in shown
    assert [t["name"] for t in await accounts.list_tokens(conn, agent_id)] == ["console", "initial"]


async def test_create_token_checks_its_name_expiry_and_agent(conn):
    agent_id, _, _ = await new_agent(conn)
    in_a_week = datetime.now(UTC) + timedelta(days=7)
    token_id, secret = await accounts.create_token(conn, agent_id, "  ci  ", in_a_week)
    token = await accounts.get_token(conn, token_id)
    assert (token["name"], token["expires_at"], token["status"]) == ("ci", in_a_week, "active")
    assert (await stored(conn, token_id))["token_hash"] == token_hash(secret)

    past, naive = datetime.now(UTC) - timedelta(seconds=1), datetime.now() + timedelta(days=1)
    for name, expires_at in [("", None), (" ", None), ("x" * 101, None), ("ci", past), ("ci", naive)]:
        with pytest.raises(accounts.AccountError):
            await accounts.create_token(conn, agent_id, name, expires_at)
    for unknown in (str(uuid.uuid4()), "not-a-uuid"):
        with pytest.raises(accounts.UnknownAgent):
            await accounts.create_token(conn, unknown, "ci")
        with pytest.raises(accounts.UnknownAgent):
            await accounts.list_tokens(conn, unknown)


async def test_rotation_revokes_the_old_token_and_keeps_its_name_agent_and_lifetime(conn):
    agent_id, _, _ = await new_agent(conn)
    old_id, old_secret = await accounts.create_token(conn, agent_id, "ci", datetime.now(UTC) + timedelta(days=30))
    new_id, new_secret = await accounts.rotate_token(conn, old_id)
    old, new = await accounts.get_token(conn, old_id), await accounts.get_token(conn, new_id)
    assert (old["status"], new["status"]) == ("revoked", "active")
    assert (new["agent_id"], new["name"]) == (agent_id, "ci") and new_secret != old_secret
    assert timedelta(days=30) - (new["expires_at"] - new["created_at"]) < timedelta(seconds=5)
    assert (await stored(conn, new_id))["token_hash"] == token_hash(new_secret)

    with pytest.raises(accounts.TokenRevoked):
        await accounts.rotate_token(conn, old_id)
    for unknown in (str(uuid.uuid4()), "nope"):
        with pytest.raises(accounts.UnknownToken):
            await accounts.rotate_token(conn, unknown)


async def test_revoking_is_idempotent_and_clears_the_legacy_mirror_of_the_initial_token(conn):
    agent_id, _, _ = await new_agent(conn)
    [initial] = await accounts.list_tokens(conn, agent_id)
    mirror = "SELECT token_hash FROM agents WHERE id = $1"
    assert await conn.fetchval(mirror, uuid.UUID(agent_id)) is not None
    await accounts.revoke_token(conn, initial["id"])
    revoked_at = (await stored(conn, initial["id"]))["revoked_at"]
    await accounts.revoke_token(conn, initial["id"])
    assert (await stored(conn, initial["id"]))["revoked_at"] == revoked_at
    assert await conn.fetchval(mirror, uuid.UUID(agent_id)) is None
    with pytest.raises(accounts.UnknownToken):
        await accounts.revoke_token(conn, str(uuid.uuid4()))


async def test_the_auth_query_finds_live_tokens_only_and_stamps_last_use_once_a_minute(conn):
    agent_id, name, secret = await new_agent(conn, role="admin")
    [token] = await accounts.list_tokens(conn, agent_id)
    found = await conn.fetchrow(AUTHENTICATE, token_hash(secret))
    assert (str(found["token_id"]), str(found["id"])) == (token["id"], agent_id)
    assert (found["name"], found["role"]) == (name, "admin")
    first_use = (await stored(conn, token["id"]))["last_used_at"]
    assert first_use is not None
    await conn.fetchrow(AUTHENTICATE, token_hash(secret))
    assert (await stored(conn, token["id"]))["last_used_at"] == first_use
    backdated = await conn.fetchval(
        "UPDATE agent_tokens SET last_used_at = now() - interval '61 seconds' WHERE id = $1 RETURNING last_used_at",
        uuid.UUID(token["id"]),
    )
    await conn.fetchrow(AUTHENTICATE, token_hash(secret))
    assert (await stored(conn, token["id"]))["last_used_at"] > backdated + timedelta(seconds=60)

    await conn.execute(
        "UPDATE agent_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", uuid.UUID(token["id"])
    )
    assert await conn.fetchrow(AUTHENTICATE, token_hash(secret)) is None
    assert (await accounts.get_token(conn, token["id"]))["status"] == "expired"
    other_id, other = await accounts.create_token(conn, agent_id, "other")
    assert await conn.fetchrow(AUTHENTICATE, token_hash(other)) is not None
    await accounts.revoke_token(conn, other_id)
    assert await conn.fetchrow(AUTHENTICATE, token_hash(other)) is None


async def test_the_migration_makes_each_existing_agents_token_its_initial_token(conn):
    # Replay the schema as it was before 0008 in a schema of its own, with agents in it.
    await conn.execute("CREATE SCHEMA before_tokens; SET search_path TO before_tokens")
    for version, _, sql in adopt.legacy_migrations():
        if version < 8:
            await conn.execute(sql)
    old = {uuid.uuid4(): f"rdk_old_{n}" for n in range(3)}
    await conn.executemany(
        "INSERT INTO agents (id, name, role, capacity, token_hash, created_at)"
        " VALUES ($1, $2, 'agent', 1, $3, '2024-01-02T03:04:05Z')",
        [(agent_id, f"old-{n}", token_hash(token)) for n, (agent_id, token) in enumerate(old.items())],
    )
    [(_, _, migration)] = [m for m in adopt.legacy_migrations() if m[0] == 8]
    await conn.execute(migration)

    rows = await conn.fetch("SELECT agent_id, name, token_hash, created_at, revoked_at, expires_at FROM agent_tokens")
    assert {row["agent_id"]: row["token_hash"] for row in rows} == {a: token_hash(t) for a, t in old.items()}
    assert {(r["name"], r["created_at"], r["revoked_at"], r["expires_at"]) for r in rows} == {
        ("initial", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), None, None)
    }
    found = await conn.fetchrow(AUTHENTICATE, token_hash(old[next(iter(old))]))
    assert found is not None and found["name"] == "old-0"
    await conn.execute(
        "INSERT INTO agents (id, name, role, capacity) VALUES ($1, 'no-mirror', 'agent', 1)", uuid.uuid4()
    )  # token_hash is optional now
