-- The notifier schema as it stood after the legacy migrations 0001-0021 (shared/migrations/legacy),
-- written once. Applied with search_path = notifier, as the role relaydesk_notifier, which owns it all.
-- Ids naming another service's rows (agents, conversations) carry no foreign key: each
-- service changes its own tables alone (docs/adr/0001-service-schemas.md).

-- Needs router.outbox_id_seq (router migrates first; router grants this role USAGE on it).

-- Events for agents' streams (callback reminders); ids from router.outbox_id_seq (see router).
CREATE TABLE notifier_outbox (
    id              bigint NOT NULL DEFAULT nextval('router.outbox_id_seq'),
    routing_key     text NOT NULL,
    payload         bytea NOT NULL,
    agent_id        uuid,
    correlation_id  text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    published_at    timestamptz,
    CONSTRAINT notifier_outbox_pkey PRIMARY KEY (id)
);
CREATE INDEX notifier_outbox_unpublished ON notifier_outbox (id) WHERE (published_at IS NULL);
CREATE INDEX notifier_outbox_agent ON notifier_outbox (agent_id, id) WHERE (agent_id IS NOT NULL);
CREATE INDEX notifier_outbox_created ON notifier_outbox (created_at) WHERE (published_at IS NOT NULL);
CREATE INDEX notifier_outbox_supervisors ON notifier_outbox (id) WHERE (routing_key = 'assignment.supervisors');

-- A durable scheduler: each due row is claimed FOR UPDATE SKIP LOCKED and fired once.
CREATE TABLE scheduled_jobs (
    id          bigserial,
    kind        text NOT NULL,
    dedupe_key  text NOT NULL,
    payload     jsonb NOT NULL DEFAULT '{}'::jsonb,
    due_at      timestamptz NOT NULL,
    state       text NOT NULL DEFAULT 'pending',
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text,
    claimed_by  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    fired_at    timestamptz,
    CONSTRAINT scheduled_jobs_pkey PRIMARY KEY (id),
    CONSTRAINT scheduled_jobs_dedupe_key_key UNIQUE (dedupe_key),
    CONSTRAINT scheduled_jobs_state_check CHECK (state IN ('pending', 'done', 'failed'))
);
CREATE INDEX scheduled_jobs_due ON scheduled_jobs (due_at) WHERE (state = 'pending');
CREATE INDEX scheduled_jobs_finished ON scheduled_jobs (fired_at) WHERE (state <> 'pending');

-- Calls owed to customers (回访); dedupe_key makes each source create one task.
CREATE TABLE callback_tasks (
    id                  uuid NOT NULL,
    dedupe_key          text NOT NULL,
    source              text NOT NULL,
    reason              text NOT NULL,
    state               text NOT NULL DEFAULT 'scheduled',
    result              text,
    channel             text NOT NULL,
    customer_address    text NOT NULL,
    customer_name       text NOT NULL DEFAULT '',
    customer_id         uuid,
    conversation_id     uuid,
    category            text NOT NULL DEFAULT 'other',
    language            text NOT NULL DEFAULT '',
    application_id      text,
    application_type    text,
    details             jsonb NOT NULL DEFAULT '{}'::jsonb,
    note                text NOT NULL DEFAULT '',
    preferred_agent_id  uuid,
    assigned_agent_id   uuid,
    assigned_at         timestamptz,
    claimed_at          timestamptz,
    due_at              timestamptz NOT NULL,
    cycle               integer NOT NULL DEFAULT 0,
    attempts            integer NOT NULL DEFAULT 0,
    overdue_at          timestamptz,
    created_by          uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    closed_at           timestamptz,
    CONSTRAINT callback_tasks_pkey PRIMARY KEY (id),
    CONSTRAINT callback_tasks_dedupe_key_key UNIQUE (dedupe_key),
    CONSTRAINT callback_tasks_source_check CHECK (source IN ('rule', 'preapproval', 'agent')),
    CONSTRAINT callback_tasks_state_check CHECK (state IN ('scheduled', 'due', 'closed')),
    CONSTRAINT callback_tasks_result_check CHECK (result IN ('reached', 'resolved', 'wrong_number', 'unreachable')),
    CONSTRAINT callback_tasks_check CHECK ((state = 'closed') = (result IS NOT NULL))
);
CREATE INDEX callback_tasks_agent_open ON callback_tasks (assigned_agent_id, due_at) WHERE (state <> 'closed');
CREATE INDEX callback_tasks_pool ON callback_tasks (due_at) WHERE ((state <> 'closed') AND (assigned_agent_id IS NULL));
CREATE INDEX callback_tasks_conversation ON callback_tasks (conversation_id);
CREATE INDEX callback_tasks_due ON callback_tasks (due_at);

