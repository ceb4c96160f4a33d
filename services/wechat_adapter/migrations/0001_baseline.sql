-- The wechat_adapter schema as it stood after the legacy migrations 0001-0021 (shared/migrations/legacy),
-- written once. Applied with search_path = wechat_adapter, as the role relaydesk_wechat_adapter, which owns it all.
-- Ids naming another service's rows (agents, conversations) carry no foreign key: each
-- service changes its own tables alone (docs/adr/0001-service-schemas.md).

-- One access token per app, shared by every replica; the row lock serializes refreshes.
CREATE TABLE wechat_tokens (
    app_id        text NOT NULL,
    access_token  text NOT NULL DEFAULT '',
    expires_at    timestamptz NOT NULL DEFAULT '-infinity'::timestamptz,
    refreshed_at  timestamptz,
    CONSTRAINT wechat_tokens_pkey PRIMARY KEY (app_id)
);

-- Outbound messages WeChat accepted, so a redelivered one is not sent twice.
CREATE TABLE wechat_sends (
    message_id  text NOT NULL,
    sent_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT wechat_sends_pkey PRIMARY KEY (message_id)
);
CREATE INDEX wechat_sends_sent ON wechat_sends (sent_at);

-- (timestamp, nonce) of recent callbacks, so a replayed callback is refused on every replica.
CREATE TABLE wechat_nonces (
    account  text NOT NULL,
    sent_at  bigint NOT NULL,
    nonce    text NOT NULL,
    CONSTRAINT wechat_nonces_pkey PRIMARY KEY (account, sent_at, nonce)
);
CREATE INDEX wechat_nonces_sent_at ON wechat_nonces (sent_at);

-- Media bytes, stored once by hash.
CREATE TABLE wechat_blobs (
    sha256  bytea NOT NULL,
    body    bytea NOT NULL,
    CONSTRAINT wechat_blobs_pkey PRIMARY KEY (sha256)
);

-- Customer media WeChat holds for 3 days, fetched by MediaId and kept.
CREATE TABLE wechat_media (
    media_id         text NOT NULL,
    account          text NOT NULL,
    status           text NOT NULL DEFAULT 'pending',
    reason           text,
    content_type     text,
    size             integer,
    sha256           bytea,
    original_type    text,
    original_sha256  bytea,
    received_at      timestamptz NOT NULL DEFAULT now(),
    fetched_at       timestamptz,
    CONSTRAINT wechat_media_pkey PRIMARY KEY (media_id),
    CONSTRAINT wechat_media_sha256_fkey FOREIGN KEY (sha256) REFERENCES wechat_blobs (sha256),
    CONSTRAINT wechat_media_original_sha256_fkey FOREIGN KEY (original_sha256) REFERENCES wechat_blobs (sha256),
    CONSTRAINT wechat_media_status_check CHECK (status IN ('pending', 'stored', 'refused'))
);
CREATE INDEX wechat_media_pending ON wechat_media (received_at) WHERE (status = 'pending');
