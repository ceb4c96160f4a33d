-- Relaydesk initial schema. Each table names its one writer (DESIGN rule 3).

-- agents: written by agent_api (and its CLI).
CREATE TABLE agents (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    role        text NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    capacity    integer NOT NULL CHECK (capacity > 0),
    skills      text[] NOT NULL DEFAULT '{}',
    languages   text[] NOT NULL DEFAULT '{}',
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- agent_state: written by router (status changes arrive as commands).
CREATE TABLE agent_state (
    agent_id    uuid PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    status      text NOT NULL CHECK (status IN ('online', 'away', 'offline')),
    changed_at  timestamptz NOT NULL DEFAULT now()
);

-- contacts: written by router. out_seq numbers the replies each customer receives.
CREATE TABLE contacts (
    channel          text NOT NULL,
    address          text NOT NULL,
    display_name     text NOT NULL DEFAULT '',
    locale           text NOT NULL DEFAULT '',
    out_seq          bigint NOT NULL DEFAULT 0,
    first_seen_at    timestamptz NOT NULL DEFAULT now(),
    last_inbound_at  timestamptz,
    PRIMARY KEY (channel, address)
);

-- conversations: written by router.
CREATE TABLE conversations (
    id                 uuid PRIMARY KEY,
    channel            text NOT NULL,
    customer_address   text NOT NULL,
    status             text NOT NULL CHECK (status IN ('queued', 'assigned', 'resolved')),
    agent_id           uuid REFERENCES agents (id),
    priority           text NOT NULL DEFAULT 'normal',
    category           text NOT NULL DEFAULT 'other',
    created_at         timestamptz NOT NULL DEFAULT now(),
    queued_at          timestamptz,
    assigned_at        timestamptz,
    first_response_at  timestamptz,
    resolved_at        timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (channel, customer_address) REFERENCES contacts (channel, address),
    CHECK (status = 'resolved' OR (status = 'assigned') = (agent_id IS NOT NULL))
);
-- One open conversation per customer and channel, whatever the number of routers.
CREATE UNIQUE INDEX conversations_one_open
    ON conversations (channel, customer_address) WHERE status <> 'resolved';
CREATE INDEX conversations_agent_open ON conversations (agent_id) WHERE status = 'assigned';
CREATE INDEX conversations_queue ON conversations (queued_at) WHERE status = 'queued';

-- messages: written by router. Inbound ids derive from (channel, channel_message_id).
CREATE TABLE messages (
    id                  uuid PRIMARY KEY,
    conversation_id     uuid NOT NULL REFERENCES conversations (id),
    direction           text NOT NULL CHECK (direction IN ('in', 'out')),
    channel             text NOT NULL,
    customer_address    text NOT NULL,
    channel_message_id  text,
    agent_id            uuid REFERENCES agents (id),
    kind                text NOT NULL DEFAULT 'text',
    text                text NOT NULL DEFAULT '',
    attachments         jsonb NOT NULL DEFAULT '[]',
    seq                 bigint,
    created_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel, channel_message_id),
    CHECK ((direction = 'out') = (seq IS NOT NULL))
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at);
CREATE INDEX messages_replies ON messages (channel, customer_address, seq) WHERE direction = 'out';

-- applied_commands: written by router; makes every agent command take effect once.
CREATE TABLE applied_commands (
    command_id  uuid PRIMARY KEY,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

-- outbox: written by router. Events commit with the state they describe and are
-- published after; agent streams resume from it by id.
CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    routing_key   text NOT NULL,
    payload       bytea NOT NULL,
    agent_id      uuid,
    correlation_id text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX outbox_agent ON outbox (agent_id, id) WHERE agent_id IS NOT NULL;
