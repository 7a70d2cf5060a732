-- V003: tables owned by the API service (services/api): API clients and
-- webhook deliveries. See docs/api.md.

-- API clients: one row per API key. A client signs every request with
-- HMAC-SHA256 under its secret, so the API must be able to recompute the
-- HMAC: the secret cannot be stored as a one-way hash. It is stored
-- encrypted instead (the secret is 64 lowercase hex characters, and the HMAC
-- key is those 64 ASCII bytes):
--   secret_scheme 'aes256gcm'  secret = nonce (12) || ciphertext (64) || tag (16),
--                              AES-256-GCM under the API's api.secret_key
--                              (MPC_API_SECRET_KEY, 32 bytes hex), associated
--                              data = "mpc.v1.api_client:" || key_id
--   secret_scheme 'plain'      secret = the 64 ASCII bytes; only when no
--                              api.secret_key is configured (development; the
--                              API logs a warning at start)
-- Rows are created by `mpc-api --create-api-key NAME`, which prints the key id
-- and the secret once.
CREATE TABLE api_clients (
    key_id         VARCHAR(128) PRIMARY KEY,
    name           VARCHAR(255) NOT NULL,
    secret_scheme  VARCHAR(16)  NOT NULL CHECK (secret_scheme IN ('aes256gcm', 'plain')),
    secret         BYTEA        NOT NULL,
    allowed_keys   JSONB,                   -- NULL: every key; else array of key ids
    allowed_chains JSONB,                   -- NULL: every chain; else array of chain types
    rate_limit     INTEGER      NOT NULL DEFAULT 100 CHECK (rate_limit >= 1),
    rate_window_s  INTEGER      NOT NULL DEFAULT 1 CHECK (rate_window_s BETWEEN 1 AND 3600),
    status         VARCHAR(16)  NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at     TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at     TIMESTAMPTZ  NOT NULL DEFAULT NOW()
);

-- Webhook deliveries: one per completed request that asked for a callback.
-- The API enqueues a row when the request's Result arrives on mpc.results
-- and POSTs it until the receiver answers 2xx ('delivered') or the retry
-- window / attempt limit is used up ('dead').
CREATE TABLE webhook_deliveries (
    request_id      VARCHAR(255) PRIMARY KEY,
    client_id       VARCHAR(255),
    url             TEXT         NOT NULL,
    payload         JSONB        NOT NULL,
    attempts        INTEGER      NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    last_status     INTEGER,                -- HTTP status of the last attempt; NULL: no answer
    last_error      TEXT,                   -- why the last attempt failed (no secrets)
    state           VARCHAR(16)  NOT NULL DEFAULT 'delivering'
                    CHECK (state IN ('delivering', 'delivered', 'dead')),
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    delivered_at    TIMESTAMPTZ
);
CREATE INDEX idx_webhook_due ON webhook_deliveries(next_attempt_at) WHERE state = 'delivering';
