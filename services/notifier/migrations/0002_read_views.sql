-- What notifier publishes for other services to read (contracts/read_views.py lists the same),
-- in notifier_read: only the columns a consumer reads, under the tables' own names.
-- A view runs with its owner's rights, so a consumer needs SELECT on the view alone.

GRANT USAGE ON SCHEMA notifier_read TO relaydesk_agent_api;

CREATE VIEW notifier_read.broadcasts AS
    SELECT id, name, created_by, audience, content, send_at, state, planned, created_at, started_at, finished_at
    FROM broadcasts;
GRANT SELECT ON notifier_read.broadcasts TO relaydesk_agent_api;

CREATE VIEW notifier_read.broadcast_recipients AS
    SELECT broadcast_id, channel, state, reason, not_before
    FROM broadcast_recipients;
GRANT SELECT ON notifier_read.broadcast_recipients TO relaydesk_agent_api;

CREATE VIEW notifier_read.callback_tasks AS
    SELECT id, source, reason, state, result, channel, customer_address, customer_name, customer_id, conversation_id, category, application_id, application_type, details, note, assigned_agent_id, claimed_at, due_at, cycle, attempts, overdue_at, created_at
    FROM callback_tasks;
GRANT SELECT ON notifier_read.callback_tasks TO relaydesk_agent_api;

CREATE VIEW notifier_read.callback_history AS
    SELECT id, callback_id, at, event, agent_id, result, note, due_at
    FROM callback_history;
GRANT SELECT ON notifier_read.callback_history TO relaydesk_agent_api;

CREATE VIEW notifier_read.notifier_outbox AS
    SELECT id, routing_key, payload, agent_id
    FROM notifier_outbox;
GRANT SELECT ON notifier_read.notifier_outbox TO relaydesk_agent_api;
