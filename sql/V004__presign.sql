-- V004: the coordinator's view of the GG20 presignature pool (docs/ecdsa.md,
-- "Presignature pool"). No secret is stored here: each participant keeps
-- its own half of a presignature sealed on its disk; this table only says
-- which presignature ids exist for which key and signer set, and which have
-- been handed to a signing session.
--
-- A presignature is claimed at most once: a signing session takes ready rows
-- with one UPDATE ... WHERE status = 'ready' ... FOR UPDATE SKIP LOCKED
-- RETURNING, so two coordinators never claim the same row. Claimed rows are
-- never made ready again by the service (the participants refuse a second
-- use on their own, through their ledgers, even if a row were).

-- Presign sessions are sessions too.
ALTER TABLE signing_sessions DROP CONSTRAINT signing_sessions_kind_check;
ALTER TABLE signing_sessions ADD CONSTRAINT signing_sessions_kind_check
    CHECK (kind IN ('sign', 'keygen', 'presign'));

CREATE TABLE presignatures (
    presig_id        VARCHAR(128) PRIMARY KEY,   -- "<presign session id>.<item>"
    key_id           VARCHAR(255) NOT NULL REFERENCES keys(key_id) ON DELETE CASCADE,
    signers          TEXT         NOT NULL,      -- ascending node ids: "1,3"
    r_point          TEXT         NOT NULL,      -- the nonce point R (hex, compressed; public)
    status           VARCHAR(16)  NOT NULL DEFAULT 'ready' CHECK (status IN ('ready', 'claimed')),
    presign_session  VARCHAR(255) NOT NULL,
    claimed_session  VARCHAR(255),
    created_at       TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    claimed_at       TIMESTAMPTZ
);
CREATE INDEX idx_presignatures_ready ON presignatures(key_id, signers, created_at) WHERE status = 'ready';
CREATE INDEX idx_presignatures_claimed_session ON presignatures(claimed_session);