-- What happened to each callback task, oldest first.
CREATE TABLE callback_history (
    id           bigserial,
    callback_id  uuid NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    event        text NOT NULL,
    agent_id     uuid,
    result       text,
    note         text NOT NULL DEFAULT '',
    due_at       timestamptz,
    CONSTRAINT callback_history_pkey PRIMARY KEY (id),
    CONSTRAINT callback_history_callback_id_fkey FOREIGN KEY (callback_id) REFERENCES callback_tasks (id)
);
CREATE INDEX callback_history_callback ON callback_history (callback_id, id);

-- Makes every callback command take effect once.
CREATE TABLE notifier_commands (
    command_id  uuid NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notifier_commands_pkey PRIMARY KEY (command_id)
);
CREATE INDEX notifier_commands_applied ON notifier_commands (applied_at);

-- Pushes to an audience across channels, planned into one row per recipient.
CREATE TABLE broadcasts (
    id           uuid NOT NULL,
    name         text NOT NULL,
    created_by   uuid,
    audience     jsonb NOT NULL,
    content      jsonb NOT NULL,
    send_at      timestamptz NOT NULL,
    state        text NOT NULL DEFAULT 'scheduled',
    paused_from  text,
    planned_key  text,
    planned      integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz,
    finished_at  timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT broadcasts_pkey PRIMARY KEY (id),
    CONSTRAINT broadcasts_state_check CHECK (state IN ('scheduled', 'planning', 'sending', 'paused', 'cancelled', 'done'))
);
CREATE INDEX broadcasts_active ON broadcasts (state) WHERE state IN ('scheduled', 'planning', 'sending');

-- An uploaded list of customer ids for a broadcast.
CREATE TABLE broadcast_members (
    broadcast_id  uuid NOT NULL,
    customer_ref  text NOT NULL,
    CONSTRAINT broadcast_members_pkey PRIMARY KEY (broadcast_id, customer_ref),
    CONSTRAINT broadcast_members_broadcast_id_fkey FOREIGN KEY (broadcast_id) REFERENCES broadcasts (id) ON DELETE CASCADE
);

-- One row per person, so nobody gets a broadcast twice; message_id makes resends idempotent.
CREATE TABLE broadcast_recipients (
    broadcast_id       uuid NOT NULL,
    recipient_key      text NOT NULL,
    channel            text NOT NULL,
    address            text NOT NULL,
    account            text NOT NULL DEFAULT '',
    customer_id        uuid,
    message_id         uuid NOT NULL,
    state              text NOT NULL,
    reason             text NOT NULL DEFAULT '',
    not_before         timestamptz,
    unsubscribe_token  text,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT broadcast_recipients_pkey PRIMARY KEY (broadcast_id, recipient_key),
    CONSTRAINT broadcast_recipients_message_id_key UNIQUE (message_id),
    CONSTRAINT broadcast_recipients_broadcast_id_fkey FOREIGN KEY (broadcast_id) REFERENCES broadcasts (id) ON DELETE CASCADE,
    CONSTRAINT broadcast_recipients_state_check CHECK (state IN ('queued', 'sent', 'delivered', 'failed', 'skipped'))
);
CREATE INDEX broadcast_recipients_queue ON broadcast_recipients (channel, broadcast_id, recipient_key) WHERE (state = 'queued');
CREATE INDEX broadcast_recipients_left ON broadcast_recipients (broadcast_id) WHERE (state = 'queued');
CREATE UNIQUE INDEX broadcast_recipients_unsubscribe ON broadcast_recipients (unsubscribe_token) WHERE (unsubscribe_token IS NOT NULL);

-- One satisfaction survey per resolved conversation (router's, by id).
CREATE TABLE surveys (
    conversation_id  uuid NOT NULL,
    token            text NOT NULL,
    channel          text NOT NULL,
    language         text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT surveys_pkey PRIMARY KEY (conversation_id),
    CONSTRAINT surveys_token_key UNIQUE (token)
);
