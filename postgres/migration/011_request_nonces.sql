-- request_nonces holds the Nonces of signed requests (Tencent API 2.0 and
-- API 3.0's v1 signatures) until their Timestamp leaves the clock-skew
-- window, for every replica that shares this database: a request replayed
-- to another replica is refused there too. stamp is the request's Timestamp
-- where a Nonce may be reused with another Timestamp, else 0; nonce is the
-- unsigned Nonce's bits as a bigint. Maintenance deletes expired rows.
CREATE TABLE request_nonces (
    key        text        NOT NULL,
    nonce      bigint      NOT NULL,
    stamp      bigint      NOT NULL,
    tenant     text        NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (key, nonce, stamp)
);
CREATE INDEX request_nonces_expires_at ON request_nonces (expires_at);
