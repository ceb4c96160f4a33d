-- The privacy audit trail: who looked at which conversation, who unmasked which message, and why.

-- audit_log: written by agent_api (services/agent_api/audit.py), appended to, never updated.
-- actor_id names the agent (no foreign key, so the trail outlives the agent's account).
CREATE TABLE audit_log (
    id               bigserial PRIMARY KEY,
    at               timestamptz NOT NULL DEFAULT now(),
    actor_id         uuid NOT NULL,
    actor_role       text NOT NULL,
    action           text NOT NULL,  -- 'view_conversation' | 'unmask_message' | …
    conversation_id  uuid,
    message_id       uuid,
    reason           text NOT NULL DEFAULT '',
    detail           jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at);
CREATE INDEX audit_log_conversation ON audit_log (conversation_id);
