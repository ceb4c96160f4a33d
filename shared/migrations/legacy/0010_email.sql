-- The email adapter's tables: originals and attachments kept durably, sends for threading and bounces.

-- email_messages (email_adapter): every accepted mail as received, so the full original
-- (quotes, signature, every header) stays retrievable while agents see only what is new.
CREATE TABLE email_messages (
    message_id    text PRIMARY KEY,
    from_address  text NOT NULL,
    subject       text NOT NULL DEFAULT '',
    references_ids text[] NOT NULL DEFAULT '{}',
    raw           bytea NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_messages_sender ON email_messages (from_address, received_at);

-- email_attachments (email_adapter): files that came with mails, referenced on the bus by id.
CREATE TABLE email_attachments (
    id            uuid PRIMARY KEY,
    message_id    text NOT NULL REFERENCES email_messages (message_id),
    position      integer NOT NULL,
    filename      text NOT NULL,
    content_type  text NOT NULL,
    size          integer NOT NULL,
    content_id    text,
    data          bytea NOT NULL
);
CREATE INDEX email_attachments_message ON email_attachments (message_id);

-- email_sends (email_adapter): the Message-ID each reply went out with, so a bounce (DSN)
-- naming it marks that reply failed, and a redelivered reply is not sent twice.
CREATE TABLE email_sends (
    message_id       text PRIMARY KEY,
    smtp_message_id  text NOT NULL UNIQUE,
    to_address       text NOT NULL,
    sent_at          timestamptz NOT NULL DEFAULT now()
);
