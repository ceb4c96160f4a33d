-- messages (router): the FAQ answers the router weighed for a customer message, for the agent's
-- composer: [{id, question, answer, score}] best first, at most three, in the customer's language.
-- NULL for replies and for messages stored before this (and for those nothing matched: '[]').
ALTER TABLE messages ADD COLUMN faq_suggestions jsonb;
