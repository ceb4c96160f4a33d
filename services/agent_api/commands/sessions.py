"""Console sign-in state in PostgreSQL: the one writer of agents' password hashes, of
`agent_sessions` and of `login_failures`, so every replica sees the same sessions and lockouts.

A session's cookie value is shown once, in the login answer; only its SHA-256 is stored.
"""

import re
import secrets
import uuid

import asyncpg

from services.agent_api.commands import accounts, lockout
from services.agent_api.commands.tokens import token_hash

COOKIE = "rd_session"
_COOKIE_VALUE = re.compile(r"^[A-Za-z0-9_-]{43}$")
AGENT_COLUMNS = "a.id::text AS id, a.name, a.role, a.capacity, a.skills, a.languages"

# One round trip, as for bearer tokens: find the session with its agent, say whether it has
# expired (idle or too old), and stamp last_seen_at when it is older than the touch interval.
RESOLVE = f"""
WITH found AS (
    SELECT s.id::text AS session_id, s.csrf_token,
           s.expires_at <= now() OR s.last_seen_at <= now() - make_interval(secs => $2) AS expired,
           {AGENT_COLUMNS}
    FROM agent_sessions s JOIN agents a ON a.id = s.agent_id
    WHERE s.token_hash = $1
), touched AS (
    UPDATE agent_sessions SET last_seen_at = now()
    WHERE id = (SELECT session_id::uuid FROM found WHERE NOT expired)
      AND last_seen_at < now() - make_interval(secs => $3)
)
SELECT * FROM found
"""
_FAILED = """
INSERT INTO login_failures AS f (scope, key, failures, last_failure_at) VALUES ($1, $2, 1, now())
ON CONFLICT (scope, key) DO UPDATE SET
    failures = CASE WHEN f.last_failure_at < now() - make_interval(secs => $3) THEN 1 ELSE f.failures + 1 END,
    last_failure_at = now()
RETURNING failures
"""


def cookie_token(value: str | None) -> str | None:
    """The cookie's session token when it is well formed, else None (never reaches SQL)."""
    return value if value and _COOKIE_VALUE.match(value) else None


async def credentials(conn: asyncpg.Connection | asyncpg.Pool, name: str) -> asyncpg.Record | None:
    """The agent called `name` with their password hash (which may be NULL), or None."""
    return await conn.fetchrow(f"SELECT {AGENT_COLUMNS}, a.password_hash FROM agents a WHERE a.name = $1", name)


async def locked_for(conn: asyncpg.Connection | asyncpg.Pool, keys: dict[lockout.Scope, bytes]) -> int:
    """Whole seconds until every lockout on these keys ends; 0 when none holds."""
    wait = await conn.fetchval(
        "SELECT ceil(extract(epoch FROM max(locked_until) - now()))::int FROM login_failures"
        " WHERE (scope, key) IN (SELECT * FROM unnest($1::text[], $2::bytea[])) AND locked_until > now()",
        list(keys),
        list(keys.values()),
    )
    return max(wait or 0, 0)


async def record_failure(conn: asyncpg.Connection, scope: lockout.Scope, key: bytes) -> int:
    """Count one more failure in a row; lock the key when the count says so. Returns the lock's seconds (0: none)."""
    failures = await conn.fetchval(_FAILED, scope, key, float(lockout.MEMORY_S))
    seconds = lockout.lock_seconds(scope, failures)
    if seconds:
        await conn.execute(
            "UPDATE login_failures SET locked_until = now() + make_interval(secs => $3) WHERE scope = $1 AND key = $2",
            scope,
            key,
            float(seconds),
        )
    return seconds


async def forget_failures(conn: asyncpg.Connection, scope: lockout.Scope, key: bytes) -> None:
    await conn.execute("DELETE FROM login_failures WHERE scope = $1 AND key = $2", scope, key)


async def create(
    conn: asyncpg.Connection, agent_id: str, lifetime_s: int, user_agent: str, address: str
) -> tuple[str, str, str]:
    """A new session for the agent (their expired ones are dropped); returns (session_id, cookie token, csrf token)."""
    session_id, token, csrf = uuid.uuid4(), secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    agent = uuid.UUID(agent_id)
    await conn.execute(
        # A day is longer than the longest idle timeout: whatever is older is dead for sure.
        "DELETE FROM agent_sessions WHERE agent_id = $1"
        " AND (expires_at <= now() OR last_seen_at < now() - interval '1 day')",
        agent,
    )
    await conn.execute(
        "INSERT INTO agent_sessions (id, agent_id, token_hash, csrf_token, expires_at, user_agent, client_address)"
        " VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5), $6, $7)",
        session_id,
        agent,
        token_hash(token),
        csrf,
        float(lifetime_s),
        user_agent[:200],
        address[:100],
    )
    return str(session_id), token, csrf


async def resolve(pool: asyncpg.Pool, token: str, idle_s: float, touch_s: float) -> asyncpg.Record | None:
    """The session (with `expired`, `csrf_token` and its agent's columns) this cookie token opens, or None."""
    return await pool.fetchrow(RESOLVE, token_hash(token), float(idle_s), float(touch_s))


async def end(conn: asyncpg.Connection | asyncpg.Pool, session_id: str) -> None:
    await conn.execute("DELETE FROM agent_sessions WHERE id = $1", uuid.UUID(session_id))


async def end_by_token(conn: asyncpg.Connection | asyncpg.Pool, token: str) -> None:
    await conn.execute("DELETE FROM agent_sessions WHERE token_hash = $1", token_hash(token))


async def end_all(conn: asyncpg.Connection, agent_id: str) -> int:
    """End every session of the agent; returns how many there were."""
    result = await conn.execute("DELETE FROM agent_sessions WHERE agent_id = $1", accounts.agent_uuid(agent_id))
    return int(result.split()[-1])


async def set_password(conn: asyncpg.Connection, agent_id: str, encoded: str) -> int:
    """Store a new password hash and end the agent's sessions; returns how many were ended."""
    agent = accounts.agent_uuid(agent_id)
    async with conn.transaction():
        if not await conn.fetchval(
            "UPDATE agents SET password_hash = $2, password_changed_at = now() WHERE id = $1 RETURNING true",
            agent,
            encoded,
        ):
            raise accounts.UnknownAgent(f"no agent with id {agent_id!r}")
        return await end_all(conn, agent_id)
