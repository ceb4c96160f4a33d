-- wechat_nonces (wechat_adapter): the (timestamp, nonce) of every callback accepted in the last
-- few minutes, shared by every replica, so a replayed callback is refused wherever it lands.
-- Rows older than the freshness window are useless (their timestamp is refused anyway) and go.

CREATE TABLE wechat_nonces (
    account    text NOT NULL,
    sent_at    bigint NOT NULL,         -- the callback's `timestamp` (unix seconds)
    nonce      text NOT NULL,
    PRIMARY KEY (account, sent_at, nonce)
);
CREATE INDEX wechat_nonces_sent_at ON wechat_nonces (sent_at);
