-- The email_adapter schema as it stood after the legacy migrations 0001-0021 (shared/migrations/legacy),
-- written once. Applied with search_path = email_adapter, as the role relaydesk_email_adapter, which owns it all.
-- Ids naming another service's rows (agents, conversations) carry no foreign key: each
-- service changes its own tables alone (docs/adr/0001-service-schemas.md).

-- Every accepted mail as received (the full original stays retrievable).
CREATE TABLE email_messages (
    message_id      text NOT NULL,
    from_address    text NOT NULL,
    subject         text NOT NULL DEFAULT '',
    references_ids  text[] NOT NULL DEFAULT '{}'::text[],
    raw             bytea NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT email_messages_pkey PRIMARY KEY (message_id)
);
CREATE INDEX email_messages_sender ON email_messages (from_address, received_at);

-- Files that came with mails, referenced on the bus by id.
CREATE TABLE email_attachments (
    id            uuid NOT NULL,
    message_id    text NOT NULL,
    position      integer NOT NULL,
    filename      text NOT NULL,
    content_type  text NOT NULL,
    size          integer NOT NULL,
    content_id    text,
    data          bytea NOT NULL,
    CONSTRAINT email_attachments_pkey PRIMARY KEY (id),
    CONSTRAINT email_attachments_message_id_fkey FOREIGN KEY (message_id) REFERENCES email_messages (message_id)
);
CREATE INDEX email_attachments_message ON email_attachments (message_id);

-- The Message-ID each reply went out with, for bounces and redeliveries.
CREATE TABLE email_sends (
    message_id       text NOT NULL,
    smtp_message_id  text NOT NULL,
    to_address       text NOT NULL,
    sent_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT email_sends_pkey PRIMARY KEY (message_id),
    CONSTRAINT email_sends_smtp_message_id_key UNIQUE (smtp_message_id)
);
