-- Presence follows the agents' streams; SLA warnings before a target is missed; transfer
-- notes carried to the next agent; supervisors resume their stream from both outboxes.

-- stream_replicas (router): each agent API replica's newest report of the streams it holds.
-- A replica not heard from by expires_at is gone (killed, cut off): its streams stop counting.
CREATE TABLE stream_replicas (
    replica_id  text PRIMARY KEY,
    seq         bigint NOT NULL,
    seen_at     timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX stream_replicas_expiry ON stream_replicas (expires_at);

-- agent_streams (router): which agent holds an open stream on which replica, since when.
CREATE TABLE agent_streams (
    agent_id    uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    replica_id  text NOT NULL REFERENCES stream_replicas (replica_id) ON DELETE CASCADE,
    opened_at   timestamptz NOT NULL,
    PRIMARY KEY (agent_id, replica_id)
);
CREATE INDEX agent_streams_replica ON agent_streams (replica_id);

-- agent_state (router): when the agent last chose a status themselves (it outranks a stream
-- opened before it), and since when their last stream is gone (NULL while connected, and
-- once the grace period has turned them offline).
ALTER TABLE agent_state
    ADD COLUMN chosen_at        timestamptz,
    ADD COLUMN disconnected_at  timestamptz;
CREATE INDEX agent_state_disconnected ON agent_state (disconnected_at) WHERE disconnected_at IS NOT NULL;

-- conversations (router): the due time each SLA warning was sent for, so it goes out once
-- per deadline whatever the number of routers; a transfer's note, until someone takes it.
ALTER TABLE conversations
    ADD COLUMN first_response_warned_for  timestamptz,
    ADD COLUMN resolution_warned_for      timestamptz,
    ADD COLUMN transfer_note              text;

-- Supervisors' replay: the events every supervisor sees, by id, in both outboxes.
CREATE INDEX outbox_supervisors ON outbox (id) WHERE routing_key = 'assignment.supervisors';
CREATE INDEX notifier_outbox_supervisors ON notifier_outbox (id) WHERE routing_key = 'assignment.supervisors';
