-- V001: core tables of the signing service (seed detailed design §4.1,
-- extended). Applied by tools/mpc-migrate inside one transaction.

-- Threshold keys. No key material is stored here: only public data.
CREATE TABLE keys (
    key_id        VARCHAR(255) PRIMARY KEY,
    public_key    TEXT,                       -- hex, compressed SEC1; NULL while generating
    algorithm     VARCHAR(50)  NOT NULL,      -- schnorr | ecdsa
    protocol      VARCHAR(50)  NOT NULL,      -- frost | frost-bip340 | gg18 | gg20
    curve         VARCHAR(50)  NOT NULL,
    threshold     INTEGER      NOT NULL CHECK (threshold >= 1),
    total_nodes   INTEGER      NOT NULL CHECK (total_nodes >= threshold AND total_nodes <= 255),
    participants  JSONB        NOT NULL DEFAULT '[]',  -- node ids holding shares
    chain_type    VARCHAR(50)  NOT NULL,
    address       TEXT,
    chain_code    TEXT,                       -- BIP-32 chain code agreed at keygen (hex)
    status        VARCHAR(50)  NOT NULL DEFAULT 'Creating',
    policy        JSONB        NOT NULL DEFAULT '{}',  -- allowed clients, chains, limits
    description   TEXT,
    tags          JSONB,
    request_id    VARCHAR(255),               -- the keygen request that created it
    created_at    TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at    TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    deletion_date TIMESTAMPTZ
);
CREATE INDEX idx_keys_chain_type ON keys(chain_type);
CREATE INDEX idx_keys_status ON keys(status);
CREATE INDEX idx_keys_created_at ON keys(created_at);
CREATE INDEX idx_keys_algorithm ON keys(algorithm);

-- Nodes: participants and coordinators, with their pinned identity keys.
CREATE TABLE nodes (
    node_id        VARCHAR(255) PRIMARY KEY,
    node_type      VARCHAR(50)  NOT NULL CHECK (node_type IN ('coordinator', 'participant')),
    endpoint       VARCHAR(255) NOT NULL DEFAULT '',
    public_key     TEXT,                      -- identity key (hex), pinned by configuration
    status         VARCHAR(50)  NOT NULL DEFAULT 'active',
    capabilities   JSONB,
    metadata       JSONB,
    registered_at  TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    last_heartbeat TIMESTAMPTZ,
    load_factor    INTEGER DEFAULT 0 CHECK (load_factor BETWEEN 0 AND 100)
);
CREATE INDEX idx_nodes_type ON nodes(node_type);
CREATE INDEX idx_nodes_status ON nodes(status);
CREATE INDEX idx_nodes_load ON nodes(load_factor);

-- Client requests: the idempotency record and the outcome of every request
-- (keygen or sign item). A request id is accepted once; a second submission
-- returns this row, never a second signature.
CREATE TABLE requests (
    request_id     VARCHAR(255) PRIMARY KEY,
    kind           VARCHAR(20)  NOT NULL CHECK (kind IN ('keygen', 'sign')),
    batch_id       VARCHAR(255),
    client_id      VARCHAR(255),
    key_id         VARCHAR(255),
    payload_hash   BYTEA        NOT NULL,     -- SHA-256 of the canonical request
    status         VARCHAR(20)  NOT NULL DEFAULT 'accepted'
                   CHECK (status IN ('accepted', 'running', 'succeeded', 'failed', 'cancelled')),
    session_id     VARCHAR(255),
    result         JSONB,
    error_code     VARCHAR(64),
    error_message  TEXT,
    callback_url   TEXT,
    created_at     TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at     TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    completed_at   TIMESTAMPTZ
);
CREATE INDEX idx_requests_status ON requests(status);
CREATE INDEX idx_requests_batch ON requests(batch_id);
CREATE INDEX idx_requests_key ON requests(key_id);
CREATE INDEX idx_requests_created_at ON requests(created_at);

-- Protocol sessions (signing and key generation).
CREATE TABLE signing_sessions (
    session_id          VARCHAR(255) PRIMARY KEY,
    key_id              VARCHAR(255) REFERENCES keys(key_id) ON DELETE RESTRICT,
    kind                VARCHAR(20)  NOT NULL DEFAULT 'sign' CHECK (kind IN ('sign', 'keygen')),
    protocol            VARCHAR(50)  NOT NULL,
    status              VARCHAR(50)  NOT NULL DEFAULT 'pending',
    threshold           INTEGER      NOT NULL,
    total_nodes         INTEGER      NOT NULL,
    participating_nodes JSONB,
    current_round       INTEGER      DEFAULT 0,
    total_rounds        INTEGER      NOT NULL,
    attempt             INTEGER      NOT NULL DEFAULT 1,
    request_ids         JSONB        NOT NULL DEFAULT '[]',
    signature           TEXT,
    message_hash        VARCHAR(128),
    coordinator         VARCHAR(255),
    created_at          TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    completed_at        TIMESTAMPTZ,
    duration_ms         INTEGER,
    error_code          VARCHAR(64),
    error_message       TEXT,
    culprit_node        VARCHAR(255)
);
CREATE INDEX idx_sessions_key_id ON signing_sessions(key_id);
CREATE INDEX idx_sessions_status ON signing_sessions(status);
CREATE INDEX idx_sessions_created_at ON signing_sessions(created_at);
CREATE INDEX idx_sessions_protocol ON signing_sessions(protocol);
