-- The notifier's tables: a durable scheduler, callback tasks (回访) and their history, applied commands.

-- scheduled_jobs (notifier): work due at a time, of any kind (callback reminders now; broadcasts
-- and surveys later). Every replica claims due rows with FOR UPDATE SKIP LOCKED and runs the
-- kind's handler in the transaction that marks the row done, so each job fires once however
-- many replicas run, and a crash mid-job rolls it back to be fired again.
CREATE TABLE scheduled_jobs (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL,
    dedupe_key  text NOT NULL UNIQUE,      -- the same job scheduled twice is one job
    payload     jsonb NOT NULL DEFAULT '{}',
    due_at      timestamptz NOT NULL,
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    attempts    integer NOT NULL DEFAULT 0,  -- handler failures so far (retried with backoff)
    last_error  text,
    claimed_by  text,                        -- the replica that last ran it
    created_at  timestamptz NOT NULL DEFAULT now(),
    fired_at    timestamptz
);
CREATE INDEX scheduled_jobs_due ON scheduled_jobs (due_at) WHERE state = 'pending';
CREATE INDEX scheduled_jobs_finished ON scheduled_jobs (fired_at) WHERE state <> 'pending';

-- callback_tasks (notifier): calls owed to customers. `dedupe_key` makes each source create one
-- task however often its event or command arrives; `cycle` counts reschedules, so reminders
-- scheduled for an earlier due time do nothing.
CREATE TABLE callback_tasks (
    id                  uuid PRIMARY KEY,
    dedupe_key          text NOT NULL UNIQUE,
    source              text NOT NULL CHECK (source IN ('rule', 'preapproval', 'agent')),
    reason              text NOT NULL,
    state               text NOT NULL DEFAULT 'scheduled' CHECK (state IN ('scheduled', 'due', 'closed')),
    result              text CHECK (result IN ('reached', 'resolved', 'wrong_number', 'unreachable')),
    channel             text NOT NULL,
    customer_address    text NOT NULL,
    customer_name       text NOT NULL DEFAULT '',
    customer_id         uuid,              -- customers.id when customer_identities linked one
    conversation_id     uuid REFERENCES conversations (id),
    category            text NOT NULL DEFAULT 'other',
    language            text NOT NULL DEFAULT '',
    application_id      text,
    application_type    text,
    details             jsonb NOT NULL DEFAULT '{}',
    note                text NOT NULL DEFAULT '',
    preferred_agent_id  uuid REFERENCES agents (id),
    assigned_agent_id   uuid REFERENCES agents (id),
    assigned_at         timestamptz,
    claimed_at          timestamptz,
    due_at              timestamptz NOT NULL,
    cycle               integer NOT NULL DEFAULT 0,
    attempts            integer NOT NULL DEFAULT 0,  -- unanswered calls so far
    overdue_at          timestamptz,
    created_by          uuid REFERENCES agents (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    closed_at           timestamptz,
    CHECK ((state = 'closed') = (result IS NOT NULL))
);
CREATE INDEX callback_tasks_agent_open ON callback_tasks (assigned_agent_id, due_at) WHERE state <> 'closed';
CREATE INDEX callback_tasks_pool ON callback_tasks (due_at) WHERE state <> 'closed' AND assigned_agent_id IS NULL;
CREATE INDEX callback_tasks_conversation ON callback_tasks (conversation_id);
CREATE INDEX callback_tasks_due ON callback_tasks (due_at);

-- callback_history (notifier): what happened to each task, oldest first: created, assigned,
-- claimed, due, overdue, no_answer, rescheduled, closed.
CREATE TABLE callback_history (
    id           bigserial PRIMARY KEY,
    callback_id  uuid NOT NULL REFERENCES callback_tasks (id),
    at           timestamptz NOT NULL DEFAULT now(),
    event        text NOT NULL,
    agent_id     uuid,
    result       text,
    note         text NOT NULL DEFAULT '',
    due_at       timestamptz
);
CREATE INDEX callback_history_callback ON callback_history (callback_id, id);

-- notifier_commands (notifier): makes every callback command take effect once.
CREATE TABLE notifier_commands (
    command_id  uuid PRIMARY KEY,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifier_commands_applied ON notifier_commands (applied_at);
