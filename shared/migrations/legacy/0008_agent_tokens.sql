-- Agent tokens: several named bearer tokens per agent, each one revocable, rotatable and
-- optionally expiring. Only each secret's SHA-256 is kept; the secret is shown once.

-- agent_tokens: written by agent_api (and its CLI).
CREATE TABLE agent_tokens (
    id            uuid PRIMARY KEY,
    agent_id      uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (name <> ''),
    token_hash    bytea NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    expires_at    timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX agent_tokens_agent ON agent_tokens (agent_id);

-- Every existing agent keeps working: its one token becomes the token named 'initial'.
INSERT INTO agent_tokens (id, agent_id, name, token_hash, created_at)
SELECT gen_random_uuid(), id, 'initial', token_hash, created_at FROM agents WHERE token_hash IS NOT NULL;

-- agents (agent_api): token_hash is no longer read. New agents still mirror their initial
-- token's hash there for older readers, and revoking that token clears it.
ALTER TABLE agents ALTER COLUMN token_hash DROP NOT NULL;
