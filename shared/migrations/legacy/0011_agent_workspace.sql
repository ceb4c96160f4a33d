-- The agents' workspace: who worked on a conversation, notes, tags, canned responses,
-- uploaded files, customer profiles across channels, and the notifier's event outbox.

-- conversation_agents (router, by trigger): every agent a conversation was ever assigned
-- to, so an agent keeps seeing the conversations they worked on after a transfer.
CREATE TABLE conversation_agents (
    conversation_id    uuid NOT NULL REFERENCES conversations (id),
    agent_id           uuid NOT NULL REFERENCES agents (id),
    first_assigned_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agent_id, conversation_id)
);
CREATE INDEX conversation_agents_conversation ON conversation_agents (conversation_id);

CREATE FUNCTION record_conversation_agent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.agent_id IS NOT NULL AND NEW.agent_id IS DISTINCT FROM OLD.agent_id THEN
        INSERT INTO conversation_agents (conversation_id, agent_id)
        VALUES (NEW.id, NEW.agent_id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION record_first_conversation_agent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.agent_id IS NOT NULL THEN
        INSERT INTO conversation_agents (conversation_id, agent_id)
        VALUES (NEW.id, NEW.agent_id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER conversations_agent_history AFTER UPDATE OF agent_id ON conversations
    FOR EACH ROW EXECUTE FUNCTION record_conversation_agent();
CREATE TRIGGER conversations_agent_history_insert AFTER INSERT ON conversations
    FOR EACH ROW EXECUTE FUNCTION record_first_conversation_agent();

INSERT INTO conversation_agents (conversation_id, agent_id, first_assigned_at)
SELECT id, agent_id, COALESCE(assigned_at, created_at) FROM conversations WHERE agent_id IS NOT NULL
ON CONFLICT DO NOTHING;

-- Listing pages newest first, by an immutable key, so cursors never skip or repeat.
CREATE INDEX conversations_listing ON conversations (created_at DESC, id DESC);
CREATE INDEX conversations_status_listing ON conversations (status, created_at DESC, id DESC);

-- conversation_notes (agent_api): internal notes, never sent to the customer. A transfer's
-- note is kept here too (kind 'transfer'), so the receiving agent reads why.
CREATE TABLE conversation_notes (
    id               uuid PRIMARY KEY,
    conversation_id  uuid NOT NULL REFERENCES conversations (id),
    author_id        uuid NOT NULL REFERENCES agents (id),
    kind             text NOT NULL DEFAULT 'note' CHECK (kind IN ('note', 'transfer', 'reopen')),
    text             text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversation_notes_conversation ON conversation_notes (conversation_id, created_at);

-- conversation_tags (agent_api): free labels agents put on conversations.
CREATE TABLE conversation_tags (
    conversation_id  uuid NOT NULL REFERENCES conversations (id),
    tag              text NOT NULL CHECK (tag ~ '^[a-z0-9][a-z0-9_.:-]{0,47}$'),
    added_by         uuid NOT NULL REFERENCES agents (id),
    added_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, tag)
);
CREATE INDEX conversation_tags_tag ON conversation_tags (tag, conversation_id);

-- canned_responses (agent_api): reply templates; shared ones (owner null) are managed by
-- supervisors, personal ones by their owner.
CREATE TABLE canned_responses (
    id          uuid PRIMARY KEY,
    owner_id    uuid REFERENCES agents (id) ON DELETE CASCADE,
    shortcut    text NOT NULL CHECK (shortcut ~ '^[a-z0-9][a-z0-9_-]{0,39}$'),
    title       text NOT NULL,
    text        text NOT NULL,
    language    text NOT NULL DEFAULT '',
    category    text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX canned_responses_shared_shortcut ON canned_responses (shortcut) WHERE owner_id IS NULL;
CREATE UNIQUE INDEX canned_responses_own_shortcut ON canned_responses (owner_id, shortcut) WHERE owner_id IS NOT NULL;

-- files (agent_api): what agents upload to send; served to adapters and customers at an
-- unguessable capability URL (/files/<key>/<name>), so every replica can serve every file.
CREATE TABLE files (
    id            uuid PRIMARY KEY,
    key           text NOT NULL UNIQUE,
    name          text NOT NULL,
    content_type  text NOT NULL,
    size          integer NOT NULL,
    sha256        bytea NOT NULL,
    body          bytea NOT NULL,
    uploaded_by   uuid NOT NULL REFERENCES agents (id),
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- customers (agent_api): one person across channels. An identity row joins a channel
-- address to the profile; a phone or email on the profile is also its sms/email identity,
-- so a contact that writes in later joins the profile it already belongs to.
CREATE TABLE customers (
    id           uuid PRIMARY KEY,
    external_id  text UNIQUE,
    name         text NOT NULL DEFAULT '',
    phone        text,
    email        text,
    timezone     text NOT NULL DEFAULT '',
    language     text NOT NULL DEFAULT '',
    tags         text[] NOT NULL DEFAULT '{}',
    notes        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_tags ON customers USING gin (tags);

CREATE TABLE customer_identities (
    channel      text NOT NULL,
    address      text NOT NULL,
    customer_id  uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    source       text NOT NULL DEFAULT 'agent' CHECK (source IN ('profile', 'agent', 'import')),
    linked_by    uuid REFERENCES agents (id),
    linked_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, address)
);
CREATE INDEX customer_identities_customer ON customer_identities (customer_id);

-- notifier_outbox (notifier): events for agents' streams (callback reminders), written with
-- the state they describe and published after, like the router's outbox. Ids come from the
-- router outbox's sequence, so one `?after=<id>` resumes both.
CREATE TABLE notifier_outbox (
    id             bigint PRIMARY KEY DEFAULT nextval('outbox_id_seq'),
    routing_key    text NOT NULL,
    payload        bytea NOT NULL,
    agent_id       uuid,
    correlation_id text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    published_at   timestamptz
);
CREATE INDEX notifier_outbox_unpublished ON notifier_outbox (id) WHERE published_at IS NULL;
CREATE INDEX notifier_outbox_agent ON notifier_outbox (agent_id, id) WHERE agent_id IS NOT NULL;
CREATE INDEX notifier_outbox_created ON notifier_outbox (created_at) WHERE published_at IS NOT NULL;
