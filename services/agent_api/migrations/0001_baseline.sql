-- The agent_api schema as it stood after the legacy migrations 0001-0021 (shared/migrations/legacy),
-- written once. Applied with search_path = agent_api, as the role relaydesk_agent_api, which owns it all.
-- Ids naming another service's rows (agents, conversations) carry no foreign key: each
-- service changes its own tables alone (docs/adr/0001-service-schemas.md).

-- Agents, their skills and capacity; token_hash mirrors the initial token's hash for older readers.
CREATE TABLE agents (
    id                   uuid NOT NULL,
    name                 text NOT NULL,
    role                 text NOT NULL,
    capacity             integer NOT NULL,
    skills               text[] NOT NULL DEFAULT '{}'::text[],
    languages            text[] NOT NULL DEFAULT '{}'::text[],
    token_hash           bytea,
    created_at           timestamptz NOT NULL DEFAULT now(),
    channels             text[] NOT NULL DEFAULT '{}'::text[],
    teams                text[] NOT NULL DEFAULT '{}'::text[],
    password_hash        text,
    password_changed_at  timestamptz,
    CONSTRAINT agents_pkey PRIMARY KEY (id),
    CONSTRAINT agents_name_key UNIQUE (name),
    CONSTRAINT agents_token_hash_key UNIQUE (token_hash),
    CONSTRAINT agents_role_check CHECK (role IN ('agent', 'supervisor', 'admin')),
    CONSTRAINT agents_capacity_check CHECK (capacity > 0)
);

-- Named bearer tokens per agent; only each secret's SHA-256 is kept.
CREATE TABLE agent_tokens (
    id            uuid NOT NULL,
    agent_id      uuid NOT NULL,
    name          text NOT NULL,
    token_hash    bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    expires_at    timestamptz,
    revoked_at    timestamptz,
    CONSTRAINT agent_tokens_pkey PRIMARY KEY (id),
    CONSTRAINT agent_tokens_token_hash_key UNIQUE (token_hash),
    CONSTRAINT agent_tokens_agent_id_fkey FOREIGN KEY (agent_id) REFERENCES agents (id) ON DELETE CASCADE,
    CONSTRAINT agent_tokens_name_check CHECK (name <> '')
);
CREATE INDEX agent_tokens_agent ON agent_tokens (agent_id);

-- The privacy audit trail, appended to, never updated; actor_id has no foreign key so it outlives the agent.
CREATE TABLE audit_log (
    id               bigserial,
    at               timestamptz NOT NULL DEFAULT now(),
    actor_id         uuid,
    actor_role       text NOT NULL,
    action           text NOT NULL,
    conversation_id  uuid,
    message_id       uuid,
    reason           text NOT NULL DEFAULT '',
    detail           jsonb NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT audit_log_pkey PRIMARY KEY (id)
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at);
CREATE INDEX audit_log_conversation ON audit_log (conversation_id);

-- Internal notes on router conversations (by id).
CREATE TABLE conversation_notes (
    id               uuid NOT NULL,
    conversation_id  uuid NOT NULL,
    author_id        uuid NOT NULL,
    kind             text NOT NULL DEFAULT 'note',
    text             text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT conversation_notes_pkey PRIMARY KEY (id),
    CONSTRAINT conversation_notes_author_id_fkey FOREIGN KEY (author_id) REFERENCES agents (id),
    CONSTRAINT conversation_notes_kind_check CHECK (kind IN ('note', 'transfer', 'reopen'))
);
CREATE INDEX conversation_notes_conversation ON conversation_notes (conversation_id, created_at);

-- Free labels agents put on router conversations (by id).
CREATE TABLE conversation_tags (
    conversation_id  uuid NOT NULL,
    tag              text NOT NULL,
    added_by         uuid NOT NULL,
    added_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT conversation_tags_pkey PRIMARY KEY (conversation_id, tag),
    CONSTRAINT conversation_tags_added_by_fkey FOREIGN KEY (added_by) REFERENCES agents (id),
    CONSTRAINT conversation_tags_tag_check CHECK (tag ~ '^[a-z0-9][a-z0-9_.:-]{0,47}$')
);
CREATE INDEX conversation_tags_tag ON conversation_tags (tag, conversation_id);

