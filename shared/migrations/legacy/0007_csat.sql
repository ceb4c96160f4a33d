-- Satisfaction survey answers, and the indexes supervisor statistics read by.

-- csat_responses (router): one answer per conversation, stored when the router recognizes a
-- reply to a satisfaction survey (issue 6). agent_id is who handled the conversation, kept
-- so per-agent averages survive a later transfer; null when nobody did (FAQ self-service).
CREATE TABLE csat_responses (
    conversation_id  uuid PRIMARY KEY REFERENCES conversations (id),
    channel          text NOT NULL,
    agent_id         uuid REFERENCES agents (id),
    score            smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment          text NOT NULL DEFAULT '',
    answered_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX csat_responses_answered ON csat_responses (answered_at);

-- conversations (router): statistics pick conversations by when they were created or resolved
-- over a range; without these every report would scan the whole history.
CREATE INDEX conversations_created ON conversations (created_at);
CREATE INDEX conversations_resolved ON conversations (resolved_at) WHERE status = 'resolved';
