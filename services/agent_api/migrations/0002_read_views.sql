-- What agent_api publishes for other services to read (contracts/read_views.py lists the same),
-- in agent_api_read: only the columns a consumer reads, under the tables' own names.
-- A view runs with its owner's rights, so a consumer needs SELECT on the view alone.

GRANT USAGE ON SCHEMA agent_api_read TO relaydesk_email_adapter, relaydesk_notifier, relaydesk_router;

CREATE VIEW agent_api_read.agents AS
    SELECT id, name, role, capacity, skills, languages, created_at, channels, teams
    FROM agents;
GRANT SELECT ON agent_api_read.agents TO relaydesk_notifier, relaydesk_router;

CREATE VIEW agent_api_read.conversation_tags AS
    SELECT conversation_id, tag
    FROM conversation_tags;
GRANT SELECT ON agent_api_read.conversation_tags TO relaydesk_notifier;

CREATE VIEW agent_api_read.customers AS
    SELECT id, external_id, name, phone, email, timezone, language, tags, created_at, updated_at
    FROM customers;
GRANT SELECT ON agent_api_read.customers TO relaydesk_notifier;

CREATE VIEW agent_api_read.customer_identities AS
    SELECT channel, address, customer_id, source, linked_at
    FROM customer_identities;
GRANT SELECT ON agent_api_read.customer_identities TO relaydesk_notifier;

CREATE VIEW agent_api_read.files AS
    SELECT id, key, name, content_type, body
    FROM files;
GRANT SELECT ON agent_api_read.files TO relaydesk_email_adapter;
