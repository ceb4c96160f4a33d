-- What router publishes for other services to read (contracts/read_views.py lists the same),
-- in router_read: only the columns a consumer reads, under the tables' own names.
-- A view runs with its owner's rights, so a consumer needs SELECT on the view alone.

GRANT USAGE ON SCHEMA router_read TO relaydesk_agent_api, relaydesk_notifier, relaydesk_sms_adapter, relaydesk_webchat_adapter;

CREATE VIEW router_read.conversations AS
    SELECT id, channel, customer_address, status, agent_id, priority, category, created_at, queued_at, assigned_at, first_response_at, resolved_at, updated_at, language, team, preferred_agent_id, bot_answered_at, first_response_due, resolution_due, first_response_breached, resolution_breached, offered_to, first_response_warned_for, resolution_warned_for
    FROM conversations;
GRANT SELECT ON router_read.conversations TO relaydesk_agent_api, relaydesk_notifier;

CREATE VIEW router_read.conversation_agents AS
    SELECT conversation_id, agent_id, conversation_created_at
    FROM conversation_agents;
GRANT SELECT ON router_read.conversation_agents TO relaydesk_agent_api;

CREATE VIEW router_read.messages AS
    SELECT id, conversation_id, direction, channel, customer_address, agent_id, kind, text, attachments, seq, created_at, delivery_status, delivery_reason, delivery_at, sender_warning, faq_suggestions
    FROM messages;
GRANT SELECT ON router_read.messages TO relaydesk_agent_api, relaydesk_webchat_adapter;

CREATE VIEW router_read.contacts AS
    SELECT channel, address, display_name, out_seq, first_seen_at, last_inbound_at, account, reachable, subscribed_at, unsubscribed_at
    FROM contacts;
GRANT SELECT ON router_read.contacts TO relaydesk_agent_api, relaydesk_notifier, relaydesk_sms_adapter, relaydesk_webchat_adapter;

CREATE VIEW router_read.sla_breaches AS
    SELECT kind, priority, category, agent_id, breached_at
    FROM sla_breaches;
GRANT SELECT ON router_read.sla_breaches TO relaydesk_agent_api;

CREATE VIEW router_read.csat_responses AS
    SELECT channel, agent_id, score, answered_at
    FROM csat_responses;
GRANT SELECT ON router_read.csat_responses TO relaydesk_agent_api;

CREATE VIEW router_read.outbox AS
    SELECT id, routing_key, payload, agent_id
    FROM outbox;
GRANT SELECT ON router_read.outbox TO relaydesk_agent_api;

CREATE VIEW router_read.agent_state AS
    SELECT agent_id, status, changed_at, last_assigned_at
    FROM agent_state;
GRANT SELECT ON router_read.agent_state TO relaydesk_agent_api, relaydesk_notifier;

-- The notifier's outbox draws its ids from this outbox's sequence, so an agent stream resumes
-- from both outboxes with one `?after=<id>`: the notifier may take numbers, and read nothing here.
GRANT USAGE ON SCHEMA router TO relaydesk_notifier;
GRANT USAGE ON SEQUENCE outbox_id_seq TO relaydesk_notifier;
