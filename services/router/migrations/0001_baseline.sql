-- The router schema as it stood after the legacy migrations 0001-0021 (shared/migrations/legacy),
-- written once. Applied with search_path = router, as the role relaydesk_router, which owns it all.
-- Ids naming another service's rows (agents, conversations) carry no foreign key: each
-- service changes its own tables alone (docs/adr/0001-service-schemas.md).

-- conversation_agents is kept by these triggers on conversations: an agent keeps seeing the
-- conversations they worked on after a transfer. created_at never changes, so its copy stays true.
CREATE FUNCTION record_conversation_agent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.agent_id IS NOT NULL AND NEW.agent_id IS DISTINCT FROM OLD.agent_id THEN
        INSERT INTO conversation_agents (conversation_id, agent_id, conversation_created_at)
        VALUES (NEW.id, NEW.agent_id, NEW.created_at) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION record_first_conversation_agent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.agent_id IS NOT NULL THEN
        INSERT INTO conversation_agents (conversation_id, agent_id, conversation_created_at)
        VALUES (NEW.id, NEW.agent_id, NEW.created_at) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NEW;
END $$;

-- Each agent's presence as the router sees it (status commands, streams opening and closing).
CREATE TABLE agent_state (
    agent_id          uuid NOT NULL,
    status            text NOT NULL,
    changed_at        timestamptz NOT NULL DEFAULT now(),
    last_assigned_at  timestamptz,
    chosen_at         timestamptz,
    disconnected_at   timestamptz,
    CONSTRAINT agent_state_pkey PRIMARY KEY (agent_id),
    CONSTRAINT agent_state_status_check CHECK (status IN ('online', 'away', 'offline'))
);
CREATE INDEX agent_state_disconnected ON agent_state (disconnected_at) WHERE (disconnected_at IS NOT NULL);

-- A customer's address on a channel; out_seq numbers the replies they receive.
CREATE TABLE contacts (
    channel          text NOT NULL,
    address          text NOT NULL,
    display_name     text NOT NULL DEFAULT '',
    locale           text NOT NULL DEFAULT '',
    out_seq          bigint NOT NULL DEFAULT 0,
    first_seen_at    timestamptz NOT NULL DEFAULT now(),
    last_inbound_at  timestamptz,
    account          text NOT NULL DEFAULT '',
    reachable        boolean NOT NULL DEFAULT true,
    subscribed_at    timestamptz,
    unsubscribed_at  timestamptz,
    CONSTRAINT contacts_pkey PRIMARY KEY (channel, address)
);

