-- The SMS adapter's operational tables.

-- sms_sends (sms_adapter): every message handed to the provider, its cost in segments and its
-- latest status; a redelivered message that is already here is not sent again.
CREATE TABLE sms_sends (
    message_id       text PRIMARY KEY,
    conversation_id  text NOT NULL DEFAULT '',
    provider         text NOT NULL,
    provider_id      text,
    to_number        text NOT NULL,
    encoding         text NOT NULL,
    segments         integer NOT NULL,
    status           text NOT NULL,
    error            text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX sms_sends_provider_id ON sms_sends (provider, provider_id);
CREATE INDEX sms_sends_created ON sms_sends (created_at);

-- sms_parts (sms_adapter): parts of a concatenated inbound message, kept until the last one
-- arrives and the whole text is published.
CREATE TABLE sms_parts (
    sender       text NOT NULL,
    ref          text NOT NULL,
    part_index   integer NOT NULL,
    total        integer NOT NULL,
    provider_id  text NOT NULL,
    text         text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sender, ref, part_index)
);
