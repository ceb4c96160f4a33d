-- Offer mode: a queued conversation offered to one agent at a time, who accepts or passes.
ALTER TABLE conversations
    ADD COLUMN offered_to   uuid REFERENCES agents (id),
    ADD COLUMN offered_at   timestamptz,
    ADD COLUMN declined_by  uuid[] NOT NULL DEFAULT '{}',
    ADD CONSTRAINT conversations_offer_queued CHECK (offered_to IS NULL OR status = 'queued');
CREATE INDEX conversations_offered ON conversations (offered_at) WHERE offered_to IS NOT NULL;