-- One per customer thread. The partial unique indexes keep one open conversation per customer and
-- channel (verified and unverified mails apart), whatever the number of routers. agent_id and
-- the other agent ids name agent_api's agents by id: no foreign key across services.
CREATE TABLE conversations (
    id                         uuid NOT NULL,
    channel                    text NOT NULL,
    customer_address           text NOT NULL,
    status                     text NOT NULL,
    agent_id                   uuid,
    priority                   text NOT NULL DEFAULT 'normal',
    category                   text NOT NULL DEFAULT 'other',
    created_at                 timestamptz NOT NULL DEFAULT now(),
    queued_at                  timestamptz,
    assigned_at                timestamptz,
    first_response_at          timestamptz,
    resolved_at                timestamptz,
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    language                   text NOT NULL DEFAULT '',
    team                       text,
    preferred_agent_id         uuid,
    faq_id                     text,
    bot_answered_at            timestamptz,
    closed_notice_at           timestamptz,
    first_response_due         timestamptz,
    resolution_due             timestamptz,
    first_response_breached    boolean NOT NULL DEFAULT false,
    resolution_breached        boolean NOT NULL DEFAULT false,
    offered_to                 uuid,
    offered_at                 timestamptz,
    declined_by                uuid[] NOT NULL DEFAULT '{}'::uuid[],
    first_response_warned_for  timestamptz,
    resolution_warned_for      timestamptz,
    transfer_note              text,
    unverified                 boolean NOT NULL DEFAULT false,
    CONSTRAINT conversations_pkey PRIMARY KEY (id),
    CONSTRAINT conversations_channel_customer_address_fkey FOREIGN KEY (channel, customer_address) REFERENCES contacts (channel, address),
    CONSTRAINT conversations_check CHECK ((status = 'resolved') OR ((status = 'assigned') = (agent_id IS NOT NULL))),
    CONSTRAINT conversations_status_check CHECK (status IN ('bot', 'queued', 'assigned', 'resolved')),
    CONSTRAINT conversations_offer_queued CHECK ((offered_to IS NULL) OR (status = 'queued'))
);
CREATE INDEX conversations_agent_open ON conversations (agent_id) WHERE (status = 'assigned');
CREATE INDEX conversations_queue ON conversations (queued_at) WHERE (status = 'queued');
CREATE INDEX conversations_first_response_due ON conversations (first_response_due) WHERE ((first_response_at IS NULL) AND (NOT first_response_breached) AND status IN ('queued', 'assigned'));
CREATE INDEX conversations_resolution_due ON conversations (resolution_due) WHERE ((NOT resolution_breached) AND status IN ('queued', 'assigned'));
CREATE INDEX conversations_customer_recent ON conversations (channel, customer_address, resolved_at) WHERE (status = 'resolved');
CREATE INDEX conversations_offered ON conversations (offered_at) WHERE (offered_to IS NOT NULL);
CREATE INDEX conversations_resolved ON conversations (resolved_at) WHERE (status = 'resolved');
CREATE INDEX conversations_listing ON conversations (created_at DESC, id DESC);
CREATE INDEX conversations_status_listing ON conversations (status, created_at DESC, id DESC);
CREATE INDEX conversations_customer ON conversations (channel, customer_address, created_at DESC, id DESC);
CREATE UNIQUE INDEX conversations_one_open ON conversations (channel, customer_address) WHERE ((status <> 'resolved') AND (NOT unverified));
CREATE UNIQUE INDEX conversations_one_open_unverified ON conversations (channel, customer_address) WHERE ((status <> 'resolved') AND unverified);
CREATE TRIGGER conversations_agent_history AFTER UPDATE OF agent_id ON conversations FOR EACH ROW EXECUTE FUNCTION record_conversation_agent();
CREATE TRIGGER conversations_agent_history_insert AFTER INSERT ON conversations FOR EACH ROW EXECUTE FUNCTION record_first_conversation_agent();

-- Inbound ids derive from (channel, channel_message_id), so a redelivery stores nothing twice.
CREATE TABLE messages (
    id                  uuid NOT NULL,
    conversation_id     uuid NOT NULL,
    direction           text NOT NULL,
    channel             text NOT NULL,
    customer_address    text NOT NULL,
    channel_message_id  text,
    agent_id            uuid,
    kind                text NOT NULL DEFAULT 'text',
    text                text NOT NULL DEFAULT '',
    attachments         jsonb NOT NULL DEFAULT '[]'::jsonb,
    seq                 bigint,
    created_at          timestamptz NOT NULL DEFAULT now(),
    details             jsonb NOT NULL DEFAULT '{}'::jsonb,
    delivery_status     text,
    delivery_reason     text,
    delivery_at         timestamptz,
    sender_warning      text,
    faq_suggestions     jsonb,
    CONSTRAINT messages_pkey PRIMARY KEY (id),
    CONSTRAINT messages_channel_channel_message_id_key UNIQUE (channel, channel_message_id),
    CONSTRAINT messages_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES conversations (id),
    CONSTRAINT messages_direction_check CHECK (direction IN ('in', 'out')),
    CONSTRAINT messages_check CHECK ((direction = 'out') = (seq IS NOT NULL)),
    CONSTRAINT messages_delivery_status_check CHECK (delivery_status IN ('sent', 'delivered', 'failed'))
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at);
CREATE INDEX messages_replies ON messages (channel, customer_address, seq) WHERE (direction = 'out');

-- Makes every agent command take effect once.
CREATE TABLE applied_commands (
    command_id  uuid NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT applied_commands_pkey PRIMARY KEY (command_id)
);
CREATE INDEX applied_commands_applied ON applied_commands (applied_at);

