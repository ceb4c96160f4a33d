-- Agents' conversation lists straight off an index.
--
-- An agent's list is the conversations in conversation_agents for them, newest first by the
-- conversation's (created_at, id). Without the conversation's created_at beside the agent, a page
-- walks every conversation in time order and probes conversation_agents for each: with 20 agents,
-- some 20 conversations read per one shown (~1.5 ms a page at 100k conversations, the slowest
-- list). created_at never changes, so a copy kept by the router's trigger stays true.

ALTER TABLE conversation_agents ADD COLUMN conversation_created_at timestamptz;
UPDATE conversation_agents s SET conversation_created_at = c.created_at
FROM conversations c WHERE c.id = s.conversation_id;
ALTER TABLE conversation_agents ALTER COLUMN conversation_created_at SET NOT NULL;

CREATE OR REPLACE FUNCTION record_conversation_agent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.agent_id IS NOT NULL AND NEW.agent_id IS DISTINCT FROM OLD.agent_id THEN
        INSERT INTO conversation_agents (conversation_id, agent_id, conversation_created_at)
        VALUES (NEW.id, NEW.agent_id, NEW.created_at) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION record_first_conversation_agent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.agent_id IS NOT NULL THEN
        INSERT INTO conversation_agents (conversation_id, agent_id, conversation_created_at)
        VALUES (NEW.id, NEW.agent_id, NEW.created_at) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NEW;
END $$;

CREATE INDEX conversation_agents_listing
    ON conversation_agents (agent_id, conversation_created_at DESC, conversation_id DESC);

-- A customer's conversations, newest first: the list's customer_id filter and the profile's
-- history join conversations on the channel address, which no index covered (partial ones
-- aside), so each look-up read the whole table (~15-30 ms at 100k conversations).
CREATE INDEX conversations_customer ON conversations (channel, customer_address, created_at DESC, id DESC);

-- conversations_listing (0011) serves created_at ranges as well: the older single-column index
-- only cost every insert a second write.
DROP INDEX conversations_created;
