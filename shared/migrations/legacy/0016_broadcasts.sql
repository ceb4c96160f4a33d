-- Broadcasts (notifier): pushes to an audience across channels, planned from a database
-- cursor into one row per recipient, sent throttled per channel, each recipient once.

CREATE TABLE broadcasts (
    id            uuid PRIMARY KEY,
    name          text NOT NULL,
    created_by    uuid REFERENCES agents (id),
    audience      jsonb NOT NULL,
    content       jsonb NOT NULL,
    send_at       timestamptz NOT NULL,
    state         text NOT NULL DEFAULT 'scheduled'
                  CHECK (state IN ('scheduled', 'planning', 'sending', 'paused', 'cancelled', 'done')),
    paused_from   text,                 -- the state a pause interrupted, resumed into
    planned_key   text,                 -- the last recipient key planned: where planning resumes
    planned       integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX broadcasts_active ON broadcasts (state) WHERE state IN ('scheduled', 'planning', 'sending');

-- broadcast_members (notifier): an uploaded list of customer ids (ours or the wallet's own).
CREATE TABLE broadcast_members (
    broadcast_id  uuid NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    customer_ref  text NOT NULL,
    PRIMARY KEY (broadcast_id, customer_ref)
);

-- broadcast_recipients (notifier): one row per person (a customer profile, or a contact no
-- profile joins), so nobody gets the broadcast twice on two channels. `message_id` is derived
-- from the broadcast and the person: a resend after a crash carries the same id, which the
-- channel adapters deliver once.
CREATE TABLE broadcast_recipients (
    broadcast_id      uuid NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    recipient_key     text NOT NULL,
    channel           text NOT NULL,
    address           text NOT NULL,
    account           text NOT NULL DEFAULT '',
    customer_id       uuid,
    message_id        uuid NOT NULL UNIQUE,
    state             text NOT NULL CHECK (state IN ('queued', 'sent', 'delivered', 'failed', 'skipped')),
    reason            text NOT NULL DEFAULT '',
    not_before        timestamptz,      -- held by quiet hours until then
    unsubscribe_token text,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (broadcast_id, recipient_key)
);
-- The sender's look-up (a channel's queue in key order) and "is anyone left queued?".
CREATE INDEX broadcast_recipients_queue ON broadcast_recipients (channel, broadcast_id, recipient_key)
    WHERE state = 'queued';
CREATE INDEX broadcast_recipients_left ON broadcast_recipients (broadcast_id) WHERE state = 'queued';
CREATE UNIQUE INDEX broadcast_recipients_unsubscribe ON broadcast_recipients (unsubscribe_token)
    WHERE unsubscribe_token IS NOT NULL;

-- surveys (notifier): one satisfaction survey per resolved conversation; the token is the
-- survey page's address for channels that show links (web chat, email). Answers are stored by
-- the router in csat_responses.
CREATE TABLE surveys (
    conversation_id  uuid PRIMARY KEY REFERENCES conversations (id),
    token            text NOT NULL UNIQUE,
    channel          text NOT NULL,
    language         text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now()
);