-- Events committed with the state they describe, published after. Its id sequence also numbers
-- notifier.notifier_outbox, so one `?after=<id>` resumes an agent stream from both.
CREATE TABLE outbox (
    id              bigserial,
    routing_key     text NOT NULL,
    payload         bytea NOT NULL,
    agent_id        uuid,
    correlation_id  text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    published_at    timestamptz,
    CONSTRAINT outbox_pkey PRIMARY KEY (id)
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE (published_at IS NULL);
CREATE INDEX outbox_agent ON outbox (agent_id, id) WHERE (agent_id IS NOT NULL);
CREATE INDEX outbox_created ON outbox (created_at) WHERE (published_at IS NOT NULL);
CREATE INDEX outbox_supervisors ON outbox (id) WHERE (routing_key = 'assignment.supervisors');

-- Channel events that open no conversation (follow, unfollow, menu, location), stored once each.
CREATE TABLE contact_events (
    channel           text NOT NULL,
    channel_event_id  text NOT NULL,
    address           text NOT NULL,
    event             text NOT NULL,
    details           jsonb NOT NULL DEFAULT '{}'::jsonb,
    occurred_at       timestamptz NOT NULL,
    CONSTRAINT contact_events_pkey PRIMARY KEY (channel, channel_event_id),
    CONSTRAINT contact_events_channel_address_fkey FOREIGN KEY (channel, address) REFERENCES contacts (channel, address)
);

-- One row per conversation and kind, for statistics.
CREATE TABLE sla_breaches (
    conversation_id  uuid NOT NULL,
    kind             text NOT NULL,
    priority         text NOT NULL,
    category         text NOT NULL,
    agent_id         uuid,
    due_at           timestamptz NOT NULL,
    breached_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sla_breaches_pkey PRIMARY KEY (conversation_id, kind),
    CONSTRAINT sla_breaches_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES conversations (id),
    CONSTRAINT sla_breaches_kind_check CHECK (kind IN ('first_response', 'resolution'))
);
CREATE INDEX sla_breaches_breached ON sla_breaches (breached_at);

-- One satisfaction answer per conversation.
CREATE TABLE csat_responses (
    conversation_id  uuid NOT NULL,
    channel          text NOT NULL,
    agent_id         uuid,
    score            smallint NOT NULL,
    comment          text NOT NULL DEFAULT '',
    answered_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT csat_responses_pkey PRIMARY KEY (conversation_id),
    CONSTRAINT csat_responses_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES conversations (id),
    CONSTRAINT csat_responses_score_check CHECK ((score >= 1) AND (score <= 5))
);
CREATE INDEX csat_responses_answered ON csat_responses (answered_at);

-- Every agent a conversation was ever assigned to (kept by the triggers on conversations).
CREATE TABLE conversation_agents (
    conversation_id          uuid NOT NULL,
    agent_id                 uuid NOT NULL,
    first_assigned_at        timestamptz NOT NULL DEFAULT now(),
    conversation_created_at  timestamptz NOT NULL,
    CONSTRAINT conversation_agents_pkey PRIMARY KEY (agent_id, conversation_id),
    CONSTRAINT conversation_agents_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES conversations (id)
);
CREATE INDEX conversation_agents_conversation ON conversation_agents (conversation_id);
CREATE INDEX conversation_agents_listing ON conversation_agents (agent_id, conversation_created_at DESC, conversation_id DESC);

-- Each agent API replica's newest report of the streams it holds.
CREATE TABLE stream_replicas (
    replica_id  text NOT NULL,
    seq         bigint NOT NULL,
    seen_at     timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    CONSTRAINT stream_replicas_pkey PRIMARY KEY (replica_id)
);
CREATE INDEX stream_replicas_expiry ON stream_replicas (expires_at);

-- Which agent holds an open stream on which replica, since when.
CREATE TABLE agent_streams (
    agent_id    uuid NOT NULL,
    replica_id  text NOT NULL,
    opened_at   timestamptz NOT NULL,
    CONSTRAINT agent_streams_pkey PRIMARY KEY (agent_id, replica_id),
    CONSTRAINT agent_streams_replica_id_fkey FOREIGN KEY (replica_id) REFERENCES stream_replicas (replica_id) ON DELETE CASCADE
);
CREATE INDEX agent_streams_replica ON agent_streams (replica_id);
