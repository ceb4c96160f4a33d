-- WeChat followers, delivery states and the WeChat adapter's operational tables.

-- contacts (router): which official account a WeChat openid belongs to, and whether the
-- customer can still be reached there (unsubscribe makes them unreachable).
ALTER TABLE contacts
    ADD COLUMN account          text NOT NULL DEFAULT '',
    ADD COLUMN reachable        boolean NOT NULL DEFAULT true,
    ADD COLUMN subscribed_at    timestamptz,
    ADD COLUMN unsubscribed_at  timestamptz;

-- messages (router): channel facts kept for the record; delivery state of replies.
ALTER TABLE messages
    ADD COLUMN details          jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN delivery_status  text CHECK (delivery_status IN ('sent', 'delivered', 'failed')),
    ADD COLUMN delivery_reason  text,
    ADD COLUMN delivery_at      timestamptz;

-- contact_events (router): channel events that open no conversation (follow, unfollow,
-- menu views, location reports), stored once each.
CREATE TABLE contact_events (
    channel           text NOT NULL,
    channel_event_id  text NOT NULL,
    address           text NOT NULL,
    event             text NOT NULL,
    details           jsonb NOT NULL DEFAULT '{}',
    occurred_at       timestamptz NOT NULL,
    PRIMARY KEY (channel, channel_event_id),
    FOREIGN KEY (channel, address) REFERENCES contacts (channel, address)
);

-- wechat_tokens (wechat_adapter): one access token per app, shared by every replica;
-- the row lock serializes refreshes so an expiry costs one token request, not one per replica.
CREATE TABLE wechat_tokens (
    app_id        text PRIMARY KEY,
    access_token  text NOT NULL DEFAULT '',
    expires_at    timestamptz NOT NULL DEFAULT '-infinity',
    refreshed_at  timestamptz
);

-- wechat_sends (wechat_adapter): outbound messages WeChat accepted, so a redelivered one
-- is not sent twice.
CREATE TABLE wechat_sends (
    message_id  text PRIMARY KEY,
    sent_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wechat_sends_sent ON wechat_sends (sent_at);
