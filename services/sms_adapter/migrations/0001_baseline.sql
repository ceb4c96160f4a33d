-- The sms_adapter schema as it stood after the legacy migrations 0001-0021 (shared/migrations/legacy),
-- written once. Applied with search_path = sms_adapter, as the role relaydesk_sms_adapter, which owns it all.
-- Ids naming another service's rows (agents, conversations) carry no foreign key: each
-- service changes its own tables alone (docs/adr/0001-service-schemas.md).

-- Every message handed to the provider, its segments and latest status.
CREATE TABLE sms_sends (
    message_id       text NOT NULL,
    conversation_id  text NOT NULL DEFAULT '',
    provider         text NOT NULL,
    provider_id      text,
    to_number        text NOT NULL,
    encoding         text NOT NULL,
    segments         integer NOT NULL,
    status           text NOT NULL,
    error            text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sms_sends_pkey PRIMARY KEY (message_id)
);
CREATE UNIQUE INDEX sms_sends_provider_id ON sms_sends (provider, provider_id);
CREATE INDEX sms_sends_created ON sms_sends (created_at);

-- Parts of a concatenated inbound message, kept until the last arrives.
CREATE TABLE sms_parts (
    sender       text NOT NULL,
    ref          text NOT NULL,
    part_index   integer NOT NULL,
    total        integer NOT NULL,
    provider_id  text NOT NULL,
    text         text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sms_parts_pkey PRIMARY KEY (sender, ref, part_index)
);