-- Reply templates: shared (owner_id null) or personal.
CREATE TABLE canned_responses (
    id          uuid NOT NULL,
    owner_id    uuid,
    shortcut    text NOT NULL,
    title       text NOT NULL,
    text        text NOT NULL,
    language    text NOT NULL DEFAULT '',
    category    text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT canned_responses_pkey PRIMARY KEY (id),
    CONSTRAINT canned_responses_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES agents (id) ON DELETE CASCADE,
    CONSTRAINT canned_responses_shortcut_check CHECK (shortcut ~ '^[a-z0-9][a-z0-9_-]{0,39}$')
);
CREATE UNIQUE INDEX canned_responses_shared_shortcut ON canned_responses (shortcut) WHERE (owner_id IS NULL);
CREATE UNIQUE INDEX canned_responses_own_shortcut ON canned_responses (owner_id, shortcut) WHERE (owner_id IS NOT NULL);

-- Agents' uploads, served at an unguessable capability URL.
CREATE TABLE files (
    id            uuid NOT NULL,
    key           text NOT NULL,
    name          text NOT NULL,
    content_type  text NOT NULL,
    size          integer NOT NULL,
    sha256        bytea NOT NULL,
    body          bytea NOT NULL,
    uploaded_by   uuid NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT files_pkey PRIMARY KEY (id),
    CONSTRAINT files_key_key UNIQUE (key),
    CONSTRAINT files_uploaded_by_fkey FOREIGN KEY (uploaded_by) REFERENCES agents (id)
);

-- One person across channels.
CREATE TABLE customers (
    id           uuid NOT NULL,
    external_id  text,
    name         text NOT NULL DEFAULT '',
    phone        text,
    email        text,
    timezone     text NOT NULL DEFAULT '',
    language     text NOT NULL DEFAULT '',
    tags         text[] NOT NULL DEFAULT '{}'::text[],
    notes        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customers_pkey PRIMARY KEY (id),
    CONSTRAINT customers_external_id_key UNIQUE (external_id)
);
CREATE INDEX customers_tags ON customers USING gin (tags);

-- Joins a channel address to a customer profile.
CREATE TABLE customer_identities (
    channel      text NOT NULL,
    address      text NOT NULL,
    customer_id  uuid NOT NULL,
    source       text NOT NULL DEFAULT 'agent',
    linked_by    uuid,
    linked_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customer_identities_pkey PRIMARY KEY (channel, address),
    CONSTRAINT customer_identities_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE,
    CONSTRAINT customer_identities_linked_by_fkey FOREIGN KEY (linked_by) REFERENCES agents (id),
    CONSTRAINT customer_identities_source_check CHECK (source IN ('profile', 'agent', 'import'))
);
CREATE INDEX customer_identities_customer ON customer_identities (customer_id);

-- Console browser sessions; only the cookie's SHA-256 is kept.
CREATE TABLE agent_sessions (
    id              uuid NOT NULL,
    agent_id        uuid NOT NULL,
    token_hash      bytea NOT NULL,
    csrf_token      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    user_agent      text NOT NULL DEFAULT '',
    client_address  text NOT NULL DEFAULT '',
    CONSTRAINT agent_sessions_pkey PRIMARY KEY (id),
    CONSTRAINT agent_sessions_token_hash_key UNIQUE (token_hash),
    CONSTRAINT agent_sessions_agent_id_fkey FOREIGN KEY (agent_id) REFERENCES agents (id) ON DELETE CASCADE
);
CREATE INDEX agent_sessions_agent ON agent_sessions (agent_id);
CREATE INDEX agent_sessions_expires ON agent_sessions (expires_at);

-- Failed logins in a row per name and per address (hashed), and until when each is refused.
CREATE TABLE login_failures (
    scope            text NOT NULL,
    key              bytea NOT NULL,
    failures         integer NOT NULL,
    last_failure_at  timestamptz NOT NULL,
    locked_until     timestamptz,
    CONSTRAINT login_failures_pkey PRIMARY KEY (scope, key),
    CONSTRAINT login_failures_scope_check CHECK (scope IN ('name', 'address'))
);
