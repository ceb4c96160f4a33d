-- wechat_media (wechat_adapter): customer media WeChat holds for 3 days, fetched by MediaId and kept.
-- The row is written before the callback is answered, so a media id the adapter could not fetch in
-- time (or lost to a crash) is still known and fetched when an agent first opens it.
CREATE TABLE wechat_blobs (
    sha256        bytea PRIMARY KEY,     -- stored once, however many messages carry the same bytes
    body          bytea NOT NULL
);

CREATE TABLE wechat_media (
    media_id      text PRIMARY KEY,
    account       text NOT NULL,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'stored', 'refused')),
    reason        text,                  -- why refused: too_large, unsupported_type, expired, ...
    content_type  text,                  -- what is served (voice converted for browsers: audio/mpeg)
    size          integer,
    sha256        bytea REFERENCES wechat_blobs (sha256),
    original_type text,                  -- the type WeChat's bytes had (audio/amr before conversion)
    original_sha256 bytea REFERENCES wechat_blobs (sha256),
    received_at   timestamptz NOT NULL DEFAULT now(),
    fetched_at    timestamptz
);
CREATE INDEX wechat_media_pending ON wechat_media (received_at) WHERE status = 'pending';
