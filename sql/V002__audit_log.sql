-- V002: the append-only, hash-chained audit trail.
--
-- Each row's hash = SHA-256(prev_hash || canonical row), computed by the
-- auditor; `seq` is gap-free (1, 2, 3, ...) so a missing row is named by
-- `mpcctl audit verify`. The database itself refuses UPDATE, DELETE and
-- TRUNCATE (triggers below, and the privileges revoked from the app role).
-- A superuser can still bypass both; the hash chain is what detects that.
CREATE TABLE audit_log (
    seq              BIGINT       PRIMARY KEY CHECK (seq >= 1),
    recorded_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    event_type       VARCHAR(64)  NOT NULL,
    client_id        VARCHAR(255),
    request_id       VARCHAR(255),
    key_id           VARCHAR(255),
    session_id       VARCHAR(255),
    node_id          VARCHAR(255),
    operation        VARCHAR(64)  NOT NULL,
    result           VARCHAR(64)  NOT NULL,
    details          JSONB        NOT NULL DEFAULT '{}',
    ip_address       VARCHAR(64),
    user_agent       TEXT,
    source_topic     VARCHAR(255) NOT NULL,
    source_partition INTEGER      NOT NULL,
    source_offset    BIGINT       NOT NULL,
    prev_hash        BYTEA        NOT NULL CHECK (length(prev_hash) = 32),
    hash             BYTEA        NOT NULL CHECK (length(hash) = 32),
    UNIQUE (source_topic, source_partition, source_offset)
);
CREATE INDEX idx_audit_recorded_at ON audit_log(recorded_at);
CREATE INDEX idx_audit_event_type ON audit_log(event_type);
CREATE INDEX idx_audit_key_id ON audit_log(key_id);
CREATE INDEX idx_audit_client_id ON audit_log(client_id);
CREATE INDEX idx_audit_node_id ON audit_log(node_id);
CREATE INDEX idx_audit_session_id ON audit_log(session_id);
CREATE INDEX idx_audit_request_id ON audit_log(request_id);

-- Kafka positions of the auditor, written in the same transaction as the
-- rows they cover: a crash neither skips nor repeats a record.
CREATE TABLE audit_offsets (
    topic       VARCHAR(255) NOT NULL,
    partition   INTEGER      NOT NULL,
    next_offset BIGINT       NOT NULL,
    updated_at  TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    PRIMARY KEY (topic, partition)
);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM CURRENT_USER;
