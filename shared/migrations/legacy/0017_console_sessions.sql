-- Console sign-in: agents' password hashes, their browser sessions, and failed-login counters.

-- agents (agent_api): a scrypt hash, `scrypt$n$r$p$salt$hash`; NULL = no console sign-in.
ALTER TABLE agents ADD COLUMN password_hash text;
ALTER TABLE agents ADD COLUMN password_changed_at timestamptz;

-- agent_sessions: written by agent_api. Only the cookie's SHA-256 is kept. The CSRF token is
-- kept as it is: the console reads it back after a reload, and it is worthless without the cookie.
CREATE TABLE agent_sessions (
    id              uuid PRIMARY KEY,
    agent_id        uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    token_hash      bytea NOT NULL UNIQUE,
    csrf_token      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    user_agent      text NOT NULL DEFAULT '',
    client_address  text NOT NULL DEFAULT ''
);
CREATE INDEX agent_sessions_agent ON agent_sessions (agent_id);
CREATE INDEX agent_sessions_expires ON agent_sessions (expires_at);

-- login_failures: written by agent_api. Failed logins in a row per name and per client address
-- (both stored as hashes), and until when each is refused. Shared by every replica.
CREATE TABLE login_failures (
    scope            text NOT NULL CHECK (scope IN ('name', 'address')),
    key              bytea NOT NULL,
    failures         integer NOT NULL,
    last_failure_at  timestamptz NOT NULL,
    locked_until     timestamptz,
    PRIMARY KEY (scope, key)
);

-- audit_log: a failed login under a name no agent has names no actor.
ALTER TABLE audit_log ALTER COLUMN actor_id DROP NOT NULL;
