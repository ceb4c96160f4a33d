-- Pruning looks up old rows by age every minute; without these it would scan whole tables.
CREATE INDEX outbox_created ON outbox (created_at) WHERE published_at IS NOT NULL;
CREATE INDEX applied_commands_applied ON applied_commands (applied_at);
