-- Triage, self-service, skills/teams, stickiness, SLA schedule and breaches.

-- agents (agent_api): the channels and teams an agent works; empty channels = all.
ALTER TABLE agents
    ADD COLUMN channels  text[] NOT NULL DEFAULT '{}',
    ADD COLUMN teams     text[] NOT NULL DEFAULT '{}';

-- agent_state (router): the last assignment, so ties go to the agent idle longest.
ALTER TABLE agent_state ADD COLUMN last_assigned_at timestamptz;

-- conversations (router): 'bot' = answered by the FAQ, open, waiting for nobody.
ALTER TABLE conversations DROP CONSTRAINT conversations_status_check;
ALTER TABLE conversations ADD CONSTRAINT conversations_status_check
    CHECK (status IN ('bot', 'queued', 'assigned', 'resolved'));
ALTER TABLE conversations
    ADD COLUMN language              text NOT NULL DEFAULT '',
    ADD COLUMN team                  text,
    ADD COLUMN preferred_agent_id    uuid REFERENCES agents (id),
    ADD COLUMN faq_id                text,
    ADD COLUMN bot_answered_at       timestamptz,
    ADD COLUMN closed_notice_at      timestamptz,
    ADD COLUMN first_response_due    timestamptz,
    ADD COLUMN resolution_due        timestamptz,
    ADD COLUMN first_response_breached boolean NOT NULL DEFAULT false,
    ADD COLUMN resolution_breached   boolean NOT NULL DEFAULT false;
-- The SLA sweeper's look-ups: open conversations past a due time, not yet escalated.
CREATE INDEX conversations_first_response_due ON conversations (first_response_due)
    WHERE first_response_at IS NULL AND NOT first_response_breached AND status IN ('queued', 'assigned');
CREATE INDEX conversations_resolution_due ON conversations (resolution_due)
    WHERE NOT resolution_breached AND status IN ('queued', 'assigned');
CREATE INDEX conversations_customer_recent ON conversations (channel, customer_address, resolved_at)
    WHERE status = 'resolved';

-- sla_breaches (router): one row per conversation and kind, for statistics.
CREATE TABLE sla_breaches (
    conversation_id  uuid NOT NULL REFERENCES conversations (id),
    kind             text NOT NULL CHECK (kind IN ('first_response', 'resolution')),
    priority         text NOT NULL,
    category         text NOT NULL,
    agent_id         uuid REFERENCES agents (id),
    due_at           timestamptz NOT NULL,
    breached_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, kind)
);
CREATE INDEX sla_breaches_breached ON sla_breaches (breached_at);
